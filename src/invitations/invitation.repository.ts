import { type Selectable, sql, type Updateable } from 'kysely';
import { inChunks } from '../db/chunks.ts';
import type { Executor } from '../db/database.ts';
import { prepared } from '../db/prepared.ts';
import type { DeliveryState, InvitationStatus, InvitationTable } from '../db/schema.ts';
import { toDate } from '../lib/clock.ts';

export interface InvitationRecord {
  id: string;
  uuid: string;
  organizationId: string;
  targetKey: string;
  resourceId: string | null;
  role: string | null;
  actions: string[] | null;
  email: string;
  emailCanonical: string;
  inviteeUserId: string | null;
  inviterUserId: string;
  inviterApiKeyId: string | null;
  message: string | null;
  locale: string | null;
  metadata: Record<string, string>;
  publicMetadata: Record<string, unknown>;
  privateMetadata: Record<string, unknown>;
  redirectUrl: string | null;
  /** A combined invitation's resource grants (with its organization role); null for the others. */
  grants: InvitationGrant[] | null;
  /** As stored. A pending row past its expiry reads as expired: see `effectiveStatus`. */
  status: InvitationStatus;
  deliveryState: DeliveryState;
  deliveryError: string | null;
  sendCount: number;
  tokenHash: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
  lastSentAt: Date | null;
  respondedAt: Date | null;
  respondedByUserId: string | null;
  remindAt: Date | null;
  reminderSentAt: Date | null;
  linkStyle: 'token' | 'jwt';
  /** The token hash of the link only the invitee's mailbox received (migration 014), if any. */
  linkProofHash: string | null;
}

export interface InvitationGrant {
  resourceId: string;
  actions: string[];
}

/** Expiry is exact at read time, whether or not a sweeper has written it yet. */
export function effectiveStatus(invitation: InvitationRecord, now: Date): InvitationStatus {
  return invitation.status === 'pending' && invitation.expiresAt <= now ? 'expired' : invitation.status;
}

export type Row = Selectable<InvitationTable>;

export function toRecord(row: Row): InvitationRecord {
  return {
    id: row.id,
    uuid: row.uuid,
    organizationId: row.organization_id,
    targetKey: row.target_key,
    resourceId: row.resource_id,
    role: row.role,
    actions: row.actions === null ? null : (JSON.parse(row.actions) as string[]),
    email: row.email,
    emailCanonical: row.email_canonical,
    inviteeUserId: row.invitee_user_id,
    inviterUserId: row.inviter_user_id,
    inviterApiKeyId: row.inviter_api_key_id,
    message: row.message,
    locale: row.locale,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    publicMetadata: JSON.parse(row.public_metadata) as Record<string, unknown>,
    privateMetadata: JSON.parse(row.private_metadata) as Record<string, unknown>,
    redirectUrl: row.redirect_url,
    grants:
      row.grants === null
        ? null
        : (JSON.parse(row.grants) as { resource_id: string; actions: string[] }[]).map((grant) => ({
            resourceId: grant.resource_id,
            actions: grant.actions,
          })),
    status: row.status,
    deliveryState: row.delivery_state,
    deliveryError: row.delivery_error,
    sendCount: row.send_count,
    tokenHash: row.token_hash,
    version: row.version,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    expiresAt: toDate(row.expires_at),
    lastSentAt: row.last_sent_at === null ? null : toDate(row.last_sent_at),
    respondedAt: row.responded_at === null ? null : toDate(row.responded_at),
    respondedByUserId: row.responded_by_user_id,
    remindAt: row.remind_at === null ? null : toDate(row.remind_at),
    linkStyle: row.link_style,
    reminderSentAt: row.reminder_sent_at === null ? null : toDate(row.reminder_sent_at),
    linkProofHash: row.link_proof_hash,
  };
}

