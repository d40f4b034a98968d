import type { Principal } from '../access/principal.ts';
import { findRole, unknownRole } from '../access/roles.ts';
import type { UserRecord } from '../access/user-record.ts';
import { type Executor, isUniqueViolation } from '../db/database.ts';
import { recordEvents } from '../events/event.recorder.ts';
import { AppError } from '../lib/errors.ts';
import { newId, newUuid } from '../lib/ids.ts';
import { INVITATION_TOKEN_PREFIX, newTypedSecret, sha256 } from '../lib/secrets.ts';
import { countMembers, memberEmailsAmong } from '../memberships/membership.repository.ts';
import { organizationAccess, requireAdmin } from '../organizations/organization.access.ts';
import { settingsForWrite } from '../organizations/organization.repository.ts';
import type { OrganizationSettings } from '../organizations/organization.schemas.ts';
import { enqueue, type OutboxMessage } from '../outbox/outbox.repository.ts';
import { grantsForEmails } from '../resources/resource.repository.ts';
import {
  findUsersByCanonicalEmails,
  insertUser,
  neverRegistered,
  updateUser,
} from '../users/user.repository.ts';
import { type InvitationDeps, invitationEvent, placeholderUser, remindAt } from './invitation.context.ts';
import { acceptUrlFor, emailMessage } from './invitation.links.ts';
import {
  applyAbuseLimits,
  BatchRejected,
  type CreateOptions,
  type PreparedRow,
  prepareRows,
  type RowResult,
  targetKeysOf,
} from './invitation.prepare.ts';
import {
  countLivePending,
  expireLapsedPending,
  type InvitationRecord,
  insertInvitations,
  pendingByTargetAndEmail,
} from './invitation.repository.ts';
import type { InvitationRowInput } from './invitation.schemas.ts';

// Creating, second half: the rows that passed their own checks are written in one transaction
// that sees the organization as it is now, and each email is queued in that same transaction.

/**
 * Creates invitations, one result per row in request order. Rows are checked on their own;
 * a failing row never stops the others. All rows that pass are written in one transaction
 * that holds the organization's lock, so seat and pending limits cannot be overrun by
 * concurrent requests, and each email is queued in that same transaction.
 */
export async function createInvitations(
  deps: InvitationDeps,
  principal: Principal,
  organizationRef: string,
  rows: InvitationRowInput[],
  options: CreateOptions,
): Promise<RowResult[]> {
  const access = await organizationAccess(deps.database.db, principal, organizationRef);
  requireAdmin(access, 'invite people');
  const now = deps.clock.now();
  const results = new Map<number, RowResult>();
  const checked = await prepareRows(deps, principal, access, rows, now, results);
  if (options.atomic && results.size > 0) throw new BatchRejected([...results.values()]);
  const prepared = await applyAbuseLimits(
    deps,
    principal,
    access.organization.id,
    checked,
    options.sendEmail,
    results,
  );
  if (options.atomic && results.size > 0) throw new BatchRejected([...results.values()]);
  const batch: Batch = {
    principal,
    organizationId: access.organization.id,
    settings: access.organization.settings,
    prepared,
    options,
    results,
    now,
  };

  // The organization lock serialises creates so that seat and pending limits hold. Without
  // limits there is nothing to overrun, and the partial unique index alone keeps one pending
  // invitation per address and target: a create that loses that race is retried under the
  // lock, where it sees the winner and reports it row by row. The resources a combined
  // invitation grants are outside that index, so its create takes the lock too: every other
  // create holds the same row shared, and sees its grants once it commits.
  const { settings } = batch;
  const limited =
    settings.seat_limit !== null ||
    settings.max_pending_invitations !== null ||
    prepared.some((row) => row.grants !== null);
  const write = (lock: boolean) =>
    deps.database.db.transaction().execute((trx) => writeBatch(deps, trx, batch, lock));
  try {
    await write(limited);
  } catch (error) {
    if (limited || !isUniqueViolation(error)) throw error;
    await write(true);
  }
  if (options.sendEmail) deps.onQueued();
  return rows.map((_, index) => results.get(index)!);
}

interface Batch {
  principal: Principal;
  organizationId: string;
  settings: OrganizationSettings;
  prepared: PreparedRow[];
  options: CreateOptions;
  results: Map<number, RowResult>;
  now: Date;
}

