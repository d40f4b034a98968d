import { z } from 'zod';
import { type App, COMMON, problems } from '../http/app-types.ts';
import { decodePageToken, PageSize, PageToken, pageOf } from '../http/pagination.ts';
import {
  JoinLinkCreateSchema,
  JoinLinkListSchema,
  JoinLinkPreviewSchema,
  JoinLinkSchema,
  JoinLinkWithTokenSchema,
  JoinRequestListSchema,
  JoinResultSchema,
  JoinTokenBodySchema,
} from '../joining/joining.schemas.ts';
import { joinLinkView, joinRequestView } from '../joining/joining.views.ts';
import { OrgParams } from '../organizations/organization.schemas.ts';
import type { Services } from '../services.ts';

const TAGS = ['Join links'];
const LinkParams = OrgParams.extend({ join_link_id: z.string().max(64) });
const PageQuery = z.object({ page_size: PageSize, page_token: PageToken });

/** Admins manage multi-use join links; anyone signed in who holds one joins through it. */
export function joinLinkRoutes(app: App, services: Services) {
  registerCreateJoinLink(app, services);
  registerListJoinLinks(app, services);
  registerGetJoinLink(app, services);
  registerListJoinLinkUses(app, services);
  registerRevokeJoinLink(app, services);
  registerRotateJoinLink(app, services);
  registerPreviewJoinLink(app, services);
  registerJoinByLink(app, services);
}

function registerCreateJoinLink(app: App, services: Services) {
  const links = services.joinLinks;
  app.post('/v1/organizations/:org_id/join-links', {
    config: { auth: { scope: 'members:write' } },
    schema: {
      tags: TAGS,
      operationId: 'createJoinLink',
      summary: 'Create a join link',
      description:
        'A multi-use link to the organization (with a role) or to a resource (with actions), with an ' +
        'optional cap on uses, an expiry, an optional allowed email domain, and optionally approval by an ' +
        'admin. The token is shown only in this answer. Admins only; nobody grants a role above their own.',
      params: OrgParams,
      body: JoinLinkCreateSchema,
      response: {
        201: JoinLinkWithTokenSchema.describe('The link, with its secret shown this once.'),
        ...problems(...COMMON, 422),
      },
    },
    handler: async (request, reply) => {
      const { link, token } = await links.create(request.principal!, request.params.org_id, request.body);
      reply.code(201).header('location', `/v1/organizations/${link.organizationId}/join-links/${link.id}`);
      return { ...joinLinkView(link, links.now), token, url: links.urlFor(token) };
    },
  });
}

