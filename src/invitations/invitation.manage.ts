import type { Principal } from '../access/principal.ts';
import { findRole, requireRole, unknownRole } from '../access/roles.ts';
import { type Executor, isUniqueViolation } from '../db/database.ts';
import { recordEvents } from '../events/event.recorder.ts';
import { transitionEvent } from '../events/event.repository.ts';
import { AppError } from '../lib/errors.ts';
import { describeWindow, tooManyRequests } from '../lib/rate-limiter.ts';
import { INVITATION_TOKEN_PREFIX, newTypedSecret, sha256 } from '../lib/secrets.ts';
import { requireRankAtMost } from '../organizations/organization.access.ts';
import { lockOrganization, settingsForWrite } from '../organizations/organization.repository.ts';
import type { OrganizationSettings } from '../organizations/organization.schemas.ts';
import { enqueue } from '../outbox/outbox.repository.ts';
import { findUserById, updateUser } from '../users/user.repository.ts';
import {
  adminInvitation,
  conflictAfterRace,
  type InvitationDeps,
  invalidTarget,
  invitationEvent,
  notPendingNow,
  preconditionFailed,
  recipientRules,
  remindAt,
  requireAllowedRedirect,
  resolveExpiry,
  sendLimitReached,
} from './invitation.context.ts';
import { invitationNotFound, notPending } from './invitation.errors.ts';
import { acceptUrlFor, emailMessage } from './invitation.links.ts';
import { countInvitations } from './invitation.query.ts';
import {
  effectiveStatus,
  findInvitation,
  type InvitationChanges,
  type InvitationRecord,
  pendingByTargetAndEmail,
  transitionFromOpen,
  transitionFromPending,
  updateIfVersion,
} from './invitation.repository.ts';
import { pendingGranting, revokePendingForResource } from './invitation.resources.repository.ts';
import type { InvitationUpdateInput } from './invitation.schemas.ts';
import { takeRecipientEmail } from './recipient-limits.ts';

// Managing: an organization's admins change, resend or revoke its open invitations. Every
// change is a compare-and-set on the invitation's version or status.

export interface ResendOptions {
  sendEmail: boolean;
  ttlSeconds?: number | undefined;
  /** The language of this email and those after it; unchanged when omitted. */
  locale?: string | undefined;
  /** False for surfaces that throttle resends their own documented way (CVAT: per user). */
  perInvitationLimit?: boolean;
}

/**
 * Changes a pending invitation. With `ifMatch` (the versions the caller accepts, from If-Match),
 * only one of those versions is changed (412 otherwise); without it the change applies to the
 * current version.
 */
export async function updateInvitation(
  deps: InvitationDeps,
  principal: Principal,
  organizationRef: string,
  id: string,
  input: InvitationUpdateInput,
  ifMatch: readonly number[] | undefined,
): Promise<InvitationRecord> {
  const { access, invitation } = await adminInvitation(
    deps,
    principal,
    organizationRef,
    id,
    'change invitations',
  );
  const now = deps.clock.now();
  if (ifMatch !== undefined && !ifMatch.includes(invitation.version))
    throw preconditionFailed(invitation.version);
  const status = effectiveStatus(invitation, now);
  if (status !== 'pending') throw notPending(status, invitation.id);
  const changes: InvitationChanges = {};
  if (input.role !== undefined) {
    if (invitation.resourceId) throw invalidTarget('A resource invitation has actions, not a role.');
    const role = requireRole(access.organization.settings.roles, input.role);
    requireRankAtMost(access, role);
    changes.role = role.name;
  }
  if (input.actions !== undefined) {
    if (!invitation.resourceId) throw invalidTarget('An organization invitation has a role, not actions.');
    changes.actions = [...new Set(input.actions)].sort();
  }
  if (input.ttl_seconds !== undefined || input.expire_time !== undefined) {
    changes.expiresAt = resolveExpiry(input, now, access.organization.settings.default_ttl_seconds);
    if (invitation.sendCount > 0 && invitation.reminderSentAt === null) {
      changes.remindAt = remindAt(
        changes.expiresAt,
        access.organization.settings.reminder_before_expiry_seconds,
        now,
      );
    }
  }
  if (input.message !== undefined) changes.message = input.message || null;
  if (input.metadata !== undefined) changes.metadata = input.metadata;
  if (input.public_metadata !== undefined) changes.publicMetadata = input.public_metadata;
  if (input.private_metadata !== undefined) changes.privateMetadata = input.private_metadata;
  if (input.redirect_url !== undefined) {
    requireAllowedRedirect(deps, input.redirect_url, '/redirect_url');
    changes.redirectUrl = input.redirect_url;
  }
  return deps.database.db.transaction().execute(async (trx) => {
    if (changes.role !== undefined && changes.role !== null) {
      const { roles } = await settingsForWrite(trx, deps.database.engine, invitation.organizationId, 'share');
      if (!findRole(roles, changes.role)) throw unknownRole(changes.role, roles);
    }
    const updated = await updateIfVersion(trx, id, invitation.version, now, changes);
    if (!updated) throw await conflictAfterRace(deps, trx, id, ifMatch !== undefined);
    await recordEvents(trx, [
      invitationEvent(deps, updated, 'invitation.updated', 'pending', 'pending', principal, {
        fields: Object.keys(input).sort(),
      }),
    ]);
    return updated;
  });
}