/** What the rows are checked against inside the transaction, updated as rows are taken. */
interface Standing {
  catalog: OrganizationSettings['roles'];
  pending: Map<string, string>;
  members: Set<string>;
  grants: Map<string, string[]>;
  livePending: number;
  seatsTaken: number;
}

async function writeBatch(deps: InvitationDeps, trx: Executor, batch: Batch, lock: boolean) {
  const { principal, prepared, options, results, now } = batch;
  const emails = [...new Set(prepared.map((row) => row.emailCanonical))];
  const { lapsed, known, standing } = await loadStanding(deps, trx, batch, emails, lock);
  const users = new Map(known.map((user) => [user.emailCanonical, user.id]));
  const revived = options.placeholderUsers
    ? known.filter((user) => user.status === 'deactivated' && neverRegistered(user))
    : [];
  const placeholders: UserRecord[] = [];
  const created: InvitationRecord[] = [];
  const outbox: OutboxMessage[] = [];
  for (const row of prepared) {
    const error = refusal(row, standing, batch);
    if (error) {
      results.set(row.index, { index: row.index, ok: false, error });
      continue;
    }
    if (options.placeholderUsers && !users.has(row.emailCanonical)) {
      const placeholder = placeholderUser(row.email, row.emailCanonical, now);
      placeholders.push(placeholder);
      users.set(row.emailCanonical, placeholder.id);
    }
    const token = newTypedSecret(INVITATION_TOKEN_PREFIX);
    const invitation = newInvitation(batch, row, token, users.get(row.emailCanonical) ?? null);
    for (const target of targetKeysOf(row))
      standing.pending.set(`${target}|${row.emailCanonical}`, invitation.id);
    standing.livePending++;
    if (!row.resource) standing.seatsTaken++;
    created.push(invitation);
    const link = options.linkFor
      ? options.linkFor(invitation, token)
      : await acceptUrlFor(deps, invitation, token);
    if (options.sendEmail) outbox.push(emailMessage(deps, invitation, link, now));
    results.set(row.index, {
      index: row.index,
      ok: true,
      invitation,
      ...(options.sendEmail ? {} : { acceptUrl: link }),
    });
  }
  if (options.atomic && created.length < prepared.length) {
    throw new BatchRejected([...results.values()].filter((result) => !result.ok));
  }
  for (const user of placeholders) await insertUser(trx, user);
  for (const user of revived) {
    if (created.some((invitation) => invitation.inviteeUserId === user.id)) {
      await updateUser(trx, user.id, { status: 'placeholder', updatedAt: now });
    }
  }
  await insertInvitations(trx, created);
  await recordEvents(trx, [
    ...lapsed.map((invitation) =>
      invitationEvent(deps, invitation, 'invitation.expired', 'pending', 'expired', null, {
        reason: 'lapsed',
      }),
    ),
    ...created.map((invitation) =>
      invitationEvent(deps, invitation, 'invitation.created', null, 'pending', principal, {
        send_email: options.sendEmail,
      }),
    ),
  ]);
  await enqueue(trx, outbox);
}

async function loadStanding(
  deps: InvitationDeps,
  trx: Executor,
  batch: Batch,
  emails: string[],
  lock: boolean,
): Promise<{ lapsed: InvitationRecord[]; known: UserRecord[]; standing: Standing }> {
  const { organizationId, settings, prepared, now } = batch;
  // The catalog as it is now, locked against removal until commit: a role removed since
  // the rows were checked is refused here, never written (no invitation for a ghost role).
  const catalog = (
    await settingsForWrite(trx, deps.database.engine, organizationId, lock ? 'update' : 'share')
  ).roles;
  const lapsed = await expireLapsedPending(trx, organizationId, emails, now);
  const pending = await pendingByTargetAndEmail(trx, organizationId, emails);
  const members = await memberEmailsAmong(trx, organizationId, emails);
  const resourceIds = [...new Set(prepared.flatMap((row) => (row.resource ? [row.resource.id] : [])))];
  const grants = await grantsForEmails(trx, resourceIds, emails);
  const known = await findUsersByCanonicalEmails(trx, emails);
  // Counting is a scan of the organization's pending invitations: only when a limit needs it.
  const livePending =
    settings.max_pending_invitations === null ? 0 : await countLivePending(trx, organizationId, now);
  const seatsTaken =
    settings.seat_limit === null
      ? 0
      : (await countMembers(trx, organizationId)) +
        (await countLivePending(trx, organizationId, now, 'organization'));
  return { lapsed, known, standing: { catalog, pending, members, grants, livePending, seatsTaken } };
}

