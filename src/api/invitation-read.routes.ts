import { type App, COMMON, problems } from '../http/app-types.ts';
import { decodePageToken, encodePageToken } from '../http/pagination.ts';
import {
  InvitationListQuerySchema,
  InvitationListSchema,
  InvitationParams,
  InvitationSchema,
} from '../invitations/invitation.schemas.ts';
import type { InvitationService } from '../invitations/invitation.service.ts';
import { etagOf, invitationView } from '../invitations/invitation.views.ts';
import { canonicalEmail } from '../lib/email.ts';
import { OrgParams, TAGS } from './invitation-route.params.ts';

/** An admin lists, searches and reads the organization's invitations. */
export function invitationReadRoutes(app: App, invitations: InvitationService) {
  app.get('/v1/organizations/:org_id/invitations', {
    config: { auth: { scope: 'invitations:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listInvitations',
      summary: 'List and search invitations',
      description:
        'Filters combine with AND. Pages are cursor-based: pass `next_page_token` back as `page_token` with ' +
        'the same filters. A pending invitation past its expiry is listed as `expired`.',
      params: OrgParams,
      querystring: InvitationListQuerySchema,
      response: { 200: InvitationListSchema, ...problems(...COMMON) },
    },
    handler: async (request) => {
      const { page_size, page_token, include_total_size, order_by, ...filters } = request.query;
      const scope = { org: request.params.org_id, order_by, ...filters };
      const page = await invitations.list(request.principal!, request.params.org_id, {
        filter: {
          statuses: filters.status,
          emailCanonical: filters.email ? canonicalEmail(filters.email) : undefined,
          emailContains: filters.q ? canonicalEmail(filters.q) : undefined,
          inviterUserId: filters.inviter_id,
          targetType: filters.target_type,
          resourceId: filters.resource_id,
          role: filters.role,
          deliveryState: filters.delivery_state,
          createdAfter: filters.created_after ? new Date(filters.created_after) : undefined,
          createdBefore: filters.created_before ? new Date(filters.created_before) : undefined,
        },
        order: order_by,
        after: decodePageToken(page_token, scope),
        pageSize: page_size,
        includeTotal: include_total_size ?? false,
      });
      return {
        invitations: page.invitations.map((invitation) => invitationView(invitation, invitations.now)),
        next_page_token: page.nextAfter ? encodePageToken(page.nextAfter, scope) : null,
        ...(page.totalSize !== undefined ? { total_size: page.totalSize } : {}),
      };
    },
  });

  app.get('/v1/organizations/:org_id/invitations/:invitation_id', {
    config: { auth: { scope: 'invitations:read' } },
    schema: {
      tags: TAGS,
      operationId: 'getInvitation',
      summary: 'Get an invitation',
      params: InvitationParams,
      response: { 200: InvitationSchema, ...problems(...COMMON) },
    },
    handler: async (request, reply) => {
      const invitation = await invitations.get(
        request.principal!,
        request.params.org_id,
        request.params.invitation_id,
      );
      reply.header('etag', etagOf(invitation));
      return invitationView(invitation, invitations.now);
    },
  });
}
