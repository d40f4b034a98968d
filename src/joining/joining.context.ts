import type { Principal } from '../access/principal.ts';
import { findRole, requireRole } from '../access/roles.ts';
import type { UserRecord } from '../access/user-record.ts';
import type { Database, Executor } from '../db/database.ts';
import { recordEvents } from '../events/event.recorder.ts';
import { type Actor, auditEvent, type EventRecord, type EventType } from '../events/event.repository.ts';
import { countLivePending } from '../invitations/invitation.repository.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { type AbuseLimits, type RateLimiter, tooManyRequests } from '../lib/rate-limiter.ts';
import {
  countMembers,
  findMembership,
  insertMembership,
  setMembershipRole,
} from '../memberships/membership.repository.ts';
import { findOrganization, settingsForWrite } from '../organizations/organization.repository.ts';
import { enqueue } from '../outbox/outbox.repository.ts';
import { findGrant, putGrant } from '../resources/resource.repository.ts';
import { insertJoinRequest, type JoinRequestRecord, pendingRequestOf } from './join-request.repository.ts';

/** Answers the TXT records at a name, as `node:dns/promises` `resolveTxt` does; tests pass a double. */
export type TxtResolver = (hostname: string) => Promise<string[][]>;

export interface JoiningDeps {
  database: Database;
  clock: Clock;
  rateLimiter: RateLimiter;
  abuseLimits: AbuseLimits;
  resolveTxt: TxtResolver;
  /** `RSVP_PUBLIC_URL`: join links are `<publicUrl>/join?token=…`. */
  publicUrl: string;
  /** Told after a commit that queued email. */
  onQueued: () => void;
}

/** What a join gives: a role in the organization, or actions on one of its resources. */
export type JoinTarget =
  | { role: string; resourceId: null; actions: null }
  | { role: null; resourceId: string; actions: string[] };

export interface Admission {
  organizationId: string;
  user: Pick<UserRecord, 'id' | 'email'>;
  target: JoinTarget;
  source: 'link' | 'domain';
  joinLinkId: string | null;
  domain: string | null;
  requiresApproval: boolean;
  /** Who acted: the joiner, or nobody when rsvp joins an account on creation. */
  actor: Actor | null;
  now: Date;
}

/**
 * Lets someone in, or files their request, in the caller's transaction and under the
 * organization's lock (seat limits, the role catalog): checks what stands now, calls `consume`
 * (a link's use) once the join is known to be possible, then writes access, the record and events.
 */