/**
 * Sends the invitation again with a fresh token (the old link stops working) and a fresh
 * expiry. Works on pending and expired invitations; bounded by the organization's send cap.
 */
export async function resendInvitation(
  deps: InvitationDeps,
  principal: Principal,
  organizationRef: string,
  id: string,
  options: ResendOptions,
): Promise<{ invitation: InvitationRecord; acceptUrl?: string }> {
  const { access, invitation } = await adminInvitation(
    deps,
    principal,
    organizationRef,
    id,
    'resend invitations',
  );
  const now = deps.clock.now();
  const status = effectiveStatus(invitation, now);
  if (status !== 'pending' && status !== 'expired') throw notPending(status, invitation.id);
  const settings = access.organization.settings;
  if (options.sendEmail) await chargeResend(deps, invitation, settings, options);
  try {
    const result = await rotateAndSend(deps, principal, invitation, settings, options, now);
    if (options.sendEmail) deps.onQueued();
    return result;
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new AppError(
        409,
        'invitation_already_pending',
        'Invitation already pending',
        'Another pending invitation to the same address and target exists; resend that one.',
      );
    }
    throw error;
  }
}

/** The send cap, the per-invitation resend rate and the recipient's cap, in that order. */
async function chargeResend(
  deps: InvitationDeps,
  invitation: InvitationRecord,
  settings: OrganizationSettings,
  options: ResendOptions,
): Promise<void> {
  if (invitation.sendCount >= settings.max_sends_per_invitation) throw sendLimitReached(invitation, settings);
  if (options.perInvitationLimit !== false) {
    const resendRule = deps.abuseLimits.perInvitationResend;
    const resends = await deps.rateLimiter.consume(`resend:${invitation.id}`, resendRule);
    if (!resends.allowed) {
      throw tooManyRequests(
        resends,
        resendRule,
        `An invitation may be resent ${resendRule.limit} times per ${describeWindow(resendRule.windowMs)}.`,
        'resend_limit_reached',
      );
    }
  }
  const refusal = await takeRecipientEmail(
    deps.rateLimiter,
    recipientRules(deps),
    invitation.organizationId,
    invitation.emailCanonical,
    'This address',
  );
  if (refusal) throw refusal;
}

/** A fresh token and expiry under the organization's lock, with the email queued in the same commit. */
async function rotateAndSend(
  deps: InvitationDeps,
  principal: Principal,
  invitation: InvitationRecord,
  settings: OrganizationSettings,
  options: ResendOptions,
  now: Date,
): Promise<{ invitation: InvitationRecord; acceptUrl?: string }> {
  const id = invitation.id;
  const token = newTypedSecret(INVITATION_TOKEN_PREFIX);
  const ttlMs = (options.ttlSeconds ?? settings.default_ttl_seconds) * 1000;
  const changes: InvitationChanges = {
    status: 'pending',
    tokenHash: sha256(token),
    expiresAt: new Date(now.getTime() + ttlMs),
    deliveryState: options.sendEmail ? 'queued' : 'not_sent',
    deliveryError: null,
    reminderSentAt: null,
    ...(options.locale !== undefined ? { locale: options.locale } : {}),
    remindAt: options.sendEmail
      ? remindAt(new Date(now.getTime() + ttlMs), settings.reminder_before_expiry_seconds, now)
      : null,
    ...(options.sendEmail ? { sendCount: invitation.sendCount + 1, lastSentAt: now } : {}),
  };
  return deps.database.db.transaction().execute(async (trx) => {
    await lockOrganization(trx, deps.database.engine, invitation.organizationId);
    // A resend asks for no version check: it applies to the invitation as it is now, so the
    // service's own background work (the sweeper expiring it) never makes it fail.
    const current = (await findInvitation(trx, id)) ?? invitation;
    const currentStatus = effectiveStatus(current, now);
    if (currentStatus !== 'pending' && currentStatus !== 'expired') throw notPending(currentStatus, id);
    if (currentStatus === 'expired') await requireTargetsFree(trx, current);
    if (options.sendEmail) {
      if (current.sendCount >= settings.max_sends_per_invitation) throw sendLimitReached(current, settings);
      changes.sendCount = current.sendCount + 1;
    }
    const updated = await updateIfVersion(trx, id, current.version, now, changes);
    if (!updated) throw await conflictAfterRace(deps, trx, id, false);
    const events = [];
    if (current.status === 'pending' && currentStatus === 'expired') {
      events.push(
        invitationEvent(deps, current, 'invitation.expired', 'pending', 'expired', null, {
          reason: 'lapsed',
        }),
      );
    }
    events.push(
      invitationEvent(deps, updated, 'invitation.resent', currentStatus, 'pending', principal, {
        send_email: options.sendEmail,
      }),
    );
    await recordEvents(trx, events);
    const link = await acceptUrlFor(deps, updated, token);
    if (options.sendEmail) await enqueue(trx, [emailMessage(deps, updated, link, now)]);
    return { invitation: updated, ...(options.sendEmail ? {} : { acceptUrl: link }) };
  });
}