/** Why this row cannot be written as things stand, or undefined when it can. */
function refusal(row: PreparedRow, standing: Standing, batch: Batch): AppError | undefined {
  const { organizationId, settings } = batch;
  const existing = targetKeysOf(row)
    .map((target) => standing.pending.get(`${target}|${row.emailCanonical}`))
    .find((id) => id !== undefined);
  const granted = row.resource ? standing.grants.get(`${row.resource.id}|${row.emailCanonical}`) : undefined;
  if (row.role !== null && !findRole(standing.catalog, row.role)) {
    return unknownRole(row.role, standing.catalog);
  }
  if (!row.resource && standing.members.has(row.emailCanonical)) {
    return new AppError(409, 'already_member', 'Already a member', `${row.email} is already a member.`);
  }
  if (granted && row.actions!.every((action) => granted.includes(action))) {
    return new AppError(
      409,
      'already_has_access',
      'Already has access',
      `${row.email} already holds these actions.`,
    );
  }
  if (existing) {
    const location = `/v1/organizations/${organizationId}/invitations/${existing}`;
    return new AppError(
      409,
      'invitation_already_pending',
      'Invitation already pending',
      `${row.email} already has a pending invitation to this ${row.resource ? 'resource' : row.grants ? 'organization or one of these resources' : 'organization'}.`,
      { extras: { existing_invitation_id: existing }, headers: { location } },
    );
  }
  if (
    settings.max_pending_invitations !== null &&
    standing.livePending + 1 > settings.max_pending_invitations
  ) {
    return new AppError(
      402,
      'pending_limit_reached',
      'Pending invitation limit reached',
      `The organization allows at most ${settings.max_pending_invitations} pending invitations.`,
      { extras: { limit: settings.max_pending_invitations } },
    );
  }
  if (!row.resource && settings.seat_limit !== null && standing.seatsTaken + 1 > settings.seat_limit) {
    return new AppError(
      402,
      'seat_limit_reached',
      'Seat limit reached',
      `Members and pending invitations would exceed the organization's ${settings.seat_limit} seats.`,
      { extras: { limit: settings.seat_limit } },
    );
  }
  return undefined;
}

function newInvitation(
  batch: Batch,
  row: PreparedRow,
  token: string,
  inviteeUserId: string | null,
): InvitationRecord {
  const { principal, organizationId, settings, options, now } = batch;
  return {
    id: newId('inv', now),
    uuid: newUuid(),
    organizationId,
    targetKey: row.targetKey,
    resourceId: row.resource?.id ?? null,
    role: row.role,
    actions: row.actions,
    email: row.email,
    emailCanonical: row.emailCanonical,
    inviteeUserId,
    inviterUserId: principal.user.id,
    inviterApiKeyId: principal.apiKeyId,
    message: row.input.message || null,
    locale: row.input.locale ?? null,
    metadata: row.input.metadata ?? {},
    publicMetadata: row.input.public_metadata ?? {},
    privateMetadata: row.input.private_metadata ?? {},
    redirectUrl: row.input.redirect_url ?? null,
    grants: row.grants,
    status: 'pending',
    deliveryState: options.sendEmail ? 'queued' : 'not_sent',
    deliveryError: null,
    sendCount: options.sendEmail ? 1 : 0,
    tokenHash: sha256(token),
    version: 1,
    createdAt: now,
    updatedAt: now,
    expiresAt: row.expiresAt,
    lastSentAt: options.sendEmail ? now : null,
    respondedAt: null,
    respondedByUserId: null,
    remindAt: options.sendEmail
      ? remindAt(row.expiresAt, settings.reminder_before_expiry_seconds, now)
      : null,
    reminderSentAt: null,
    linkStyle: options.linkStyle ?? 'token',
    linkProofHash: null,
  };
}
