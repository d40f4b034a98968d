import type { Principal } from '../access/principal.ts';
import type { UserRecord } from '../access/user-record.ts';
import type { Database, Executor } from '../db/database.ts';
import type { InvitationStatus } from '../db/schema.ts';
import { type EventRecord, type EventType, transitionEvent } from '../events/event.repository.ts';
import type { InstanceKeys } from '../instance/instance-keys.ts';
import { type Clock, DAY, HOUR } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { newId, newUuid } from '../lib/ids.ts';
import type { AbuseLimits, RateLimiter } from '../lib/rate-limiter.ts';
import { organizationAccess, requireAdmin } from '../organizations/organization.access.ts';
import { isAllowedAppUrl } from '../organizations/organization.service.ts';
import { invitationNotFound, notPending } from './invitation.errors.ts';
import { effectiveStatus, findInvitation, type InvitationRecord } from './invitation.repository.ts';

/** What every invitation use case works with; built once by the composition root. */
export interface InvitationDeps {
  database: Database;
  clock: Clock;
  keys: InstanceKeys;
  publicUrl: string;
  rateLimiter: RateLimiter;
  abuseLimits: AbuseLimits;
  /** Origins an invitation's `redirect_url` may point at (APP_URL_ALLOWED_ORIGINS). */
  allowedAppOrigins: readonly string[];
  /** Called after a commit that queued email, so the worker need not wait for its next poll. */
  onQueued: () => void;
}

export function recipientRules(deps: InvitationDeps) {
  return { perOrganization: deps.abuseLimits.perRecipient, shared: deps.abuseLimits.perRecipientShared };
}

export function invitationEvent(
  deps: InvitationDeps,
  invitation: InvitationRecord,
  type: EventType,
  fromStatus: InvitationStatus | null,
  toStatus: InvitationStatus | null,
  actor: Principal | null,
  data: Record<string, unknown> = {},
): EventRecord {
  return transitionEvent(invitation, type, fromStatus, toStatus, actor, deps.clock.now(), data);
}

/** An invitation of the organization, for one of its admins; 404 for any other. */
export async function adminInvitation(
  deps: InvitationDeps,
  principal: Principal,
  organizationRef: string,
  id: string,
  action: string,
) {
  const access = await organizationAccess(deps.database.db, principal, organizationRef);
  requireAdmin(access, action);
  const invitation = await findInvitation(deps.database.db, id);
  if (!invitation || invitation.organizationId !== access.organization.id) throw invitationNotFound();
  return { access, invitation };
}

/** Why a compare-and-set from pending found nothing to change. */
export async function notPendingNow(deps: InvitationDeps, db: Executor, id: string): Promise<AppError> {
  const current = await findInvitation(db, id);
  if (!current) return invitationNotFound();
  return notPending(effectiveStatus(current, deps.clock.now()), id);
}

/** Why a versioned update found nothing to change. */
export async function conflictAfterRace(
  deps: InvitationDeps,
  db: Executor,
  id: string,
  conditional: boolean,
): Promise<AppError> {
  const current = await findInvitation(db, id);
  if (!current) return invitationNotFound();
  if (conditional) return preconditionFailed(current.version);
  const status = effectiveStatus(current, deps.clock.now());
  if (status !== 'pending' && status !== 'expired') return notPending(status, id);
  return new AppError(
    409,
    'concurrent_modification',
    'Changed meanwhile',
    'The invitation changed meanwhile; retry.',
  );
}

export function sendLimitReached(
  invitation: InvitationRecord,
  settings: { max_sends_per_invitation: number },
): AppError {
  return new AppError(
    409,
    'send_limit_reached',
    'Send limit reached',
    `This invitation was already sent ${invitation.sendCount} times, the organization's limit.`,
    { extras: { limit: settings.max_sends_per_invitation } },
  );
}

export function invalidTarget(detail: string): AppError {
  return new AppError(422, 'invalid_target', 'Invalid target', detail);
}

/** A `redirect_url` is checked when it is given, not when the invitee is sent there. */
export function requireAllowedRedirect(
  deps: InvitationDeps,
  url: string | null | undefined,
  pointer: string,
) {
  if (url === null || url === undefined || isAllowedAppUrl(url, deps.allowedAppOrigins)) return;
  throw new AppError(
    422,
    'redirect_url_not_allowed',
    'Redirect URL not allowed',
    `${new URL(url).origin} is not in this instance's APP_URL_ALLOWED_ORIGINS.`,
    { extras: { errors: [{ pointer, detail: 'origin not allowed' }] } },
  );
}

export function preconditionFailed(currentVersion: number): AppError {
  return new AppError(
    412,
    'precondition_failed',
    'Precondition failed',
    'The invitation changed since you read it; fetch it again and retry with its new ETag.',
    { extras: { etag: `"${currentVersion}"` } },
  );
}

/** When to remind before `expiresAt`; null when the organization sends no reminders or it is too late. */
export function remindAt(expiresAt: Date, beforeSeconds: number | null, now: Date): Date | null {
  if (beforeSeconds === null) return null;
  const at = new Date(expiresAt.getTime() - beforeSeconds * 1000);
  return at > now ? at : null;
}

/** A user row for an address that has not registered yet; registering takes it over. */
export function placeholderUser(email: string, emailCanonical: string, now: Date): UserRecord {
  return {
    id: newId('usr', now),
    uuid: newUuid(),
    email,
    emailCanonical,
    username: null,
    displayName: null,
    passwordHash: null,
    status: 'placeholder',
    isInstanceAdmin: false,
    externalId: null,
    emailVerified: false,
    createdAt: now,
    updatedAt: now,
  };
}

const MIN_TTL_MS = HOUR;
const MAX_TTL_MS = 30 * DAY;

/** Expiry from `ttl_seconds` or `expire_time` (not both), within 1 hour to 30 days from now. */
export function resolveExpiry(
  input: { ttl_seconds?: number | undefined; expire_time?: string | undefined },
  now: Date,
  defaultTtlSeconds: number,
): Date {
  if (input.ttl_seconds !== undefined && input.expire_time !== undefined) {
    throw new AppError(
      422,
      'conflicting_expiry',
      'Conflicting expiry',
      'Give ttl_seconds or expire_time, not both.',
    );
  }
  if (input.expire_time !== undefined) {
    const expiresAt = new Date(input.expire_time);
    const ttl = expiresAt.getTime() - now.getTime();
    if (ttl < MIN_TTL_MS || ttl > MAX_TTL_MS) {
      throw new AppError(
        422,
        'invalid_expire_time',
        'Expiry out of range',
        'expire_time must be between 1 hour and 30 days from now.',
        { extras: { errors: [{ pointer: '/expire_time', detail: 'between 1 hour and 30 days from now' }] } },
      );
    }
    return expiresAt;
  }
  return new Date(now.getTime() + (input.ttl_seconds ?? defaultTtlSeconds) * 1000);
}
