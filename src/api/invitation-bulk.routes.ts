import { type App, COMMON, problems } from '../http/app-types.ts';
import { problemBody } from '../http/problem.ts';
import type { BulkRowResult, BulkSelection, InvitationService } from '../invitations/invitation.service.ts';
import { invitationView } from '../invitations/invitation.views.ts';
import {
  BulkResendSchema,
  BulkResultSchema,
  BulkRevokeSchema,
  type InvitationFilterInput,
} from '../invitations/invitation-bulk.schemas.ts';
import { AppError } from '../lib/errors.ts';
import { filterOf, OrgParams, TAGS } from './invitation-route.params.ts';

/** An admin revokes or resends many invitations in one call, each answered on its own. */
export function invitationBulkRoutes(app: App, invitations: InvitationService) {
  app.post('/v1/organizations/:org_id/invitations/bulk-revoke', {
    config: { auth: { scope: 'invitations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'revokeInvitations',
      summary: 'Revoke many invitations',
      description:
        'By `ids` or by `filter` (the list’s filters; pending ones when no status is given), up to 1,000. ' +
        'Each invitation is revoked as a single revoke would, and answered on its own: `status` is what ' +
        'revoking it alone would have answered.',
      params: OrgParams,
      body: BulkRevokeSchema,
      response: {
        200: BulkResultSchema.describe(
          'One result per invitation, in order: what acting on it alone answered.',
        ),
        ...problems(...COMMON, 422),
      },
    },
    handler: async (request) => {
      const results = await invitations.revokeMany(
        request.principal!,
        request.params.org_id,
        selectionOf(request.body),
      );
      return bulkView(invitations, results, request.id, 200);
    },
  });

  app.post('/v1/organizations/:org_id/invitations/bulk-resend', {
    config: { auth: { scope: 'invitations:write' } },
    schema: {
      tags: TAGS,
      operationId: 'resendInvitations',
      summary: 'Resend many invitations',
      description:
        'By `ids` or by `filter` (pending and expired ones when no status is given), up to 1,000. Each ' +
        'is resent as a single resend would (new link, send cap, rate limits, optional `locale`) and ' +
        'answered on its own; with `send_email: false` each row carries its `accept_url`, once.',
      params: OrgParams,
      body: BulkResendSchema,
      response: {
        200: BulkResultSchema.describe(
          'One result per invitation, in order: what acting on it alone answered.',
        ),
        ...problems(...COMMON, 422),
      },
    },
    handler: async (request) => {
      const { send_email, ttl_seconds, locale, ...selection } = request.body;
      const results = await invitations.resendMany(
        request.principal!,
        request.params.org_id,
        selectionOf(selection),
        { sendEmail: send_email, ttlSeconds: ttl_seconds, locale },
      );
      return bulkView(invitations, results, request.id, 200);
    },
  });
}

function selectionOf(body: { ids?: string[] | undefined; filter?: InvitationFilterInput | undefined }) {
  if ((body.ids === undefined) === (body.filter === undefined)) {
    throw new AppError(422, 'invalid_selection', 'Invalid selection', 'Give either `ids` or `filter`.', {
      extras: { errors: [{ pointer: '/body', detail: 'exactly one of ids and filter' }] },
    });
  }
  const selection: BulkSelection = body.ids ? { ids: body.ids } : { filter: filterOf(body.filter!) };
  return selection;
}

async function bulkView(
  invitations: InvitationService,
  results: BulkRowResult[],
  requestId: string,
  okStatus: number,
) {
  const now = invitations.now;
  const shown = await invitations.inviteeShown(
    results.flatMap((result) => (result.ok ? [result.invitation] : [])),
  );
  let succeeded = 0;
  const rows = results.map((result) => {
    if (result.ok) {
      succeeded++;
      return {
        id: result.id,
        status: okStatus,
        invitation: {
          ...invitationView(result.invitation, now, shown.has(result.invitation.id)),
          ...(result.acceptUrl ? { accept_url: result.acceptUrl } : {}),
        },
      };
    }
    const { request_id: _omit, ...error } = problemBody(result.error, requestId);
    return { id: result.id, status: result.error.status, error };
  });
  return { results: rows, succeeded, failed: results.length - succeeded };
}
