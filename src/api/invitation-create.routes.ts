import { type App, COMMON, problems } from '../http/app-types.ts';
import { problemBody, sendProblem } from '../http/problem.ts';
import {
  InvitationBatchCreateSchema,
  InvitationBatchResultSchema,
  InvitationCreatedSchema,
  InvitationCreateSchema,
} from '../invitations/invitation.schemas.ts';
import type { InvitationService, RowResult } from '../invitations/invitation.service.ts';
import { etagOf, invitationView } from '../invitations/invitation.views.ts';
import { OrgParams, TAGS } from './invitation-route.params.ts';

/** An admin invites one address, or many rows each answered on its own. */
export function invitationCreateRoutes(app: App, invitations: InvitationService) {
  app.post('/v1/organizations/:org_id/invitations', {
    config: { auth: { scope: 'invitations:write' }, responseHeaders: { 201: ['ETag'], 409: ['Location'] } },
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
      response: {
        201: InvitationCreatedSchema.describe(
          'The invitation (with `accept_url` when `send_email` was false).',
        ),
        ...problems(...COMMON, 402, 409, 422),
      },
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
        ...invitationView(invitation, invitations.now, await invitations.isInviteeShown(invitation)),
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
      response: {
        200: InvitationBatchResultSchema.describe(
          'One result per row, in request order: the invitation or the problem that row met.',
        ),
        ...problems(...COMMON),
      },
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
      const shown = await invitations.inviteeShown(
        results.flatMap((result) => (result.ok ? [result.invitation] : [])),
      );
      return batchView(results, invitations.now, shown, request.id);
    },
  });
}

function batchView(results: RowResult[], now: Date, shown: Set<string>, requestId: string) {
  let created = 0;
  const rows = results.map((result) => {
    if (result.ok) {
      created++;
      return {
        index: result.index,
        status: 201,
        invitation: {
          ...invitationView(result.invitation, now, shown.has(result.invitation.id)),
          ...(result.acceptUrl ? { accept_url: result.acceptUrl } : {}),
        },
      };
    }
    const { request_id: _omit, ...error } = problemBody(result.error, requestId);
    return { index: result.index, status: result.error.status, error };
  });
  return { results: rows, created, failed: results.length - created };
}
