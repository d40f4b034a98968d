import { type App, COMMON, problems } from '../http/app-types.ts';
import { decodePageToken, encodePageToken, requireOnePagePosition } from '../http/pagination.ts';
import {
  InvitationListQuerySchema,
  InvitationListSchema,
  InvitationParams,
  InvitationSchema,
} from '../invitations/invitation.schemas.ts';
import type { InvitationService } from '../invitations/invitation.service.ts';
import { etagOf, invitationView } from '../invitations/invitation.views.ts';
import { filterOf, OrgParams, TAGS } from './invitation-route.params.ts';

const sameSet = (values: readonly string[] | undefined) => values && [...new Set(values)].sort();

/** An admin lists, searches and reads the organization's invitations. */
export function invitationReadRoutes(app: App, invitations: InvitationService) {
  app.get('/v1/organizations/:org_id/invitations', {
    config: { auth: { scope: 'invitations:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listInvitations',
      summary: 'List and search invitations',
      description:
        'Filters combine with AND. Pages are cursor-based: pass `next_page_token` back as `page_token`, or ' +
        '`prev_page_token` as `before`, with the same filters and order; a cursor page costs the same at any ' +
        'depth. `offset` (at most 10,000) jumps to a page number near the start. A pending invitation past ' +
        'its expiry is listed as `expired`.',
      params: OrgParams,
      querystring: InvitationListQuerySchema,
      response: { 200: InvitationListSchema.describe('A page of invitations.'), ...problems(...COMMON) },
    },
    handler: async (request) => {
      const { page_size, page_token, before, offset, include_total_size, order_by, ...filters } =
        request.query;
      // The same statuses in another order are the same query: a token issued for one serves both.
      const scope = { org: request.params.org_id, order_by, ...filters, status: sameSet(filters.status) };
      requireOnePagePosition(request.query);
      const page = await invitations.list(request.principal!, request.params.org_id, {
        filter: filterOf(filters),
        order: order_by,
        after: decodePageToken(page_token, scope),
        before: decodePageToken(before, scope, 'before'),
        offset,
        pageSize: page_size,
        includeTotal: include_total_size ?? false,
      });
      const shown = await invitations.inviteeShown(page.invitations);
      return {
        invitations: page.invitations.map((invitation) =>
          invitationView(invitation, invitations.now, shown.has(invitation.id)),
        ),
        next_page_token: page.nextAfter ? encodePageToken(page.nextAfter, scope) : null,
        prev_page_token: page.prevBefore ? encodePageToken(page.prevBefore, scope, 'before') : null,
        ...(page.totalSize !== undefined ? { total_size: page.totalSize } : {}),
      };
    },
  });

  app.get('/v1/organizations/:org_id/invitations/:invitation_id', {
    config: { auth: { scope: 'invitations:read' }, responseHeaders: { 200: ['ETag'] } },
    schema: {
      tags: TAGS,
      operationId: 'getInvitation',
      summary: 'Get an invitation',
      description:
        'One invitation with its status, delivery state and `etag`. Invitees read their own through `GET /v1/me/invitations`.',
      params: InvitationParams,
      response: { 200: InvitationSchema.describe('The invitation.'), ...problems(...COMMON) },
    },
    handler: async (request, reply) => {
      const invitation = await invitations.get(
        request.principal!,
        request.params.org_id,
        request.params.invitation_id,
      );
      reply.header('etag', etagOf(invitation));
      return invitationView(invitation, invitations.now, await invitations.isInviteeShown(invitation));
    },
  });
}
