import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { JoinRequestStatus, JoinRequestTable } from '../db/schema.ts';
import { toDate } from '../lib/clock.ts';

export interface JoinRequestRecord {
  id: string;
  organizationId: string;
  userId: string;
  targetKey: string;
  resourceId: string | null;
  role: string | null;
  actions: string[] | null;
  source: 'link' | 'domain';
  joinLinkId: string | null;
  domain: string | null;
  status: JoinRequestStatus;
  reason: string | null;
  decidedByUserId: string | null;
  decidedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A request with who filed it, for admins' lists. */
export interface JoinRequestRow extends JoinRequestRecord {
  email: string;
  displayName: string | null;
}

function toRecord(row: Selectable<JoinRequestTable>): JoinRequestRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    userId: row.user_id,
    targetKey: row.target_key,
    resourceId: row.resource_id,
    role: row.role,
    actions: row.actions === null ? null : (JSON.parse(row.actions) as string[]),
    source: row.source,
    joinLinkId: row.join_link_id,
    domain: row.domain,
    status: row.status,
    reason: row.reason,
    decidedByUserId: row.decided_by_user_id,
    decidedAt: row.decided_at === null ? null : toDate(row.decided_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

export async function insertJoinRequest(db: Executor, request: JoinRequestRecord): Promise<void> {
  await db
    .insertInto('join_requests')
    .values({
      id: request.id,
      organization_id: request.organizationId,
      user_id: request.userId,
      target_key: request.targetKey,
      resource_id: request.resourceId,
      role: request.role,
      actions: request.actions === null ? null : JSON.stringify(request.actions),
      source: request.source,
      join_link_id: request.joinLinkId,
      domain: request.domain,
      status: request.status,
      reason: request.reason,
      decided_by_user_id: request.decidedByUserId,
      decided_at: request.decidedAt,
      created_at: request.createdAt,
      updated_at: request.updatedAt,
    })
    .execute();
}

export async function findJoinRequest(db: Executor, id: string): Promise<JoinRequestRecord | undefined> {
  const row = await db.selectFrom('join_requests').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function pendingRequestOf(
  db: Executor,
  targetKey: string,
  userId: string,
): Promise<JoinRequestRecord | undefined> {
  const row = await db
    .selectFrom('join_requests')
    .selectAll()
    .where('target_key', '=', targetKey)
    .where('user_id', '=', userId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function listJoinRequests(
  db: Executor,
  options: {
    organizationId?: string | undefined;
    userId?: string | undefined;
    joinLinkId?: string | undefined;
    statuses?: readonly JoinRequestStatus[] | undefined;
    afterId?: string | undefined;
    limit: number;
  },
): Promise<JoinRequestRow[]> {
  let query = db
    .selectFrom('join_requests')
    .innerJoin('users', 'users.id', 'join_requests.user_id')
    .selectAll('join_requests')
    .select(['users.email as user_email', 'users.display_name as user_display_name'])
    .orderBy('join_requests.id', 'desc')
    .limit(options.limit);
  if (options.organizationId)
    query = query.where('join_requests.organization_id', '=', options.organizationId);
  if (options.userId) query = query.where('join_requests.user_id', '=', options.userId);
  if (options.joinLinkId) query = query.where('join_requests.join_link_id', '=', options.joinLinkId);
  if (options.statuses?.length) query = query.where('join_requests.status', 'in', options.statuses);
  if (options.afterId) query = query.where('join_requests.id', '<', options.afterId);
  const rows = await query.execute();
  return rows.map((row) => ({ ...toRecord(row), email: row.user_email, displayName: row.user_display_name }));
}

/** Decides a pending request: a compare-and-set, so of two concurrent decisions one wins. */
export async function decidePending(
  db: Executor,
  id: string,
  decision: { status: 'approved' | 'rejected'; byUserId: string; reason: string | null; now: Date },
): Promise<boolean> {
  const result = await db
    .updateTable('join_requests')
    .set({
      status: decision.status,
      decided_by_user_id: decision.byUserId,
      decided_at: decision.now,
      reason: decision.reason,
      updated_at: decision.now,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
