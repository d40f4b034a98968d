import { z } from 'zod';
import { type App, COMMON, optionalBody, problems } from '../http/app-types.ts';
import { decodePageToken, encodePageToken } from '../http/pagination.ts';
import { problemBody, sendProblem } from '../http/problem.ts';
import { canonicalEmail } from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import type { Services } from '../services.ts';
import type { InvitationRecord } from './invitation.repository.ts';
import {
  InvitationBatchCreateSchema,
  InvitationBatchResultSchema,
  InvitationCreatedSchema,
  InvitationCreateSchema,
  InvitationIdParams,
  InvitationListQuerySchema,
  InvitationListSchema,
  InvitationParams,
  InvitationPreviewSchema,
  InvitationResendSchema,
  InvitationSchema,
  InvitationUpdateSchema,
  MyInvitationsQuerySchema,
  ReceivedInvitationListSchema,
  ReceivedInvitationSchema,
  TokenBodySchema,
} from './invitation.schemas.ts';
import type { RowResult } from './invitation.service.ts';
import { etagOf, invitationView, receivedInvitationView } from './invitation.views.ts';

const OrgParams = z.object({ org_id: z.string() });
const TAGS = ['Invitations'];

/** `"3"`, `W/"3"` or `*` → version 3, or undefined for `*`. */
function parseIfMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^(?:W\/)?"(\d+)"$/.exec(header.trim());
  if (!match) {
    throw new AppError(400, 'invalid_if_match', 'Invalid If-Match', 'If-Match must be an ETag such as "3".');
  }
  return Number(match[1]);
}

