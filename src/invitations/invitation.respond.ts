import type { Principal } from '../access/principal.ts';
import { findRole } from '../access/roles.ts';
import { requireVerifiedEmail } from '../access/verified-email.ts';
import type { Executor } from '../db/database.ts';
import { recordEvents } from '../events/event.recorder.ts';
import { auditEvent } from '../events/event.repository.ts';
import { maskEmail } from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import {
  findMembership,
  insertMembership,
  setMembershipMetadata,
  setMembershipRole,
} from '../memberships/membership.repository.ts';
import { organizationAccess } from '../organizations/organization.access.ts';
import { findOrganization } from '../organizations/organization.repository.ts';
import { findGrant, findResources, putGrant } from '../resources/resource.repository.ts';
import { type InvitationDeps, invitationEvent, notPendingNow } from './invitation.context.ts';
import { invitationNotFound } from './invitation.errors.ts';
import { byToken } from './invitation.links.ts';
import { findInvitation, type InvitationRecord, transitionFromPending } from './invitation.repository.ts';

// Responding: the invitee, and only the invitee, accepts or declines. Each answer is one
// compare-and-set from pending, so of two concurrent answers exactly one wins.

export type ResponderRef = { id: string } | { token: string };

/**
 * Accepts as the signed-in invitee. One compare-and-set decides the winner among concurrent
 * accepts; the membership or grant is written in the same transaction, so an accepted
 * invitation always has its access and a failed one never does.
 */
export function acceptInvitation(
  deps: InvitationDeps,
  principal: Principal,
  ref: ResponderRef,
): Promise<InvitationRecord> {
  return respond(deps, principal, ref, 'accepted', async (trx, updated, now) => {
    const granted = await grantResources(trx, updated, principal.user.id, now);
    const joined = updated.resourceId ? false : await joinOrganization(trx, updated, principal.user.id, now);
    await recordEvents(trx, [
      invitationEvent(
        deps,
        updated,
        'invitation.accepted',
        'pending',
        'accepted',
        principal,
        updated.grants ? { granted_resource_ids: granted } : {},
      ),
      ...(joined
        ? [
            auditEvent({
              type: 'membership.created',
              organizationId: updated.organizationId,
              subject: { type: 'membership', id: `${updated.organizationId}/${principal.user.id}` },
              actor: principal,
              now,
              invitationId: updated.id,
              data: {
                user_id: principal.user.id,
                role: updated.role,
                via: 'invitation',
                ...metadataOf(updated),
              },
              snapshot: {
                membership: {
                  organization_id: updated.organizationId,
                  user_id: principal.user.id,
                  email: principal.user.email,
                  role: updated.role,
                },
              },
            }),
          ]
        : []),
    ]);
  });
}

/** Only what the invitation carries: existing payloads keep their shape. */
function metadataOf(invitation: InvitationRecord) {
  return {
    ...(Object.keys(invitation.publicMetadata).length ? { public_metadata: invitation.publicMetadata } : {}),
    ...(Object.keys(invitation.privateMetadata).length
      ? { private_metadata: invitation.privateMetadata }
      : {}),
  };
}

/**
 * The actions a resource invitation, or each grant of a combined one, gives; added to what the
 * invitee already holds. A combined invitation's resource deleted since is skipped (deleting it
 * left the invitation's other targets standing). Returns the resources granted.
 */
async function grantResources(
  trx: Executor,
  invitation: InvitationRecord,
  userId: string,
  now: Date,
): Promise<string[]> {
  let grants = invitation.grants ?? [];
  if (invitation.resourceId)
    grants = [{ resourceId: invitation.resourceId, actions: invitation.actions ?? [] }];
  else if (grants.length > 0) {
    const standing = new Set(
      (
        await findResources(
          trx,
          grants.map((grant) => grant.resourceId),
        )
      )
        .filter((resource) => resource.organizationId === invitation.organizationId)
        .map((resource) => resource.id),
    );
    grants = grants.filter((grant) => standing.has(grant.resourceId));
  }
  for (const { resourceId, actions: invited } of grants) {
    const grant = await findGrant(trx, resourceId, userId);
    const actions = [...new Set([...(grant?.actions ?? []), ...invited])].sort();
    await putGrant(trx, { resourceId, userId, actions, createdAt: grant?.createdAt ?? now, updatedAt: now });
  }
  return grants.map((grant) => grant.resourceId);
}

