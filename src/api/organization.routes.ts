import { z } from 'zod';
import { type App, COMMON, problems } from '../http/app-types.ts';
import { strongIfMatchTags } from '../http/if-match.ts';
import { decodePageToken, PageSize, PageToken, pageOf } from '../http/pagination.ts';
import type { OrganizationRecord } from '../organizations/organization.repository.ts';
import {
  OrganizationCreateSchema,
  OrganizationListSchema,
  OrganizationSchema,
  OrganizationUpdateSchema,
  type OrganizationView,
  OrgParams,
} from '../organizations/organization.schemas.ts';
import { organizationEtag } from '../organizations/organization.service.ts';
import type { Services } from '../services.ts';

const TAGS = ['Organizations'];

export function organizationView(organization: OrganizationRecord, role: string | null): OrganizationView {
  return {
    id: organization.id,
    slug: organization.slug,
    name: organization.name,
    settings: organization.settings,
    your_role: role,
    create_time: organization.createdAt.toISOString(),
    update_time: organization.updatedAt.toISOString(),
  };
}

export function organizationRoutes(app: App, services: Services) {
  registerCreateOrganization(app, services);
  registerListOrganizations(app, services);
  registerGetOrganization(app, services);
  registerUpdateOrganization(app, services);
}

function registerCreateOrganization(app: App, services: Services) {
  app.post('/v1/organizations', {
    config: { auth: { scope: 'organizations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'createOrganization',
      summary: 'Create an organization',
      description: 'The caller becomes its owner.',
      body: OrganizationCreateSchema,
      response: {
        201: OrganizationSchema.describe('The organization, with you as its owner.'),
        ...problems(400, 401, 403, 409, 422),
      },
    },
    handler: async (request, reply) => {
      const { organization, role } = await services.organizations.create(request.principal!, request.body);
      reply.code(201).header('location', `/v1/organizations/${organization.id}`);
      return organizationView(organization, role);
    },
  });
}

function registerListOrganizations(app: App, services: Services) {
  app.get('/v1/organizations', {
    config: { auth: { scope: 'organizations:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listOrganizations',
      summary: 'List my organizations',
      description:
        'The organizations you belong to (all of them for an instance admin), newest first, with your role in each.',
      querystring: z.object({ page_size: PageSize, page_token: PageToken }),
      response: {
        200: OrganizationListSchema.describe('A page of organizations.'),
        ...problems(400, 401, 403),
      },
    },
    handler: async (request) => {
      const scope = { organizations: true };
      const after = decodePageToken(request.query.page_token, scope);
      const rows = await services.organizations.list(request.principal!, {
        afterId: after?.[0] as string | undefined,
        limit: request.query.page_size + 1,
      });
      const page = pageOf(rows, request.query.page_size, (row) => row.id, scope);
      return {
        organizations: page.items.map((row) => organizationView(row, row.role)),
        next_page_token: page.next_page_token,
      };
    },
  });
}

function registerGetOrganization(app: App, services: Services) {
  app.get('/v1/organizations/:org_id', {
    config: { auth: { scope: 'organizations:read' }, responseHeaders: { 200: ['ETag'] } },
    schema: {
      tags: TAGS,
      operationId: 'getOrganization',
      summary: 'Get an organization',
      description:
        'Its settings and your role in it. The `ETag` header identifies this state: send it in `If-Match` when you update.',
      params: OrgParams,
      response: { 200: OrganizationSchema.describe('The organization.'), ...problems(...COMMON) },
    },
    handler: async (request, reply) => {
      const { organization, role } = await services.organizations.get(
        request.principal!,
        request.params.org_id,
      );
      reply.header('etag', organizationEtag(organization));
      return organizationView(organization, role);
    },
  });
}

function registerUpdateOrganization(app: App, services: Services) {
  app.patch('/v1/organizations/:org_id', {
    config: { auth: { scope: 'organizations:write' }, responseHeaders: { 200: ['ETag'] } },
    schema: {
      tags: TAGS,
      operationId: 'updateOrganization',
      summary: 'Change name or settings',
      description:
        'Settings are merged key by key. Admins change settings; only owners change the role catalog, and ' +
        'a role still held by a member or offered by a pending invitation cannot be removed (409). ' +
        'Send `If-Match` with the ETag of a read to change only the state you saw (412 otherwise); ' +
        'without it, concurrent changes of different settings all apply.',
      params: OrgParams,
      headers: z.object({
        'if-match': z
          .string()
          .optional()
          .meta({ example: '"3f1c2a9d"' })
          .describe(
            'The `ETag` of your last read: the change applies only if nothing changed since (412 otherwise).',
          ),
      }),
      body: OrganizationUpdateSchema,
      response: {
        200: OrganizationSchema.describe('The organization as changed.'),
        ...problems(...COMMON, 409, 412, 422),
      },
    },
    handler: async (request, reply) => {
      const { organization, role } = await services.organizations.update(
        request.principal!,
        request.params.org_id,
        request.body,
        strongIfMatchTags(request.headers['if-match']),
      );
      reply.header('etag', organizationEtag(organization));
      return organizationView(organization, role);
    },
  });
}