function registerListJoinLinks(app: App, services: Services) {
  const links = services.joinLinks;
  app.get('/v1/organizations/:org_id/join-links', {
    config: { auth: { scope: 'members:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listJoinLinks',
      summary: 'List join links',
      description: 'Newest first, live and dead alike, with their use counts. Admins only.',
      params: OrgParams,
      querystring: PageQuery,
      response: { 200: JoinLinkListSchema.describe('A page of join links.'), ...problems(...COMMON) },
    },
    handler: async (request) => {
      const scope = { org: request.params.org_id, links: true };
      const after = decodePageToken(request.query.page_token, scope);
      const rows = await links.list(request.principal!, request.params.org_id, {
        afterId: after?.[0] as string | undefined,
        limit: request.query.page_size + 1,
      });
      const page = pageOf(rows, request.query.page_size, (row) => row.id, scope);
      return {
        join_links: page.items.map((link) => joinLinkView(link, links.now)),
        next_page_token: page.next_page_token,
      };
    },
  });
}

function registerGetJoinLink(app: App, services: Services) {
  const links = services.joinLinks;
  app.get('/v1/organizations/:org_id/join-links/:join_link_id', {
    config: { auth: { scope: 'members:read' } },
    schema: {
      tags: TAGS,
      operationId: 'getJoinLink',
      summary: 'Get a join link',
      description:
        'One join link with its status and use count. Its secret is never shown again; rotate it for a new one.',
      params: LinkParams,
      response: { 200: JoinLinkSchema.describe('The join link.'), ...problems(...COMMON) },
    },
    handler: async (request) =>
      joinLinkView(
        await links.get(request.principal!, request.params.org_id, request.params.join_link_id),
        links.now,
      ),
  });
}

function registerListJoinLinkUses(app: App, services: Services) {
  const links = services.joinLinks;
  app.get('/v1/organizations/:org_id/join-links/:join_link_id/uses', {
    config: { auth: { scope: 'members:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listJoinLinkUses',
      summary: 'Who used a join link',
      description: 'One entry per use: joined at once, or a join request and what became of it.',
      params: LinkParams,
      querystring: PageQuery,
      response: { 200: JoinRequestListSchema.describe('A page of the link’s uses.'), ...problems(...COMMON) },
    },
    handler: async (request) => {
      const scope = { link: request.params.join_link_id };
      const after = decodePageToken(request.query.page_token, scope);
      const rows = await links.uses(request.principal!, request.params.org_id, request.params.join_link_id, {
        afterId: after?.[0] as string | undefined,
        limit: request.query.page_size + 1,
      });
      const page = pageOf(rows, request.query.page_size, (row) => row.id, scope);
      return { join_requests: page.items.map(joinRequestView), next_page_token: page.next_page_token };
    },
  });
}

function registerRevokeJoinLink(app: App, services: Services) {
  const links = services.joinLinks;
  app.post('/v1/organizations/:org_id/join-links/:join_link_id/revoke', {
    config: { auth: { scope: 'members:write' } },
    schema: {
      tags: TAGS,
      operationId: 'revokeJoinLink',
      summary: 'Revoke a join link',
      description: 'The link stops working at once; requests already filed through it stay in the queue.',
      params: LinkParams,
      response: { 200: JoinLinkSchema.describe('The revoked link.'), ...problems(...COMMON, 409) },
    },
    handler: async (request) =>
      joinLinkView(
        await links.revoke(request.principal!, request.params.org_id, request.params.join_link_id),
        links.now,
      ),
  });
}

function registerRotateJoinLink(app: App, services: Services) {
  const links = services.joinLinks;
  app.post('/v1/organizations/:org_id/join-links/:join_link_id/rotate', {
    config: { auth: { scope: 'members:write' } },
    schema: {
      tags: TAGS,
      operationId: 'rotateJoinLink',
      summary: 'Rotate a join link’s token',
      description:
        'A new token, shown only now; the old one stops working at once. Uses, cap and expiry carry over.',
      params: LinkParams,
      response: {
        200: JoinLinkWithTokenSchema.describe('The link with its new secret, shown this once.'),
        ...problems(...COMMON, 409),
      },
    },
    handler: async (request) => {
      const { link, token } = await links.rotate(
        request.principal!,
        request.params.org_id,
        request.params.join_link_id,
      );
      return { ...joinLinkView(link, links.now), token: token!, url: links.urlFor(token!) };
    },
  });
}

function registerPreviewJoinLink(app: App, services: Services) {
  const links = services.joinLinks;
  app.post('/v1/join-links/preview', {
    config: { auth: 'public' },
    schema: {
      tags: TAGS,
      operationId: 'previewJoinLink',
      summary: 'Preview a join link',
      description:
        'No authentication and no side effect: what the link offers. Nothing about who made or used it.',
      body: JoinTokenBodySchema,
      response: {
        200: JoinLinkPreviewSchema.describe('What the link lets you join.'),
        ...problems(400, 404, 410, 429),
      },
    },
    handler: async (request) => {
      const { link, organization, resource } = await links.preview(request.body.token);
      return {
        organization: { id: organization.id, name: organization.name },
        role: link.role,
        resource: resource ? { id: resource.id, type: resource.type, name: resource.name } : null,
        actions: link.actions,
        requires_approval: link.requiresApproval,
        allowed_domain: link.allowedDomain,
        expire_time: link.expiresAt.toISOString(),
      };
    },
  });
}

function registerJoinByLink(app: App, services: Services) {
  const links = services.joinLinks;
  app.post('/v1/join', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: {
      tags: TAGS,
      operationId: 'joinByLink',
      summary: 'Join through a link',
      description:
        'The signed-in user joins with the link’s role (or actions), or files a join request when the link ' +
        'needs approval (`status: pending`). A use is taken only when the join or request is written. ' +
        'Unknown token: 404; revoked, expired or used up: 410; address outside the allowed domain: 403 ' +
        '`join_link_domain_mismatch`; already a member: 409; no seat: 402.',
      body: JoinTokenBodySchema,
      response: {
        200: JoinResultSchema.describe('Joined, or a request now waits for an admin.'),
        ...problems(...COMMON, 402, 409, 410, 422, 429),
      },
    },
    handler: async (request) => {
      const { request: joined, organization } = await links.join(request.principal!, request.body.token);
      return {
        status: joined.status === 'pending' ? ('pending' as const) : ('joined' as const),
        organization: { id: organization.id, name: organization.name },
        join_request: joinRequestView(joined),
      };
    },
  });
}