export function invitationRoutes(app: App, services: Services) {
  const invitations = services.invitations;

  app.post('/v1/organizations/:org_id/invitations', {
    config: { auth: { scope: 'invitations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'createInvitation',
      summary: 'Invite someone',
      description:
        'Invites one email address into the organization with a role, or onto a resource with actions. ' +
        'The email is queued in the same transaction. With `send_email: false` nothing is sent and the ' +
        'response carries `accept_url`, once. A pending invitation for the same address and target answers ' +
        '409 with `Location` of the existing one.',
      params: OrgParams,
      body: InvitationCreateSchema,
      response: { 201: InvitationCreatedSchema, ...problems(...COMMON, 402, 409, 422) },
    },
    handler: async (request, reply) => {
      const { send_email, ...row } = request.body;
      const [result] = await invitations.create(request.principal!, request.params.org_id, [row], {
        sendEmail: send_email,
      });
      if (!result!.ok) return sendProblem(request, reply, result!.error);
      const invitation = result!.invitation;
      reply
        .code(201)
        .header('location', `/v1/organizations/${invitation.organizationId}/invitations/${invitation.id}`)
        .header('etag', etagOf(invitation));
      return {
        ...invitationView(invitation, invitations.now),
        ...(result!.acceptUrl ? { accept_url: result!.acceptUrl } : {}),
      };
    },
  });

  app.post('/v1/organizations/:org_id/invitations/batch', {
    config: { auth: { scope: 'invitations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'createInvitations',
      summary: 'Invite many at once',
      description:
        'Up to 1,000 rows in one call. Each row succeeds or fails on its own; the answer lists, per row, ' +
        'the status creating it alone would have had and either the invitation or the problem.',
      params: OrgParams,
      body: InvitationBatchCreateSchema,
      response: { 200: InvitationBatchResultSchema, ...problems(...COMMON) },
    },
    handler: async (request) => {
      const results = await invitations.create(
        request.principal!,
        request.params.org_id,
        request.body.invitations,
        {
          sendEmail: request.body.send_email,
        },
      );
      return batchView(results, invitations.now, request.id);
    },
  });

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

  app.patch('/v1/organizations/:org_id/invitations/:invitation_id', {
    config: { auth: { scope: 'invitations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'updateInvitation',
      summary: 'Change a pending invitation',
      description:
        'Role (or actions), expiry, message and metadata, while pending. Send `If-Match` with the ETag you ' +
        'read to change only that version (412 otherwise).',
      params: InvitationParams,
      headers: z.object({ 'if-match': z.string().optional() }),
      body: InvitationUpdateSchema,
      response: { 200: InvitationSchema, ...problems(...COMMON, 409, 410, 412, 422) },
    },
    handler: async (request, reply) => {
      const invitation = await invitations.update(
        request.principal!,
        request.params.org_id,
        request.params.invitation_id,
        request.body,
        parseIfMatch(request.headers['if-match']),
      );
      reply.header('etag', etagOf(invitation));
      return invitationView(invitation, invitations.now);
    },
  });

  app.post('/v1/organizations/:org_id/invitations/:invitation_id/resend', {
    config: { auth: { scope: 'invitations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'resendInvitation',
      summary: 'Send an invitation again',
      description:
        'Rotates the token (the previous link stops working) and restarts the expiry; an expired ' +
        'invitation becomes pending again. Limited by the organization’s `max_sends_per_invitation`.',
      params: InvitationParams,
      body: optionalBody(InvitationResendSchema),
      response: { 200: InvitationCreatedSchema, ...problems(...COMMON, 409, 410) },
    },
    handler: async (request, reply) => {
      const body = request.body ?? { send_email: true };
      const { invitation, acceptUrl } = await invitations.resend(
        request.principal!,
        request.params.org_id,
        request.params.invitation_id,
        { sendEmail: body.send_email, ttlSeconds: body.ttl_seconds },
      );
      reply.header('etag', etagOf(invitation));
      return {
        ...invitationView(invitation, invitations.now),
        ...(acceptUrl ? { accept_url: acceptUrl } : {}),
      };
    },
  });

  app.post('/v1/organizations/:org_id/invitations/:invitation_id/revoke', {
    config: { auth: { scope: 'invitations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'revokeInvitation',
      summary: 'Revoke an invitation',
      description: 'Only a pending invitation can be revoked; its link stops working at once.',
      params: InvitationParams,
      response: { 200: InvitationSchema, ...problems(...COMMON, 409, 410) },
    },
    handler: async (request, reply) => {
      const invitation = await invitations.revoke(
        request.principal!,
        request.params.org_id,
        request.params.invitation_id,
      );
      reply.header('etag', etagOf(invitation));
      return invitationView(invitation, invitations.now);
    },
  });

  // The invitee's side.
  const INVITEE = ['Invitee'];

  app.get('/v1/me/invitations', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: {
      tags: INVITEE,
      operationId: 'listMyInvitations',
      summary: 'Invitations addressed to me',
      description: "Invitations sent to the signed-in user's email address, newest first.",
      querystring: MyInvitationsQuerySchema,
      response: { 200: ReceivedInvitationListSchema, ...problems(400, 401, 403) },
    },
    handler: async (request) => {
      const scope = { mine: true, status: request.query.status };
      const { page, organizations, resources, users } = await invitations.listMine(request.principal!, {
        statuses: request.query.status,
        after: decodePageToken(request.query.page_token, scope),
        pageSize: request.query.page_size,
      });
      return {
        invitations: page.invitations.map((invitation) =>
          receivedInvitationView(
            invitation,
            invitations.now,
            organizations.get(invitation.organizationId)!,
            invitation.resourceId ? resources.get(invitation.resourceId) : undefined,
            users.get(invitation.inviterUserId),
          ),
        ),
        next_page_token: page.nextAfter ? encodePageToken(page.nextAfter, scope) : null,
      };
    },
  });

  const respond = (verb: 'accept' | 'decline') => {
    const act =
      verb === 'accept' ? invitations.accept.bind(invitations) : invitations.decline.bind(invitations);
    const describe = async (invitation: InvitationRecord) => {
      const { organizations, resources, users } = await invitations.describe([invitation]);
      return receivedInvitationView(
        invitation,
        invitations.now,
        organizations.get(invitation.organizationId)!,
        invitation.resourceId ? resources.get(invitation.resourceId) : undefined,
        users.get(invitation.inviterUserId),
      );
    };
    app.post(`/v1/invitations/:invitation_id/${verb}`, {
      config: { auth: { scope: 'invitations:respond' } },
      schema: {
        tags: INVITEE,
        operationId: `${verb}Invitation`,
        summary: verb === 'accept' ? 'Accept an invitation' : 'Decline an invitation',
        description:
          'Only the invitee: the signed-in user whose email equals the invited one. ' +
          (verb === 'accept' ? 'Grants the role or the actions in the same transaction. ' : '') +
          'Expired or revoked: 410; already answered: 409.',
        params: InvitationIdParams,
        response: { 200: ReceivedInvitationSchema, ...problems(...COMMON, 409, 410) },
      },
      handler: async (request) =>
        describe(await act(request.principal!, { id: request.params.invitation_id })),
    });
    app.post(`/v1/invitations/${verb}`, {
      config: { auth: { scope: 'invitations:respond' } },
      schema: {
        tags: INVITEE,
        operationId: `${verb}InvitationByToken`,
        summary: verb === 'accept' ? 'Accept by link token' : 'Decline by link token',
        description:
          'The token from the invitation link, in the body (never in a URL). The signed-in email must ' +
          'still equal the invited one (403 `invitation_email_mismatch` otherwise).',
        body: TokenBodySchema,
        response: { 200: ReceivedInvitationSchema, ...problems(...COMMON, 409, 410) },
      },
      handler: async (request) => describe(await act(request.principal!, { token: request.body.token })),
    });
  };
  respond('accept');
  respond('decline');

  app.post('/v1/invitations/preview', {
    config: { auth: 'public' },
    schema: {
      tags: INVITEE,
      operationId: 'previewInvitation',
      summary: 'Preview an invitation by its link token',
      description:
        'No authentication and no side effect: the organization name, the inviter’s name, the role or ' +
        'resource, and the expiry. Nothing about the invitee.',
      body: TokenBodySchema,
      response: { 200: InvitationPreviewSchema, ...problems(400, 404, 409, 410) },
    },
    handler: async (request) => invitations.preview(request.body.token),
  });
}

function batchView(results: RowResult[], now: Date, requestId: string) {
  let created = 0;
  const rows = results.map((result) => {
    if (result.ok) {
      created++;
      return {
        index: result.index,
        status: 201,
        invitation: {
          ...invitationView(result.invitation, now),
          ...(result.acceptUrl ? { accept_url: result.acceptUrl } : {}),
        },
      };
    }
    const { request_id: _omit, ...error } = problemBody(result.error, requestId);
    return { index: result.index, status: result.error.status, error };
  });
  return { results: rows, created, failed: results.length - created };
}