function toRow(record: InvitationRecord): Row {
  return {
    id: record.id,
    uuid: record.uuid,
    organization_id: record.organizationId,
    target_key: record.targetKey,
    resource_id: record.resourceId,
    role: record.role,
    actions: record.actions === null ? null : JSON.stringify(record.actions),
    email: record.email,
    email_canonical: record.emailCanonical,
    invitee_user_id: record.inviteeUserId,
    inviter_user_id: record.inviterUserId,
    inviter_api_key_id: record.inviterApiKeyId,
    message: record.message,
    locale: record.locale,
    metadata: JSON.stringify(record.metadata),
    public_metadata: JSON.stringify(record.publicMetadata),
    private_metadata: JSON.stringify(record.privateMetadata),
    redirect_url: record.redirectUrl,
    grants: record.grants === null ? null : grantsJson(record.grants),
    status: record.status,
    delivery_state: record.deliveryState,
    delivery_error: record.deliveryError,
    send_count: record.sendCount,
    token_hash: record.tokenHash,
    version: record.version,
    created_at: record.createdAt,
    updated_at: record.updatedAt,
    expires_at: record.expiresAt,
    last_sent_at: record.lastSentAt,
    responded_at: record.respondedAt,
    responded_by_user_id: record.respondedByUserId,
    remind_at: record.remindAt,
    link_style: record.linkStyle,
    reminder_sent_at: record.reminderSentAt,
    link_proof_hash: record.linkProofHash,
  };
}

const grantsJson = (grants: InvitationGrant[]) =>
  JSON.stringify(grants.map((grant) => ({ resource_id: grant.resourceId, actions: grant.actions })));

export async function insertInvitations(db: Executor, records: InvitationRecord[]): Promise<void> {
  await inChunks(records, (slice) => db.insertInto('invitations').values(slice.map(toRow)).execute());
}

const INVITATION_BY_ID = prepared((db: Executor, id: string) =>
  db.selectFrom('invitations').selectAll().where('id', '=', id),
);

export async function findInvitation(db: Executor, id: string): Promise<InvitationRecord | undefined> {
  const [row] = await INVITATION_BY_ID(db, id);
  return row ? toRecord(row) : undefined;
}

export async function findInvitations(db: Executor, ids: string[]): Promise<InvitationRecord[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('invitations').selectAll().where('id', 'in', ids).execute();
  return rows.map(toRecord);
}

