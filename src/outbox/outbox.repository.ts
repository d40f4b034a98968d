import { sql } from 'kysely';
import { inChunks } from '../db/chunks.ts';
import type { Engine, Executor } from '../db/database.ts';
import { toDate } from '../lib/clock.ts';

export interface OutboxMessage {
  id: string;
  kind: 'email' | 'webhook';
  topic: string;
  organizationId: string | null;
  invitationId: string | null;
  endpointId?: string | null;
  /** The same logical message always has the same key, so a retry is never a second message. */
  dedupeKey: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** Written in the transaction of the change that causes it; a worker delivers it after commit. */
export async function enqueue(db: Executor, messages: OutboxMessage[]): Promise<void> {
  await inChunks(messages, (slice) =>
    db
      .insertInto('outbox')
      .values(
        slice.map((message) => ({
          id: message.id,
          kind: message.kind,
          topic: message.topic,
          organization_id: message.organizationId,
          invitation_id: message.invitationId,
          endpoint_id: message.endpointId ?? null,
          dedupe_key: message.dedupeKey,
          payload: JSON.stringify(message.payload),
          status: 'pending' as const,
          attempts: 0,
          next_attempt_at: message.createdAt,
          last_error: null,
          locked_by: null,
          locked_until: null,
          delivered_at: null,
          created_at: message.createdAt,
          updated_at: message.createdAt,
        })),
      )
      .execute(),
  );
}

export interface ClaimedMessage {
  id: string;
  kind: 'email' | 'webhook';
  topic: string;
  organizationId: string | null;
  invitationId: string | null;
  endpointId: string | null;
  dedupeKey: string;
  payload: Record<string, unknown>;
  /** Including this one. */
  attempts: number;
  createdAt: Date;
}

/** Ids of messages due now: pending ones whose time has come, and claims whose lease lapsed. */
function dueIds(db: Executor, now: Date) {
  return db
    .selectFrom('outbox')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]),
        eb.and([eb('status', '=', 'processing'), eb('locked_until', '<', now)]),
      ]),
    );
}

/** Whether `claimDue` would find anything: a cheap, lock-free check for idle polls. */
export async function anyDue(db: Executor, now: Date): Promise<boolean> {
  const row = await dueIds(db, now).limit(1).executeTakeFirst();
  return row !== undefined;
}

/**
 * Claims up to `limit` due messages for `workerId` until `leaseUntil`: pending ones whose time
 * has come, and claimed ones whose holder's lease lapsed (it crashed). On PostgreSQL rows
 * another worker is claiming are skipped, not waited for, so workers never block each other or
 * take the same row; on SQLite the single write lock does the same.
 */
export async function claimDue(
  db: Executor,
  engine: Engine,
  options: { workerId: string; now: Date; leaseUntil: Date; limit: number },
): Promise<ClaimedMessage[]> {
  const { workerId, now, leaseUntil, limit } = options;
  let due = dueIds(db, now).orderBy('next_attempt_at').limit(limit);
  if (engine === 'postgres') due = due.forUpdate().skipLocked();
  const rows = await db
    .updateTable('outbox')
    .set({
      status: 'processing',
      locked_by: workerId,
      locked_until: leaseUntil,
      attempts: sql`attempts + 1`,
      updated_at: now,
    })
    .where('id', 'in', due)
    .returningAll()
    .execute();
  return rows.map((row) => ({
    id: row.id,
    kind: row.kind,
    topic: row.topic,
    organizationId: row.organization_id,
    invitationId: row.invitation_id,
    endpointId: row.endpoint_id,
    dedupeKey: row.dedupe_key,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    attempts: row.attempts,
    createdAt: toDate(row.created_at),
  }));
}

/**
 * Extends the lease on the claims `workerId` still holds among `ids`: a live worker keeps what
 * it is delivering, so only a dead or frozen one's claims lapse and are taken over.
 */
export async function extendClaims(
  db: Executor,
  ids: string[],
  workerId: string,
  leaseUntil: Date,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('outbox')
    .set({ locked_until: leaseUntil })
    .where('id', 'in', ids)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'processing')
    .execute();
}

/**
 * Settles a claimed message. Only the holder of the claim settles it: if its lease lapsed and
 * another worker took the row over, this returns false and the newer holder decides.
 */