/**
 * An existing member keeps the higher of their role and the invited one, and gets the
 * invitation's metadata merged over theirs (key by key); true when newly joined.
 */
async function joinOrganization(
  trx: Executor,
  invitation: InvitationRecord,
  userId: string,
  now: Date,
): Promise<boolean> {
  const membership = await findMembership(trx, invitation.organizationId, userId);
  if (!membership) {
    await insertMembership(trx, {
      organizationId: invitation.organizationId,
      userId,
      role: invitation.role!,
      createdAt: now,
      updatedAt: now,
      publicMetadata: invitation.publicMetadata,
      privateMetadata: invitation.privateMetadata,
    });
    return true;
  }
  if (Object.keys(metadataOf(invitation)).length > 0) {
    await setMembershipMetadata(
      trx,
      invitation.organizationId,
      userId,
      {
        publicMetadata: { ...membership.publicMetadata, ...invitation.publicMetadata },
        privateMetadata: { ...membership.privateMetadata, ...invitation.privateMetadata },
      },
      now,
    );
  }
  const organization = await findOrganization(trx, invitation.organizationId);
  const roles = organization!.settings.roles;
  const current = findRole(roles, membership.role)?.rank ?? -1;
  const invited = findRole(roles, invitation.role!)?.rank ?? -1;
  if (invited > current)
    await setMembershipRole(trx, invitation.organizationId, userId, invitation.role!, now);
  return false;
}

export function declineInvitation(
  deps: InvitationDeps,
  principal: Principal,
  ref: ResponderRef,
): Promise<InvitationRecord> {
  return respond(deps, principal, ref, 'declined', (trx, updated) =>
    recordEvents(trx, [
      invitationEvent(deps, updated, 'invitation.declined', 'pending', 'declined', principal),
    ]),
  );
}

/**
 * The one answer path: the compare-and-set from pending as the invitee, then `effects` (access,
 * events) in the same transaction, so a lost race or a failed effect writes nothing.
 */
async function respond(
  deps: InvitationDeps,
  principal: Principal,
  ref: ResponderRef,
  status: 'accepted' | 'declined',
  effects: (trx: Executor, updated: InvitationRecord, now: Date) => Promise<void>,
): Promise<InvitationRecord> {
  const invitation = await forResponder(deps, principal, ref);
  const now = deps.clock.now();
  return deps.database.db.transaction().execute(async (trx) => {
    const updated = await transitionFromPending(trx, invitation.id, now, {
      status,
      respondedAt: now,
      respondedByUserId: principal.user.id,
      inviteeUserId: principal.user.id,
    });
    if (!updated) throw await notPendingNow(deps, trx, invitation.id);
    await effects(trx, updated, now);
    return updated;
  });
}

/**
 * Finds the invitation the caller responds to. By id: visible only to its invitee (an admin
 * of the organization is told they are not the invitee; anyone else gets 404). By token:
 * holding the link proves nothing about identity, so the signed-in email must still match.
 */
async function forResponder(
  deps: InvitationDeps,
  principal: Principal,
  ref: ResponderRef,
): Promise<InvitationRecord> {
  const me = principal.user.emailCanonical;
  if ('token' in ref) {
    const invitation = await byToken(deps, ref.token);
    if (invitation.emailCanonical !== me) {
      throw new AppError(
        403,
        'invitation_email_mismatch',
        'Invitation is for another address',
        `This invitation was sent to ${maskEmail(invitation.email)}; sign in with that address to respond.`,
        { extras: { invited_email: maskEmail(invitation.email) } },
      );
    }
    return invitation;
  }
  const db = deps.database.db;
  const invitation = await findInvitation(db, ref.id);
  if (!invitation) throw invitationNotFound();
  if (invitation.emailCanonical !== me) {
    const access = await organizationAccess(db, principal, invitation.organizationId).catch(() => null);
    if (access?.isAdmin) {
      throw new AppError(403, 'not_the_invitee', 'Not the invitee', 'Only the invited person can respond.');
    }
    throw invitationNotFound();
  }
  requireVerifiedEmail(principal.user, 'Answering an invitation without its link');
  return invitation;
}
