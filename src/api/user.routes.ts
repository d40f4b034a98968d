import { z } from 'zod';
import type { UserRecord } from '../access/user-record.ts';
import { type App, problems } from '../http/app-types.ts';
import { decodePageToken, PageSize, PageToken, pageOf } from '../http/pagination.ts';
import type { Services } from '../services.ts';

const TAGS = ['Users'];

/** The example the OpenAPI document shows. */
export const USER_EXAMPLE = {
  id: 'usr_01JQ8Z4K2M7P3R5T9V1X3Z6B8D',
  email: 'grace@example.com',
  username: 'grace',
  display_name: 'Grace Hopper',
  status: 'active' as const,
  instance_admin: false,
  create_time: '2025-06-30T08:00:00.000Z',
};

export const UserSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    username: z.string().nullable(),
    display_name: z.string().nullable(),
    status: z.enum(['active', 'placeholder', 'deactivated']),
    instance_admin: z.boolean(),
    create_time: z.iso.datetime(),
  })
  .meta({ id: 'User', examples: [USER_EXAMPLE] });

const UserCreateSchema = z
  .strictObject({
    email: z.string().max(320),
    username: z
      .string()
      .min(2)
      .max(64)
      .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'letters, digits, _ . -')
      .optional(),
    display_name: z.string().trim().min(1).max(200).optional(),
    password: z.string().min(8).max(256).optional().describe('Stored only as an argon2id hash.'),
  })
  .meta({
    id: 'UserCreate',
    examples: [
      {
        email: 'grace@example.com',
        username: 'grace',
        display_name: 'Grace Hopper',
        password: 'a long passphrase',
      },
    ],
  });

export const userView = (user: UserRecord) => ({
  id: user.id,
  email: user.email,
  username: user.username,
  display_name: user.displayName,
  status: user.status,
  instance_admin: user.isInstanceAdmin,
  create_time: user.createdAt.toISOString(),
});

export function userRoutes(app: App, services: Services) {
  registerCreateUser(app, services);
  registerListUsers(app, services);
  registerGetUser(app, services);
  registerGetMe(app);
}

function registerCreateUser(app: App, services: Services) {
  app.post('/v1/users', {
    config: { auth: { scope: 'users:write' } },
    schema: {
      tags: TAGS,
      operationId: 'createUser',
      summary: 'Create a user',
      description:
        'Instance admins only. A password is optional (users may sign in through an external issuer instead). ' +
        'An address held by a placeholder user is taken over.',
      body: UserCreateSchema,
      response: { 201: UserSchema.describe('The new user.'), ...problems(400, 401, 403, 409, 422) },
    },
    handler: async (request, reply) => {
      const user = await services.users.create(request.principal!, request.body);
      reply.code(201).header('location', `/v1/users/${user.id}`);
      return userView(user);
    },
  });
}

function registerListUsers(app: App, services: Services) {
  app.get('/v1/users', {
    config: { auth: { scope: 'users:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listUsers',
      summary: 'List every user of the instance',
      description:
        'Instance admins only (403 for anyone else, whatever their roles in organizations). Oldest ' +
        'first; `q` keeps the users whose email, username or display name contains it.',
      querystring: z.object({
        q: z.string().trim().min(1).max(200).optional().describe('Text within the email, username or name.'),
        status: z.enum(['active', 'placeholder', 'deactivated']).optional(),
        page_size: PageSize,
        page_token: PageToken,
      }),
      response: {
        200: z
          .object({ users: z.array(UserSchema), next_page_token: z.string().nullable() })
          .meta({ id: 'UserList', examples: [{ users: [USER_EXAMPLE], next_page_token: null }] })
          .describe('A page of users.'),
        ...problems(400, 401, 403),
      },
    },
    handler: async (request) => {
      const { page_size, page_token, ...filters } = request.query;
      const after = decodePageToken(page_token, filters);
      const rows = await services.users.list(request.principal!, {
        search: filters.q,
        status: filters.status,
        afterId: after?.[0] as string | undefined,
        limit: page_size + 1,
      });
      const page = pageOf(rows, page_size, (user) => user.id, filters);
      return { users: page.items.map(userView), next_page_token: page.next_page_token };
    },
  });
}

function registerGetUser(app: App, services: Services) {
  app.get('/v1/users/:user_id', {
    config: { auth: { scope: 'users:read' } },
    schema: {
      tags: TAGS,
      operationId: 'getUser',
      summary: 'Get a user',
      description: 'Yourself, or someone who shares an organization with you.',
      params: z.object({ user_id: z.string() }),
      response: { 200: UserSchema.describe('The user.'), ...problems(400, 401, 403, 404) },
    },
    handler: async (request) =>
      userView(await services.users.get(request.principal!, request.params.user_id)),
  });
}

function registerGetMe(app: App) {
  app.get('/v1/me', {
    config: { auth: { scope: 'users:read' } },
    schema: {
      tags: TAGS,
      operationId: 'getMe',
      summary: 'Who am I',
      description:
        'The user behind the credential of this call, how it authenticated, and the scopes it holds.',
      response: {
        200: UserSchema.extend({
          auth_method: z.string(),
          api_key_id: z.string().nullable(),
          scopes: z.array(z.string()),
        })
          .meta({
            id: 'Me',
            examples: [
              {
                ...USER_EXAMPLE,
                auth_method: 'api_key',
                api_key_id: 'key_01JQ8Z4P7T2W6Y0A4C8E2G6J9L',
                scopes: ['invitations:read', 'invitations:write'],
              },
            ],
          })
          .describe('You.'),
        ...problems(401),
      },
    },
    handler: async (request) => {
      const principal = request.principal!;
      return {
        ...userView(principal.user),
        auth_method: principal.method,
        api_key_id: principal.apiKeyId,
        scopes: principal.scopes === 'all' ? ['*'] : [...principal.scopes],
      };
    },
  });
}
