import { z } from 'zod';
import type { UserRecord } from '../access/user-record.ts';
import { type App, problems } from '../http/app-types.ts';
import type { Services } from '../services.ts';

const TAGS = ['Users'];

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
  .meta({ id: 'User' });

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
  .meta({ id: 'UserCreate' });

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
      response: { 201: UserSchema, ...problems(400, 401, 403, 409, 422) },
    },
    handler: async (request, reply) => {
      const user = await services.users.create(request.principal!, request.body);
      reply.code(201).header('location', `/v1/users/${user.id}`);
      return userView(user);
    },
  });

  app.get('/v1/users/:user_id', {
    config: { auth: { scope: 'users:read' } },
    schema: {
      tags: TAGS,
      operationId: 'getUser',
      summary: 'Get a user',
      description: 'Yourself, or someone who shares an organization with you.',
      params: z.object({ user_id: z.string() }),
      response: { 200: UserSchema, ...problems(400, 401, 403, 404) },
    },
    handler: async (request) =>
      userView(await services.users.get(request.principal!, request.params.user_id)),
  });

  app.get('/v1/me', {
    config: { auth: { scope: 'users:read' } },
    schema: {
      tags: TAGS,
      operationId: 'getMe',
      summary: 'Who am I',
      response: {
        200: UserSchema.extend({
          auth_method: z.string(),
          api_key_id: z.string().nullable(),
          scopes: z.array(z.string()),
        }).meta({ id: 'Me' }),
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