export async function admit(
  deps: JoiningDeps,
  trx: Executor,
  admission: Admission,
  consume: () => Promise<void> = async () => {},
): Promise<JoinRequestRecord> {
  const { organizationId, user, target, now } = admission;
  const settings = await settingsForWrite(trx, deps.database.engine, organizationId, 'update');
  if (target.role !== null) requireRole(settings.roles, target.role);
  await refuseHeldAccess(trx, organizationId, user.id, target);
  const targetKey = target.resourceId ?? organizationId;
  const pending = await pendingRequestOf(trx, targetKey, user.id);
  if (pending) {
    throw new AppError(
      409,
      'join_request_pending',
      'Request pending',
      'You already asked to join; an admin will decide.',
      {
        extras: { join_request_id: pending.id },
      },
    );
  }
  if (!admission.requiresApproval) await requireSeat(deps, trx, organizationId, target, now);
  await consume();
  const request: JoinRequestRecord = {
    id: newId('jr', now),
    organizationId,
    userId: user.id,
    targetKey,
    resourceId: target.resourceId,
    role: target.role,
    actions: target.actions,
    source: admission.source,
    joinLinkId: admission.joinLinkId,
    domain: admission.domain,
    status: admission.requiresApproval ? 'pending' : 'joined',
    reason: null,
    decidedByUserId: null,
    decidedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await insertJoinRequest(trx, request);
  if (admission.requiresApproval) {
    await recordEvents(trx, [joinRequestEvent('join_request.created', request, user.email, admission.actor)]);
  } else {
    await grantAccess(trx, request, user, admission.actor, now);
  }
  return request;
}

async function refuseHeldAccess(trx: Executor, organizationId: string, userId: string, target: JoinTarget) {
  if (target.resourceId === null) {
    if (await findMembership(trx, organizationId, userId)) {
      throw new AppError(
        409,
        'already_member',
        'Already a member',
        'You are already a member of this organization.',
      );
    }
    return;
  }
  const grant = await findGrant(trx, target.resourceId, userId);
  if (grant && target.actions.every((action) => grant.actions.includes(action))) {
    throw new AppError(409, 'already_has_access', 'Already has access', 'You already hold these actions.');
  }
}

/** A join takes a seat as an accepted invitation does: members and pending invitations count. */
export async function requireSeat(
  deps: JoiningDeps,
  trx: Executor,
  organizationId: string,
  target: JoinTarget,
  now: Date,
): Promise<void> {
  if (target.resourceId !== null) return;
  const settings = await settingsForWrite(trx, deps.database.engine, organizationId, 'update');
  if (settings.seat_limit === null) return;
  const taken =
    (await countMembers(trx, organizationId)) +
    (await countLivePending(trx, organizationId, now, 'organization'));
  if (taken + 1 > settings.seat_limit) {
    throw new AppError(
      402,
      'seat_limit_reached',
      'Seat limit reached',
      `Members and pending invitations would exceed the organization's ${settings.seat_limit} seats.`,
      { extras: { limit: settings.seat_limit } },
    );
  }
}

/**
 * Writes the membership or grant a request gives, with its event. Someone who became a member
 * meanwhile keeps the higher of the two roles.
 */
export async function grantAccess(
  trx: Executor,
  request: JoinRequestRecord,
  user: Pick<UserRecord, 'id' | 'email'>,
  actor: Actor | null,
  now: Date,
): Promise<void> {
  const via = request.source === 'link' ? 'join_link' : 'domain';
  const data = {
    user_id: user.id,
    via,
    join_request_id: request.id,
    join_link_id: request.joinLinkId,
    domain: request.domain,
  };
  const subjectId = `${request.organizationId}/${user.id}`;
  const events: EventRecord[] =
    request.status === 'approved'
      ? [joinRequestEvent('join_request.approved', request, user.email, actor)]
      : [];
  if (request.resourceId !== null) {
    const grant = await findGrant(trx, request.resourceId, user.id);
    const actions = [...new Set([...(grant?.actions ?? []), ...request.actions!])].sort();
    await putGrant(trx, {
      resourceId: request.resourceId,
      userId: user.id,
      actions,
      createdAt: grant?.createdAt ?? now,
      updatedAt: now,
    });
    events.push(
      auditEvent({
        type: 'grant.updated',
        organizationId: request.organizationId,
        subject: { type: 'grant', id: `${request.resourceId}/${user.id}` },
        actor,
        now,
        data: { ...data, resource_id: request.resourceId, actions },
      }),
    );
    await recordEvents(trx, events);
    return;
  }
  const membership = await findMembership(trx, request.organizationId, user.id);
  if (!membership) {
    await insertMembership(trx, {
      organizationId: request.organizationId,
      userId: user.id,
      role: request.role!,
      createdAt: now,
      updatedAt: now,
    });
    events.push(
      auditEvent({
        type: 'membership.created',
        organizationId: request.organizationId,
        subject: { type: 'membership', id: subjectId },
        actor,
        now,
        data: { ...data, role: request.role },
        snapshot: {
          membership: {
            organization_id: request.organizationId,
            user_id: user.id,
            email: user.email,
            role: request.role,
          },
        },
      }),
    );
  } else {
    const roles = (await findOrganization(trx, request.organizationId))!.settings.roles;
    const current = findRole(roles, membership.role)?.rank ?? -1;
    if ((findRole(roles, request.role!)?.rank ?? -1) > current) {
      await setMembershipRole(trx, request.organizationId, user.id, request.role!, now);
    }
  }
  await recordEvents(trx, events);
}

export function joinRequestEvent(
  type: EventType,
  request: JoinRequestRecord,
  email: string,
  actor: Actor | null,
): EventRecord {
  return auditEvent({
    type,
    organizationId: request.organizationId,
    subject: { type: 'join_request', id: request.id },
    actor,
    now: request.updatedAt,
    data: {
      user_id: request.userId,
      source: request.source,
      ...(request.reason ? { reason: request.reason } : {}),
    },
    snapshot: {
      join_request: {
        id: request.id,
        organization_id: request.organizationId,
        user_id: request.userId,
        email,
        role: request.role,
        resource_id: request.resourceId,
        actions: request.actions,
        source: request.source,
        join_link_id: request.joinLinkId,
        domain: request.domain,
        status: request.status,
      },
    },
  });
}

/** The requester hears of the decision by email, through the outbox, in the deciding transaction. */
export async function queueDecisionEmail(
  trx: Executor,
  request: JoinRequestRecord,
  now: Date,
): Promise<void> {
  await enqueue(trx, [
    {
      id: newId('msg', now),
      kind: 'email',
      topic: `join_request.${request.status}`,
      organizationId: request.organizationId,
      invitationId: null,
      dedupeKey: `join_request:${request.id}:decided`,
      payload: { kind: 'join_request_decided', join_request_id: request.id },
      createdAt: now,
    },
  ]);
}

/** Each attempt to join (through a link or a domain) counts against the joiner's allowance. */
export async function spendJoinAttempt(deps: JoiningDeps, principal: Principal): Promise<void> {
  const rule = deps.abuseLimits.perJoiner;
  const decision = await deps.rateLimiter.consume(`join:${principal.user.id}`, rule);
  if (!decision.allowed) {
    throw tooManyRequests(
      decision,
      rule,
      `Too many attempts to join; retry in ${decision.resetSeconds} seconds.`,
    );
  }
}