export async function findInvitationByUuid(
  db: Executor,
  uuid: string,
): Promise<InvitationRecord | undefined> {
  const row = await db.selectFrom('invitations').selectAll().where('uuid', '=', uuid).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findInvitationByTokenHash(
  db: Executor,
  tokenHash: string,
): Promise<InvitationRecord | undefined> {
  const row = await db
    .selectFrom('invitations')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/**
 * Writes `expired` on pending rows of these addresses whose time has passed, so the
 * one-pending-per-target index frees the slot for a new invitation. Returns what it expired.
 */
export async function expireLapsedPending(
  db: Executor,
  organizationId: string,
  emails: string[],
  now: Date,
): Promise<InvitationRecord[]> {
  if (emails.length === 0) return [];
  const rows = await db
    .updateTable('invitations')
    .set({ status: 'expired', updated_at: now, version: sql`version + 1` })
    .where('organization_id', '=', organizationId)
    .where('email_canonical', 'in', emails)
    .where('status', '=', 'pending')
    .where('expires_at', '<=', now)
    .returningAll()
    .execute();
  return rows.map(toRecord);
}

/**
 * Pending invitations of these addresses in the organization, keyed by `target|email`; a
 * combined invitation holds its organization and each resource it grants.
 */
export async function pendingByTargetAndEmail(
  db: Executor,
  organizationId: string,
  emails: string[],
): Promise<Map<string, string>> {
  if (emails.length === 0) return new Map();
  const rows = await db
    .selectFrom('invitations')
    .select(['id', 'target_key', 'email_canonical', 'grants'])
    .where('organization_id', '=', organizationId)
    .where('email_canonical', 'in', emails)
    .where('status', '=', 'pending')
    .execute();
  const pending = new Map<string, string>();
  for (const row of rows) {
    pending.set(`${row.target_key}|${row.email_canonical}`, row.id);
    for (const grant of row.grants === null ? [] : (JSON.parse(row.grants) as { resource_id: string }[])) {
      pending.set(`${grant.resource_id}|${row.email_canonical}`, row.id);
    }
  }
  return pending;
}

export async function countLivePending(
  db: Executor,
  organizationId: string,
  now: Date,
  targetType?: 'organization',
): Promise<number> {
  let query = db
    .selectFrom('invitations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', organizationId)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now);
  if (targetType === 'organization') query = query.where('resource_id', 'is', null);
  const row = await query.executeTakeFirst();
  return Number(row?.n ?? 0);
}

export type InvitationChanges = Partial<{
  status: InvitationStatus;
  role: string | null;
  actions: string[] | null;
  message: string | null;
  metadata: Record<string, string>;
  publicMetadata: Record<string, unknown>;
  privateMetadata: Record<string, unknown>;
  redirectUrl: string | null;
  locale: string | null;
  expiresAt: Date;
  tokenHash: string;
  deliveryState: DeliveryState;
  deliveryError: string | null;
  sendCount: number;
  lastSentAt: Date;
  respondedAt: Date;
  respondedByUserId: string;
  inviteeUserId: string;
  remindAt: Date | null;
  reminderSentAt: Date | null;
  grants: InvitationGrant[] | null;
}>;

function changesToRow(changes: InvitationChanges, now: Date) {
  const set: Updateable<InvitationTable> = { updated_at: now };
  if (changes.status !== undefined) set.status = changes.status;
  if (changes.role !== undefined) set.role = changes.role;
  if (changes.actions !== undefined)
    set.actions = changes.actions === null ? null : JSON.stringify(changes.actions);
  if (changes.message !== undefined) set.message = changes.message;
  if (changes.metadata !== undefined) set.metadata = JSON.stringify(changes.metadata);
  if (changes.publicMetadata !== undefined) set.public_metadata = JSON.stringify(changes.publicMetadata);
  if (changes.privateMetadata !== undefined) set.private_metadata = JSON.stringify(changes.privateMetadata);
  if (changes.redirectUrl !== undefined) set.redirect_url = changes.redirectUrl;
  if (changes.locale !== undefined) set.locale = changes.locale;
  if (changes.expiresAt !== undefined) set.expires_at = changes.expiresAt;
  if (changes.tokenHash !== undefined) set.token_hash = changes.tokenHash;
  if (changes.deliveryState !== undefined) set.delivery_state = changes.deliveryState;
  if (changes.deliveryError !== undefined) set.delivery_error = changes.deliveryError;
  if (changes.sendCount !== undefined) set.send_count = changes.sendCount;
  if (changes.lastSentAt !== undefined) set.last_sent_at = changes.lastSentAt;
  if (changes.respondedAt !== undefined) set.responded_at = changes.respondedAt;
  if (changes.respondedByUserId !== undefined) set.responded_by_user_id = changes.respondedByUserId;
  if (changes.inviteeUserId !== undefined) set.invitee_user_id = changes.inviteeUserId;
  if (changes.remindAt !== undefined) set.remind_at = changes.remindAt;
  if (changes.reminderSentAt !== undefined) set.reminder_sent_at = changes.reminderSentAt;
  if (changes.grants !== undefined) set.grants = changes.grants === null ? null : grantsJson(changes.grants);
  return set;
}

/**
 * Compare-and-set on the status: applies the changes only while the invitation is still
 * pending and unexpired. Undefined means another request got there first, or time ran out.
 */
export async function transitionFromPending(
  db: Executor,
  id: string,
  now: Date,
  changes: InvitationChanges,
): Promise<InvitationRecord | undefined> {
  const row = await db
    .updateTable('invitations')
    .set({ ...changesToRow(changes, now), version: sql`version + 1` })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** As `transitionFromPending`, from a pending invitation whether or not it has lapsed, or an expired one. */
export async function transitionFromOpen(
  db: Executor,
  id: string,
  now: Date,
  changes: InvitationChanges,
): Promise<InvitationRecord | undefined> {
  const row = await db
    .updateTable('invitations')
    .set({ ...changesToRow(changes, now), version: sql`version + 1` })
    .where('id', '=', id)
    .where('status', 'in', ['pending', 'expired'])
    .returningAll()
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** Compare-and-set on the version: applies the changes only to the row exactly as it was read. */
export async function updateIfVersion(
  db: Executor,
  id: string,
  version: number,
  now: Date,
  changes: InvitationChanges,
): Promise<InvitationRecord | undefined> {
  const row = await db
    .updateTable('invitations')
    .set({ ...changesToRow(changes, now), version: version + 1 })
    .where('id', '=', id)
    .where('version', '=', version)
    .returningAll()
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}
