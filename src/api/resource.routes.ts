import { z } from 'zod';
import { type App, COMMON, problems } from '../http/app-types.ts';
import { decodePageToken, PageSize, PageToken, pageOf } from '../http/pagination.ts';
import { Actions } from '../invitations/invitation.schemas.ts';
import type { ResourceRecord } from '../resources/resource.repository.ts';
import type { Services } from '../services.ts';

const TAGS = ['Resources'];

/** The examples the OpenAPI document shows. */
const RESOURCE_EXAMPLE = {
  id: 'res_01JQ8Z7A2C4E6G8J0L2N4Q6S8U',
  organization_id: 'org_01JQ8Z5M4X2B7D9F3H6K8N1Q4S',
  type: 'dataset',
  name: 'genomes-2025',
  create_time: '2025-06-30T10:00:00.000Z',
};
const GRANT_EXAMPLE = {
  resource_id: RESOURCE_EXAMPLE.id,
  user_id: 'usr_01JQ8Z4K2M7P3R5T9V1X3Z6B8D',
  email: 'grace@example.com',
  actions: ['read', 'write'],
  create_time: '2025-07-01T09:00:00.000Z',
  update_time: '2025-07-01T09:00:00.000Z',
};

const ResourceSchema = z
  .object({
    id: z.string().describe('`res_…`'),
    organization_id: z.string(),
    type: z.string(),
    name: z.string(),
    create_time: z.iso.datetime(),
  })
  .meta({ id: 'Resource', examples: [RESOURCE_EXAMPLE] });

const ResourceCreateSchema = z
  .strictObject({
    type: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[a-z][a-z0-9_-]*$/, 'lower-case letters, digits, _ and -')
      .describe('What kind of thing it is, e.g. array, group, dataset.'),
    name: z.string().trim().min(1).max(200),
  })
  .meta({ id: 'ResourceCreate', examples: [{ type: 'dataset', name: 'genomes-2025' }] });

const GrantSchema = z
  .object({
    resource_id: z.string(),
    user_id: z.string(),
    email: z.string(),
    actions: z.array(z.string()),
    create_time: z.iso.datetime(),
    update_time: z.iso.datetime(),
  })
  .meta({ id: 'Grant', examples: [GRANT_EXAMPLE] });

const ResourceParams = z.object({ org_id: z.string(), resource_id: z.string() });
const GrantParams = ResourceParams.extend({ user_id: z.string() });

const resourceView = (resource: ResourceRecord) => ({
  id: resource.id,
  organization_id: resource.organizationId,
  type: resource.type,
  name: resource.name,
  create_time: resource.createdAt.toISOString(),
});

const grantView = (grant: {
  resourceId: string;
  userId: string;
  email: string;
  actions: string[];
  createdAt: Date;
  updatedAt: Date;
}) => ({
  resource_id: grant.resourceId,
  user_id: grant.userId,
  email: grant.email,
  actions: grant.actions,
  create_time: grant.createdAt.toISOString(),
  update_time: grant.updatedAt.toISOString(),
});

export function resourceRoutes(app: App, services: Services) {
  registerCreateResource(app, services);
  registerListResources(app, services);
  registerGetResource(app, services);
  registerDeleteResource(app, services);
  registerListGrants(app, services);
  registerPutGrant(app, services);
  registerDeleteGrant(app, services);
}

function registerCreateResource(app: App, services: Services) {
  const resources = services.resources;
  app.post('/v1/organizations/:org_id/resources', {
    config: { auth: { scope: 'resources:write' } },
    schema: {
      tags: TAGS,
      operationId: 'createResource',
      summary: 'Create a shareable resource',
      description:
        'Registers something inside the organization that people can be invited onto with actions. Admins only; `type` and `name` are unique together within the organization (409 otherwise).',
      params: z.object({ org_id: z.string() }),
      body: ResourceCreateSchema,
      response: { 201: ResourceSchema.describe('The new resource.'), ...problems(...COMMON, 409) },
    },
    handler: async (request, reply) => {
      const resource = await resources.create(request.principal!, request.params.org_id, request.body);
      reply
        .code(201)
        .header('location', `/v1/organizations/${resource.organizationId}/resources/${resource.id}`);
      return resourceView(resource);
    },
  });
}