/**
 * An expired invitation pending again must not meet another pending one for the same address
 * on any of its targets; the index sees only its own target, so its grants are checked here.
 */
async function requireTargetsFree(trx: Executor, invitation: InvitationRecord): Promise<void> {
  const pending = await pendingByTargetAndEmail(trx, invitation.organizationId, [invitation.emailCanonical]);
  const targets = [invitation.targetKey, ...(invitation.grants ?? []).map((grant) => grant.resourceId)];
  const other = targets
    .map((target) => pending.get(`${target}|${invitation.emailCanonical}`))
    .find((found) => found !== undefined && found !== invitation.id);
  if (other) {
    throw new AppError(
      409,
      'invitation_already_pending',
      'Invitation already pending',
      'Another pending invitation to the same address and target exists; resend that one.',
      { extras: { existing_invitation_id: other } },
    );
  }
}

export interface RevokeOptions {
  deactivatePlaceholder?: boolean;
  /** Revoke an expired invitation too, for wire formats in which deleting removes any open one (CVAT). */
  includeExpired?: boolean;
}

/** Revokes by id alone, for wire formats whose paths do not name the organization. */
export async function revokeInvitationById(
  deps: InvitationDeps,
  principal: Principal,
  id: string,
): Promise<InvitationRecord> {
  const invitation = await findInvitation(deps.database.db, id);
  if (!invitation) throw invitationNotFound();
  return revokeInvitation(deps, principal, invitation.organizationId, id);
}

/**
 * Revokes a pending invitation. With `deactivatePlaceholder`, an invitee who never registered
 * and has no other pending invitation is deactivated too (a later invitation revives them).
 */
export async function revokeInvitation(
  deps: InvitationDeps,
  principal: Principal,
  organizationRef: string,
  id: string,
  options: RevokeOptions = {},
): Promise<InvitationRecord> {
  const { invitation } = await adminInvitation(deps, principal, organizationRef, id, 'revoke invitations');
  const now = deps.clock.now();
  const from = effectiveStatus(invitation, now);
  return deps.database.db.transaction().execute(async (trx) => {
    const changes = { status: 'revoked' as const, respondedAt: now, respondedByUserId: principal.user.id };
    const updated = options.includeExpired
      ? await transitionFromOpen(trx, id, now, changes)
      : await transitionFromPending(trx, id, now, changes);
    if (!updated) throw await notPendingNow(deps, trx, invitation.id);
    if (options.deactivatePlaceholder && updated.inviteeUserId) {
      const invitee = await findUserById(trx, updated.inviteeUserId);
      const stillInvited = await countInvitations(
        trx,
        { emailCanonical: updated.emailCanonical, statuses: ['pending'] },
        now,
      );
      if (invitee?.status === 'placeholder' && stillInvited === 0) {
        await updateUser(trx, invitee.id, { status: 'deactivated', updatedAt: now });
      }
    }
    await recordEvents(trx, [
      invitationEvent(
        deps,
        updated,
        'invitation.revoked',
        from === 'expired' ? 'expired' : 'pending',
        'revoked',
        principal,
      ),
    ]);
    return updated;
  });
}

/**
 * Revokes every pending invitation onto a resource being deleted, and drops the resource from
 * the pending combined invitations that grant it (their organization role stands), in the
 * deleting transaction; their history stays. Handed to `ResourceService` by the composition root.
 */
export async function revokePendingOnResource(
  trx: Executor,
  resourceId: string,
  actor: Principal,
  now: Date,
): Promise<number> {
  const revoked = await revokePendingForResource(trx, resourceId, now, actor.user.id);
  const narrowed: InvitationRecord[] = [];
  for (const invitation of await pendingGranting(trx, resourceId)) {
    const grants = invitation.grants!.filter((grant) => grant.resourceId !== resourceId);
    // Compare-and-set: one answered meanwhile keeps its row; accepting skips deleted resources.
    const updated = await updateIfVersion(trx, invitation.id, invitation.version, now, {
      grants: grants.length > 0 ? grants : null,
    });
    if (updated) narrowed.push(updated);
  }
  await recordEvents(trx, [
    ...revoked.map((invitation) =>
      transitionEvent(invitation, 'invitation.revoked', 'pending', 'revoked', actor, now, {
        reason: 'resource_deleted',
      }),
    ),
    ...narrowed.map((invitation) =>
      transitionEvent(invitation, 'invitation.updated', 'pending', 'pending', actor, now, {
        reason: 'resource_deleted',
        resource_id: resourceId,
      }),
    ),
  ]);
  return revoked.length;
}
