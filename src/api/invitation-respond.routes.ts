import { type App, COMMON, problems } from '../http/app-types.ts';
import { decodePageToken, encodePageToken, requireOnePagePosition } from '../http/pagination.ts';
import type { InvitationRecord } from '../invitations/invitation.repository.ts';
import {
  InvitationIdParams,
  InvitationPreviewSchema,
  MyInvitationsQuerySchema,
  ReceivedInvitationListSchema,
  ReceivedInvitationSchema,
  TokenBodySchema,
} from '../invitations/invitation.schemas.ts';
import type { InvitationService } from '../invitations/invitation.service.ts';
import { receivedInvitationView } from '../invitations/invitation.views.ts';

const INVITEE = ['Invitee'];

/** The invitee's side: what was sent to me, accept, decline, and the public link preview. */
export function invitationRespondRoutes(app: App, invitations: InvitationService) {
  app.get('/v1/me/invitations', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: {
      tags: INVITEE,
      operationId: 'listMyInvitations',
      summary: 'Invitations addressed to me',
      description:
        "Invitations sent to the signed-in user's email address, newest first. Pages as the " +
        'organization list does: `page_token`, `before` or `offset`, at most one of them.',
      querystring: MyInvitationsQuerySchema,
      response: {
        200: ReceivedInvitationListSchema.describe('A page of invitations addressed to you.'),
        ...problems(400, 401, 403),
      },
    },
    handler: async (request) => {
      const scope = { mine: true, status: request.query.status && [...new Set(request.query.status)].sort() };
      requireOnePagePosition(request.query);
      const { page, organizations, resources, users } = await invitations.listMine(request.principal!, {
        statuses: request.query.status,
        after: decodePageToken(request.query.page_token, scope),
        before: decodePageToken(request.query.before, scope, 'before'),
        offset: request.query.offset,
        pageSize: request.query.page_size,
      });
      return {
        invitations: page.invitations.map((invitation) =>
          receivedInvitationView(
            invitation,
            invitations.now,
            organizations.get(invitation.organizationId)!,
            resources,
            users.get(invitation.inviterUserId),
          ),
        ),
        next_page_token: page.nextAfter ? encodePageToken(page.nextAfter, scope) : null,
        prev_page_token: page.prevBefore ? encodePageToken(page.prevBefore, scope, 'before') : null,
      };
    },
  });

  respondRoutes(app, invitations, 'accept');
  respondRoutes(app, invitations, 'decline');

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
      response: {
        200: InvitationPreviewSchema.describe('What the link invites to.'),
        ...problems(400, 404, 409, 410),
      },
    },
    handler: async (request) => invitations.preview(request.body.token),
  });
}

/** Accept or decline, by invitation id or by the link's token. */
function respondRoutes(app: App, invitations: InvitationService, verb: 'accept' | 'decline') {
  const act =
    verb === 'accept' ? invitations.accept.bind(invitations) : invitations.decline.bind(invitations);
  const answered =
    verb === 'accept'
      ? 'The accepted invitation; you now hold the role or the actions.'
      : 'The declined invitation.';
  const describe = async (invitation: InvitationRecord) => {
    const { organizations, resources, users } = await invitations.describe([invitation]);
    return receivedInvitationView(
      invitation,
      invitations.now,
      organizations.get(invitation.organizationId)!,
      resources,
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
      response: { 200: ReceivedInvitationSchema.describe(answered), ...problems(...COMMON, 409, 410) },
    },
    handler: async (request) => describe(await act(request.principal!, { id: request.params.invitation_id })),
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
      response: { 200: ReceivedInvitationSchema.describe(answered), ...problems(...COMMON, 409, 410) },
    },
    handler: async (request) => describe(await act(request.principal!, { token: request.body.token })),
  });
}
