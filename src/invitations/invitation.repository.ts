import {
  type ExpressionBuilder,
  type Selectable,
  type SelectQueryBuilder,
  sql,
  type Updateable,
} from 'kysely';
import { inChunks } from '../db/chunks.ts';
import type { Executor } from '../db/database.ts';
import type { DB, DeliveryState, InvitationStatus, InvitationTable } from '../db/schema.ts';
import { toDate } from '../lib/clock.ts';
import { INVITEE_SEQ, INVITER_NAME, type InvitationPredicate, predicateSql } from './invitation.predicate.ts';

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
}

/** Expiry is exact at read time, whether or not a sweeper has written it yet. */
export function effectiveStatus(invitation: InvitationRecord, now: Date): InvitationStatus {
  return invitation.status === 'pending' && invitation.expiresAt <= now ? 'expired' : invitation.status;
}

type Row = Selectable<InvitationTable>;

function toRecord(row: Row): InvitationRecord {
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
  };
}

export async function insertInvitations(db: Executor, records: InvitationRecord[]): Promise<void> {
  await inChunks(records, (slice) => db.insertInto('invitations').values(slice.map(toRow)).execute());
}

export async function findInvitation(db: Executor, id: string): Promise<InvitationRecord | undefined> {
  const row = await db.selectFrom('invitations').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
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

/** Any organization's pending invitations past their expiry, oldest first, now marked expired. */
export async function expireDuePending(db: Executor, now: Date, limit: number): Promise<InvitationRecord[]> {
  const due = db
    .selectFrom('invitations')
    .select('id')
    .where('status', '=', 'pending')
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit);
  const rows = await db
    .updateTable('invitations')
    .set({ status: 'expired', updated_at: now, version: sql`version + 1` })
    .where('id', 'in', due)
    // Re-checked here: a concurrent accept or another sweeper may have changed the row.
    .where('status', '=', 'pending')
    .where('expires_at', '<=', now)
    .returningAll()
    .execute();
  return rows.map(toRecord);
}

/**
 * Claims due reminders: pending invitations whose email went out, whose reminder time has come,
 * and that were not reminded since their last send. The claim is the compare-and-set on
 * `reminder_sent_at`, so two sweepers never remind twice.
 */
export async function claimReminders(db: Executor, now: Date, limit: number): Promise<InvitationRecord[]> {
  const due = db
    .selectFrom('invitations')
    .select('id')
    .where('remind_at', '<=', now)
    .where('reminder_sent_at', 'is', null)
    .where('status', '=', 'pending')
    .where('delivery_state', '=', 'sent')
    .where('expires_at', '>', now)
    .orderBy('remind_at')
    .limit(limit);
  const rows = await db
    .updateTable('invitations')
    .set({ reminder_sent_at: now })
    .where('id', 'in', due)
    .where('reminder_sent_at', 'is', null)
    .where('status', '=', 'pending')
    .returningAll()
    .execute();
  return rows.map(toRecord);
}

/**
 * Records the outcome of delivering send number `sendNumber`. Ignored when the invitation was
 * sent again since: the newer send owns the delivery state. Delivery bookkeeping is the
 * service's own background work: it leaves the version (the ETag) alone, so a client's
 * compare-and-set never fails because an email went out meanwhile.
 */
