import { z } from 'zod';
import { type App, COMMON, optionalBody, problems } from '../http/app-types.ts';
import { strongIfMatchTags } from '../http/if-match.ts';
import {
  InvitationCreatedSchema,
  InvitationParams,
  InvitationResendSchema,
  InvitationSchema,
  InvitationUpdateSchema,
} from '../invitations/invitation.schemas.ts';
import type { InvitationService } from '../invitations/invitation.service.ts';
import { etagOf, invitationView } from '../invitations/invitation.views.ts';
import { AppError } from '../lib/errors.ts';
import { TAGS } from './invitation-route.params.ts';

const ENTITY_TAGS = /^(?:W\/)?"[\x21\x23-\x7e]*"(?:\s*,\s*(?:W\/)?"[\x21\x23-\x7e]*")*$/;

/**
 * The versions If-Match accepts: `"3"`, a list of tags, or `*` (undefined: any). A weak or other tag
 * that is not a version can never match, so a list of only such tags fails the precondition
 * (412), as RFC 9110 has it; a header that is not entity tags at all is a bad request.
 */
function parseIfMatch(header: string | undefined): number[] | undefined {
  const tags = strongIfMatchTags(header);
  if (tags === undefined) return undefined;
  if (!ENTITY_TAGS.test(header!.trim())) {
    throw new AppError(400, 'invalid_if_match', 'Invalid If-Match', 'If-Match must be an ETag such as "3".');
  }
  return tags.flatMap((tag) => {
    const version = /^"(\d{1,15})"$/.exec(tag);
    return version ? [Number(version[1])] : [];
  });
}

/** An admin changes, resends or revokes an open invitation. */
export function invitationManageRoutes(app: App, invitations: InvitationService) {
  registerUpdateInvitation(app, invitations);
  registerResendInvitation(app, invitations);
  registerRevokeInvitation(app, invitations);
}

function registerUpdateInvitation(app: App, invitations: InvitationService) {
  app.patch('/v1/organizations/:org_id/invitations/:invitation_id', {
    config: { auth: { scope: 'invitations:write' }, responseHeaders: { 200: ['ETag'] } },
    schema: {
      tags: TAGS,
      operationId: 'updateInvitation',
      summary: 'Change a pending invitation',
      description:
        'Role (or actions), expiry, message, metadata and redirect URL, while pending. Send `If-Match` with the ETag you ' +
        'read to change only that version (412 otherwise).',
      params: InvitationParams,
      headers: z.object({ 'if-match': z.string().optional() }),
      body: InvitationUpdateSchema,
      response: {
        200: InvitationSchema.describe('The invitation as changed.'),
        ...problems(...COMMON, 409, 410, 412, 422),
      },
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
      return invitationView(invitation, invitations.now, await invitations.isInviteeShown(invitation));
    },
  });
}

function registerResendInvitation(app: App, invitations: InvitationService) {
  app.post('/v1/organizations/:org_id/invitations/:invitation_id/resend', {
    config: { auth: { scope: 'invitations:write' }, responseHeaders: { 200: ['ETag'] } },
    schema: {
      tags: TAGS,
      operationId: 'resendInvitation',
      summary: 'Send an invitation again',
      description:
        'Rotates the token (the previous link stops working) and restarts the expiry; an expired ' +
        'invitation becomes pending again. Limited by the organization’s `max_sends_per_invitation`.',
      params: InvitationParams,
      body: optionalBody(InvitationResendSchema),
      response: {
        200: InvitationCreatedSchema.describe(
          'The invitation, sent again (with `accept_url` when `send_email` was false).',
        ),
        ...problems(...COMMON, 409, 410),
      },
    },
    handler: async (request, reply) => {
      const body = request.body ?? { send_email: true };
      const { invitation, acceptUrl } = await invitations.resend(
        request.principal!,
        request.params.org_id,
        request.params.invitation_id,
        { sendEmail: body.send_email, ttlSeconds: body.ttl_seconds, locale: body.locale },
      );
      reply.header('etag', etagOf(invitation));
      return {
        ...invitationView(invitation, invitations.now, await invitations.isInviteeShown(invitation)),
        ...(acceptUrl ? { accept_url: acceptUrl } : {}),
      };
    },
  });
}

function registerRevokeInvitation(app: App, invitations: InvitationService) {
  app.post('/v1/organizations/:org_id/invitations/:invitation_id/revoke', {
    config: { auth: { scope: 'invitations:write' }, responseHeaders: { 200: ['ETag'] } },
    schema: {
      tags: TAGS,
      operationId: 'revokeInvitation',
      summary: 'Revoke an invitation',
      description: 'Only a pending invitation can be revoked; its link stops working at once.',
      params: InvitationParams,
      response: {
        200: InvitationSchema.describe('The revoked invitation.'),
        ...problems(...COMMON, 409, 410),
      },
    },
    handler: async (request, reply) => {
      const invitation = await invitations.revoke(
        request.principal!,
        request.params.org_id,
        request.params.invitation_id,
      );
      reply.header('etag', etagOf(invitation));
      return invitationView(invitation, invitations.now, await invitations.isInviteeShown(invitation));
    },
  });
}