export async function settle(
  db: Executor,
  id: string,
  workerId: string,
  now: Date,
  outcome:
    | { status: 'done' }
    | { status: 'pending'; nextAttemptAt: Date; error: string }
    | { status: 'dead'; error: string },
): Promise<boolean> {
  const result = await db
    .updateTable('outbox')
    .set({
      status: outcome.status,
      locked_by: null,
      locked_until: null,
      updated_at: now,
      ...(outcome.status === 'done'
        ? { delivered_at: now, last_error: null }
        : { last_error: outcome.error }),
      ...(outcome.status === 'pending' ? { next_attempt_at: outcome.nextAttemptAt } : {}),
    })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'processing')
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Settles as done the delivered messages among `ids` whose claim `workerId` still holds, in
 * one statement; the ids it settled. The others were taken over after their lease lapsed.
 */
export async function settleDone(
  db: Executor,
  ids: string[],
  workerId: string,
  now: Date,
): Promise<Set<string>> {
  const mine = new Set<string>();
  await inChunks(ids, async (slice) => {
    const rows = await db
      .updateTable('outbox')
      .set({
        status: 'done',
        locked_by: null,
        locked_until: null,
        updated_at: now,
        delivered_at: now,
        last_error: null,
      })
      .where('id', 'in', slice)
      .where('locked_by', '=', workerId)
      .where('status', '=', 'processing')
      .returning('id')
      .execute();
    for (const row of rows) mine.add(row.id);
  });
  return mine;
}

/** The sealed link of the latest send of an invitation, for a reminder to carry. */
export async function latestEmailPayload(
  db: Executor,
  invitationId: string,
  sendNumber: number,
): Promise<Record<string, unknown> | undefined> {
  const row = await db
    .selectFrom('outbox')
    .select('payload')
    .where('dedupe_key', '=', `invitation-email:${invitationId}:${sendNumber}`)
    .executeTakeFirst();
  return row ? (JSON.parse(row.payload) as Record<string, unknown>) : undefined;
}

/**
 * How much work is waiting, for readiness probes and metrics: `due` now, `retrying` (failed at
 * least once and waiting for their next attempt: an SMTP outage shows here, not in `due`) and
 * `dead`. Counts on the (status, time) index.
 */
export async function outboxBacklog(
  db: Executor,
  now: Date,
): Promise<{ due: number; retrying: number; dead: number }> {
  const count = (query: ReturnType<typeof countOutbox>) => query.executeTakeFirstOrThrow();
  const [due, retrying, dead] = await Promise.all([
    count(countOutbox(db).where('status', '=', 'pending').where('next_attempt_at', '<=', now)),
    count(
      countOutbox(db)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '>', now)
        .where('attempts', '>', 0),
    ),
    count(countOutbox(db).where('status', '=', 'dead')),
  ]);
  return { due: Number(due.n), retrying: Number(retrying.n), dead: Number(dead.n) };
}

function countOutbox(db: Executor) {
  return db.selectFrom('outbox').select((eb) => eb.fn.countAll<number>().as('n'));
}

/**
 * Removes settled messages older than `olderThan`, keeping any invitation email whose invitation
 * is still pending (a reminder reuses its sealed link). Webhook attempts go with their messages.
 */
export async function pruneSettled(db: Executor, olderThan: Date): Promise<number> {
  const stale = db
    .selectFrom('outbox')
    .select('outbox.id')
    .where('outbox.status', 'in', ['done', 'dead'])
    .where('outbox.updated_at', '<', olderThan)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('invitations')
            .select('invitations.id')
            .whereRef('invitations.id', '=', 'outbox.invitation_id')
            .where('invitations.status', '=', 'pending')
            .where('outbox.kind', '=', 'email'),
        ),
      ),
    );
  await db.deleteFrom('webhook_attempts').where('outbox_id', 'in', stale).execute();
  const result = await db.deleteFrom('outbox').where('id', 'in', stale).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Development mailbox messages older than `olderThan`. */
export async function pruneCapturedEmails(db: Executor, olderThan: Date): Promise<number> {
  const result = await db
    .deleteFrom('captured_emails')
    .where('created_at', '<', olderThan)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