export async function setDeliveryOutcome(
  db: Executor,
  id: string,
  sendNumber: number,
  now: Date,
  outcome: { state: 'sent' | 'failed'; error: string | null },
): Promise<InvitationRecord | undefined> {
  const row = await db
    .updateTable('invitations')
    .set({
      delivery_state: outcome.state,
      delivery_error: outcome.error,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('send_count', '=', sendNumber)
    .returningAll()
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** The last failed attempt of send `sendNumber` while it is retried; state stays `queued`. */
export async function setDeliveryError(
  db: Executor,
  id: string,
  sendNumber: number,
  error: string,
): Promise<void> {
  await db
    .updateTable('invitations')
    .set({ delivery_error: error })
    .where('id', '=', id)
    .where('send_count', '=', sendNumber)
    .where('delivery_state', '=', 'queued')
    .execute();
}

/** Pending invitations of these addresses in the organization, keyed by `target|email`. */
export async function pendingByTargetAndEmail(
  db: Executor,
  organizationId: string,
  emails: string[],
): Promise<Map<string, string>> {
  if (emails.length === 0) return new Map();
  const rows = await db
    .selectFrom('invitations')
    .select(['id', 'target_key', 'email_canonical'])
    .where('organization_id', '=', organizationId)
    .where('email_canonical', 'in', emails)
    .where('status', '=', 'pending')
    .execute();
  return new Map(rows.map((row) => [`${row.target_key}|${row.email_canonical}`, row.id]));
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
}>;

function changesToRow(changes: InvitationChanges, now: Date) {
  const set: Updateable<InvitationTable> = { updated_at: now };
  if (changes.status !== undefined) set.status = changes.status;
  if (changes.role !== undefined) set.role = changes.role;
  if (changes.actions !== undefined)
    set.actions = changes.actions === null ? null : JSON.stringify(changes.actions);
  if (changes.message !== undefined) set.message = changes.message;
  if (changes.metadata !== undefined) set.metadata = JSON.stringify(changes.metadata);
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

/** Revokes every pending invitation onto a resource (it is being deleted); returns them. */
export async function revokePendingForResource(
  db: Executor,
  resourceId: string,
  now: Date,
  byUserId: string,
): Promise<InvitationRecord[]> {
  const rows = await db
    .updateTable('invitations')
    .set({
      status: 'revoked',
      responded_at: now,
      responded_by_user_id: byUserId,
      updated_at: now,
      version: sql`version + 1`,
    })
    .where('resource_id', '=', resourceId)
    .where('status', '=', 'pending')
    .returningAll()
    .execute();
  return rows.map(toRecord);
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

export interface InvitationFilter {
  organizationId?: string;
  emailCanonical?: string;
  statuses?: readonly InvitationStatus[] | undefined;
  emailContains?: string | undefined;
  inviterUserId?: string | undefined;
  inviteeUserId?: string | undefined;
  targetType?: 'organization' | 'resource' | undefined;
  resourceId?: string | undefined;
  role?: string | undefined;
  deliveryState?: DeliveryState | undefined;
  createdAfter?: Date | undefined;
  createdBefore?: Date | undefined;
  /** Any of these organizations (an empty list matches nothing). */
  organizationIds?: readonly string[] | undefined;
  /** Resource invitations onto resources of this type (and name). */
  resourceType?: string | undefined;
  resourceName?: string | undefined;
  /** Invitations this user sent or received. */
  involving?: { userId: string; emailCanonical: string } | undefined;
  /** A condition of the caller's making (CVAT's JSON-Logic filter). */
  predicate?: InvitationPredicate | undefined;
  /** Invitations addressed to this email, or of any of these organizations. */
  receivedOrOf?: { emailCanonical: string; organizationIds: readonly string[] } | undefined;
  /** The inviter's username (or email when they have none): exact, or containing this text. */
  inviterName?: string | undefined;
  inviterNameContains?: string | undefined;
}

export type InvitationOrder =
  | 'create_time'
  | '-create_time'
  | 'expire_time'
  | '-expire_time'
  | 'email'
  | '-email';

const ORDER_COLUMN = {
  create_time: 'created_at',
  expire_time: 'expires_at',
  email: 'email_canonical',
} as const;

function statusCondition(eb: ExpressionBuilder<DB, 'invitations'>, status: InvitationStatus, now: Date) {
  if (status === 'pending') return eb.and([eb('status', '=', 'pending'), eb('expires_at', '>', now)]);
  if (status === 'expired') {
    return eb.or([
      eb('status', '=', 'expired'),
      eb.and([eb('status', '=', 'pending'), eb('expires_at', '<=', now)]),
    ]);
  }
  return eb('status', '=', status);
}

function applyFilter(
  query: SelectQueryBuilder<DB, 'invitations', object>,
  filter: InvitationFilter,
  now: Date,
): SelectQueryBuilder<DB, 'invitations', object> {
  let q = query;
  if (filter.organizationId) q = q.where('organization_id', '=', filter.organizationId);
  if (filter.emailCanonical) q = q.where('email_canonical', '=', filter.emailCanonical);
  if (filter.statuses?.length) {
    const statuses = filter.statuses;
    q = q.where((eb) => eb.or(statuses.map((status) => statusCondition(eb, status, now))));
  }
  if (filter.emailContains) {
    const escaped = filter.emailContains.replace(/[\\%_]/g, (c) => `\\${c}`);
    q = q.where(sql<boolean>`email_canonical like ${`%${escaped}%`} escape '\\'`);
  }
  if (filter.inviterUserId) q = q.where('inviter_user_id', '=', filter.inviterUserId);
  if (filter.inviteeUserId) q = q.where('invitee_user_id', '=', filter.inviteeUserId);
  if (filter.targetType === 'organization') q = q.where('resource_id', 'is', null);
  if (filter.targetType === 'resource') q = q.where('resource_id', 'is not', null);
  if (filter.resourceId) q = q.where('resource_id', '=', filter.resourceId);
  if (filter.role) q = q.where('role', '=', filter.role);
  if (filter.deliveryState) q = q.where('delivery_state', '=', filter.deliveryState);
  if (filter.createdAfter) q = q.where('created_at', '>=', filter.createdAfter);
  if (filter.createdBefore) q = q.where('created_at', '<', filter.createdBefore);
  if (filter.involving) {
    const { userId, emailCanonical } = filter.involving;
    q = q.where((eb) =>
      eb.or([eb('inviter_user_id', '=', userId), eb('email_canonical', '=', emailCanonical)]),
    );
  }
  if (filter.predicate) q = q.where(predicateSql(filter.predicate));
  if (filter.receivedOrOf) {
    const { emailCanonical, organizationIds } = filter.receivedOrOf;
    q = q.where((eb) =>
      eb.or([
        eb('email_canonical', '=', emailCanonical),
        ...(organizationIds.length ? [eb('organization_id', 'in', organizationIds)] : []),
      ]),
    );
  }
  if (filter.inviterName !== undefined) q = q.where(sql<boolean>`${INVITER_NAME} = ${filter.inviterName}`);
  if (filter.inviterNameContains !== undefined) {
    const escaped = filter.inviterNameContains.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`);
    q = q.where(sql<boolean>`lower(${INVITER_NAME}) like ${`%${escaped}%`} escape '\\'`);
  }
  if (filter.organizationIds) {
    q = filter.organizationIds.length
      ? q.where('organization_id', 'in', filter.organizationIds)
      : q.where(sql<boolean>`1 = 0`);
  }
  if (filter.resourceType !== undefined || filter.resourceName !== undefined) {
    const { resourceType, resourceName } = filter;
    q = q.where('resource_id', 'in', (eb) => {
      let resources = eb.selectFrom('resources').select('resources.id');
      if (resourceType !== undefined) resources = resources.where('resources.type', '=', resourceType);
      if (resourceName !== undefined) resources = resources.where('resources.name', '=', resourceName);
      return resources;
    });
  }
  return q;
}

/**
 * One page by keyset on (sort column, id): the cost of a page does not grow with how deep
 * it is. `after` is the sort key of the last row of the previous page.
 */
export async function listInvitations(
  db: Executor,
  options: {
    filter: InvitationFilter;
    order: InvitationOrder;
    after?: (string | number)[] | undefined;
    limit: number;
    now: Date;
  },
): Promise<{ rows: InvitationRecord[]; sortKey: (row: InvitationRecord) => (string | number)[] }> {
  const descending = options.order.startsWith('-');
  const field = options.order.replace('-', '') as keyof typeof ORDER_COLUMN;
  const column = ORDER_COLUMN[field];
  const direction = descending ? 'desc' : 'asc';
  let query = applyFilter(db.selectFrom('invitations'), options.filter, options.now);
  if (options.after) {
    const [value, id] = options.after as [string, string];
    const bound = column === 'email_canonical' ? value : new Date(value);
    query = query.where((eb) =>
      eb(eb.refTuple(column, 'id'), descending ? '<' : '>', eb.tuple(bound as string, id)),
    );
  }
  const rows = await query
    .selectAll()
    .orderBy(column, direction)
    .orderBy('id', direction)
    .limit(options.limit)
    .execute();
  const sortKey = (row: InvitationRecord): (string | number)[] => {
    const value =
      field === 'email'
        ? row.emailCanonical
        : (field === 'create_time' ? row.createdAt : row.expiresAt).toISOString();
    return [value, row.id];
  };
  return { rows: rows.map((row) => toRecord(row as Row)), sortKey };
}

export async function countInvitations(db: Executor, filter: InvitationFilter, now: Date): Promise<number> {
  const row = await applyFilter(db.selectFrom('invitations'), filter, now)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export type OffsetOrder =
  | 'create_time'
  | '-create_time'
  | 'organization_name'
  | 'resource_name'
  | 'inviter_username'
  | '-inviter_username'
  | 'invitee_seq'
  | '-invitee_seq'
  | 'accepted'
  | '-accepted';

/**
 * One page by offset, for the APIs whose clients page by number. Names sort through correlated
 * subqueries, so no join makes the filter's column names ambiguous; ties break by id.
 */
export async function listInvitationsByOffset(
  db: Executor,
  options: { filter: InvitationFilter; order: OffsetOrder; offset: number; limit: number; now: Date },
): Promise<InvitationRecord[]> {
  let query = applyFilter(db.selectFrom('invitations'), options.filter, options.now).selectAll('invitations');
  switch (options.order) {
    case 'create_time':
      query = query.orderBy('created_at', 'asc').orderBy('id', 'asc');
      break;
    case '-create_time':
      query = query.orderBy('created_at', 'desc').orderBy('id', 'desc');
      break;
    case 'organization_name':
      query = query
        .orderBy(sql`(select o.slug from organizations o where o.id = invitations.organization_id)`)
        .orderBy('id', 'desc');
      break;
    case 'resource_name':
      query = query
        .orderBy(sql`(select r.name from resources r where r.id = invitations.resource_id)`)
        .orderBy('id', 'desc');
      break;
    case 'inviter_username':
    case '-inviter_username':
    case 'invitee_seq':
    case '-invitee_seq':
    case 'accepted':
    case '-accepted': {
      const direction = options.order.startsWith('-') ? sql`desc` : sql`asc`;
      const key = options.order.replace('-', '');
      const value =
        key === 'inviter_username'
          ? INVITER_NAME
          : key === 'invitee_seq'
            ? sql`coalesce(${INVITEE_SEQ}, 0)`
            : sql`case when status = 'accepted' then 1 else 0 end`;
      query = query.orderBy(sql`${value} ${direction}`).orderBy('id', 'desc');
      break;
    }
  }
  const rows = await query.limit(options.limit).offset(options.offset).execute();
  return rows.map((row) => toRecord(row as Row));
}