function registerListResources(app: App, services: Services) {
  const resources = services.resources;
  app.get('/v1/organizations/:org_id/resources', {
    config: { auth: { scope: 'resources:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listResources',
      summary: 'List resources',
      description: 'Resources of the organization, oldest first, optionally of one `type`.',
      params: z.object({ org_id: z.string() }),
      querystring: z.object({
        type: z.string().max(64).optional(),
        page_size: PageSize,
        page_token: PageToken,
      }),
      response: {
        200: z
          .object({ resources: z.array(ResourceSchema), next_page_token: z.string().nullable() })
          .meta({ id: 'ResourceList', examples: [{ resources: [RESOURCE_EXAMPLE], next_page_token: null }] })
          .describe('A page of resources.'),
        ...problems(...COMMON),
      },
    },
    handler: async (request) => {
      const scope = { org: request.params.org_id, type: request.query.type };
      const after = decodePageToken(request.query.page_token, scope);
      const rows = await resources.list(request.principal!, request.params.org_id, {
        type: request.query.type,
        afterId: after?.[0] as string | undefined,
        limit: request.query.page_size + 1,
      });
      const page = pageOf(rows, request.query.page_size, (row) => row.id, scope);
      return { resources: page.items.map(resourceView), next_page_token: page.next_page_token };
    },
  });
}

function registerGetResource(app: App, services: Services) {
  const resources = services.resources;
  app.get('/v1/organizations/:org_id/resources/:resource_id', {
    config: { auth: { scope: 'resources:read' } },
    schema: {
      tags: TAGS,
      operationId: 'getResource',
      summary: 'Get a resource',
      description: 'One resource of the organization.',
      params: ResourceParams,
      response: { 200: ResourceSchema.describe('The resource.'), ...problems(...COMMON) },
    },
    handler: async (request) =>
      resourceView(
        await resources.get(request.principal!, request.params.org_id, request.params.resource_id),
      ),
  });
}

function registerDeleteResource(app: App, services: Services) {
  const resources = services.resources;
  app.delete('/v1/organizations/:org_id/resources/:resource_id', {
    config: { auth: { scope: 'resources:write' } },
    schema: {
      tags: TAGS,
      operationId: 'deleteResource',
      summary: 'Delete a resource',
      description: 'Its grants go with it; its pending invitations are revoked and their history kept.',
      params: ResourceParams,
      response: { 204: z.null().describe('Deleted.'), ...problems(...COMMON) },
    },
    handler: async (request, reply) => {
      await resources.delete(request.principal!, request.params.org_id, request.params.resource_id);
      return reply.code(204).send(null);
    },
  });
}

function registerListGrants(app: App, services: Services) {
  const resources = services.resources;
  app.get('/v1/organizations/:org_id/resources/:resource_id/grants', {
    config: { auth: { scope: 'resources:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listGrants',
      summary: 'Who holds what on a resource',
      description:
        'Who holds which actions on the resource, whether granted directly or by an accepted invitation.',
      params: ResourceParams,
      querystring: z.object({ page_size: PageSize, page_token: PageToken }),
      response: {
        200: z
          .object({ grants: z.array(GrantSchema), next_page_token: z.string().nullable() })
          .meta({ id: 'GrantList', examples: [{ grants: [GRANT_EXAMPLE], next_page_token: null }] })
          .describe('A page of grants.'),
        ...problems(...COMMON),
      },
    },
    handler: async (request) => {
      const scope = { resource: request.params.resource_id };
      const after = decodePageToken(request.query.page_token, scope);
      const rows = await resources.listGrants(
        request.principal!,
        request.params.org_id,
        request.params.resource_id,
        {
          afterUserId: after?.[0] as string | undefined,
          limit: request.query.page_size + 1,
        },
      );
      const page = pageOf(rows, request.query.page_size, (row) => row.userId, scope);
      return { grants: page.items.map(grantView), next_page_token: page.next_page_token };
    },
  });
}

function registerPutGrant(app: App, services: Services) {
  const resources = services.resources;
  app.put('/v1/organizations/:org_id/resources/:resource_id/grants/:user_id', {
    config: { auth: { scope: 'resources:write' } },
    schema: {
      tags: TAGS,
      operationId: 'putGrant',
      summary: 'Set the actions a user holds on a resource',
      description:
        'Replaces the actions the user holds on the resource (creating the grant if needed). The user must be a member of the organization. Admins only.',
      params: GrantParams,
      body: z
        .strictObject({ actions: Actions })
        .meta({ id: 'GrantPut', examples: [{ actions: ['read', 'write'] }] }),
      response: { 200: GrantSchema.describe('The grant as it now stands.'), ...problems(...COMMON) },
    },
    handler: async (request) =>
      grantView(
        await resources.putGrant(
          request.principal!,
          request.params.org_id,
          request.params.resource_id,
          request.params.user_id,
          request.body.actions,
        ),
      ),
  });
}

function registerDeleteGrant(app: App, services: Services) {
  const resources = services.resources;
  app.delete('/v1/organizations/:org_id/resources/:resource_id/grants/:user_id', {
    config: { auth: { scope: 'resources:write' } },
    schema: {
      tags: TAGS,
      operationId: 'deleteGrant',
      summary: "Take away a user's actions on a resource",
      description: 'Takes every action on the resource away from the user. Admins only.',
      params: GrantParams,
      response: { 204: z.null().describe('Removed.'), ...problems(...COMMON) },
    },
    handler: async (request, reply) => {
      await resources.deleteGrant(
        request.principal!,
        request.params.org_id,
        request.params.resource_id,
        request.params.user_id,
      );
      return reply.code(204).send(null);
    },
  });
}
