import { jwtVerify, SignJWT } from 'jose';
import { newId } from '../lib/ids.ts';
import {
  constantTimeEqual,
  encrypt,
  INVITATION_TOKEN_PREFIX,
  isWellFormedTypedSecret,
  sha256,
} from '../lib/secrets.ts';
import type { OutboxMessage } from '../outbox/outbox.repository.ts';
import type { InvitationDeps } from './invitation.context.ts';
import { invitationNotFound } from './invitation.errors.ts';
import { findInvitation, findInvitationByTokenHash, type InvitationRecord } from './invitation.repository.ts';

// The invitee's link: the secret it carries is their only proof, so it is made, sealed and
// resolved here and nowhere else.

export const INVITATION_JWT_AUDIENCE = 'rsvp:invitation';
const INVITATION_JWT_TYPE = 'rsvp-invitation+jwt';

export function acceptUrl(deps: InvitationDeps, token: string): string {
  return `${deps.publicUrl}/invite?token=${token}`;
}

/** The link the invitee gets: the raw token, or a JWT that resolves to it (see `byToken`). */
export async function acceptUrlFor(
  deps: InvitationDeps,
  invitation: InvitationRecord,
  token: string,
): Promise<string> {
  if (invitation.linkStyle === 'token') return acceptUrl(deps, token);
  const jwt = await new SignJWT({ th: invitation.tokenHash })
    .setProtectedHeader({ alg: 'HS256', typ: INVITATION_JWT_TYPE })
    .setIssuer(deps.publicUrl)
    .setAudience(INVITATION_JWT_AUDIENCE)
    .setSubject(invitation.id)
    .setIssuedAt(Math.floor(invitation.updatedAt.getTime() / 1000))
    .sign(deps.keys.invitationSigning);
  return acceptUrl(deps, jwt);
}

/**
 * The invitation a link's secret opens: an `rsvp_it_` token, or an invitation JWT of this
 * instance whose token hash is still the invitation's (a resend rotates it, so older JWTs,
 * like older tokens, stop working).
 */
export async function byToken(deps: InvitationDeps, token: string): Promise<InvitationRecord> {
  const db = deps.database.db;
  if (isWellFormedTypedSecret(INVITATION_TOKEN_PREFIX, token)) {
    const invitation = await findInvitationByTokenHash(db, sha256(token));
    if (!invitation) throw invitationNotFound();
    return invitation;
  }
  if (token.split('.').length !== 3) throw invitationNotFound();
  let claims: { sub?: string; th?: unknown };
  try {
    ({ payload: claims } = await jwtVerify(token, deps.keys.invitationSigning, {
      algorithms: ['HS256'],
      issuer: deps.publicUrl,
      audience: INVITATION_JWT_AUDIENCE,
      typ: INVITATION_JWT_TYPE,
    }));
  } catch {
    throw invitationNotFound();
  }
  const invitation = claims.sub ? await findInvitation(db, claims.sub) : undefined;
  if (!invitation || typeof claims.th !== 'string' || !constantTimeEqual(claims.th, invitation.tokenHash)) {
    throw invitationNotFound();
  }
  return invitation;
}

export function emailMessage(
  deps: InvitationDeps,
  invitation: InvitationRecord,
  link: string,
  now: Date,
): OutboxMessage {
  return {
    id: newId('obx', now),
    kind: 'email',
    topic: 'invitation.email',
    organizationId: invitation.organizationId,
    invitationId: invitation.id,
    dedupeKey: `invitation-email:${invitation.id}:${invitation.sendCount}`,
    // The link is sealed: the outbox is the one place a live token waits, and it waits encrypted.
    payload: {
      invitation_id: invitation.id,
      send_number: invitation.sendCount,
      to: invitation.email,
      locale: invitation.locale,
      sealed_accept_url: encrypt(deps.keys.encryption, link),
      // Not secret (the database keeps it too): which token the link carries, so that an email
      // overtaken by a newer link is not sent, and a delivered one can vouch for its token.
      token_hash: invitation.tokenHash,
    },
    createdAt: now,
  };
}
