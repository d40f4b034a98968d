import type { ExpressionBuilder, SelectQueryBuilder } from 'kysely';
import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { DB, DeliveryState, InvitationStatus } from '../db/schema.ts';
import { invalidPageToken } from '../http/pagination.ts';
import { INVITEE_SEQ, INVITER_NAME, type InvitationPredicate, predicateSql } from './invitation.predicate.ts';
import { type InvitationRecord, type Row, toRecord } from './invitation.repository.ts';
import { grantsMentioning } from './invitation.resources.repository.ts';

// Searching invitations: the filters every surface combines, the orders, cursor and offset pages.

export interface InvitationFilter {
  organizationId?: string;
  emailCanonical?: string;
  statuses?: readonly InvitationStatus[] | undefined;
  emailContains?: string | undefined;
  inviterUserId?: string | undefined;
  inviteeUserId?: string | undefined;
  targetType?: 'organization' | 'resource' | undefined;
  resourceId?: string | undefined;
  /** Invitations that give this resource: onto it, or combined invitations granting it. */
  givingResource?: string | undefined;
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
  if (filter.givingResource) {
    const id = filter.givingResource;
    q = q.where((eb) =>
      eb.or([eb('resource_id', '=', id), sql<boolean>`grants like ${grantsMentioning(id)} escape '\\'`]),
    );
  }
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
 * it is. `after` is the sort key of the last row of the previous page; `before` the first row
 * of the next one, and then the rows come nearest first (the caller turns them round).
 * `offset` skips rows the slow way, for small offsets only.
 */
export async function listInvitations(
  db: Executor,
  options: {
    filter: InvitationFilter;
    order: InvitationOrder;
    after?: (string | number)[] | undefined;
    before?: (string | number)[] | undefined;
    offset?: number | undefined;
    limit: number;
    now: Date;
  },
): Promise<{ rows: InvitationRecord[]; sortKey: (row: InvitationRecord) => (string | number)[] }> {
  const field = options.order.replace('-', '') as keyof typeof ORDER_COLUMN;
  const column = ORDER_COLUMN[field];
  // Walking backwards is walking the reverse order forwards.
  const descending = options.order.startsWith('-') !== (options.before !== undefined);
  const direction = descending ? 'desc' : 'asc';
  let query = applyFilter(db.selectFrom('invitations'), options.filter, options.now);
  const bound = options.before ?? options.after;
  if (bound) {
    const [value, id] = bound;
    const start = column === 'email_canonical' ? value : new Date(value as string);
    if (
      typeof value !== 'string' ||
      typeof id !== 'string' ||
      (start instanceof Date && Number.isNaN(+start))
    ) {
      throw invalidPageToken(options.before ? 'before' : 'page_token');
    }
    query = query.where((eb) =>
      eb(eb.refTuple(column, 'id'), descending ? '<' : '>', eb.tuple(start as string, id)),
    );
  }
  if (options.offset) query = query.offset(options.offset);
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
