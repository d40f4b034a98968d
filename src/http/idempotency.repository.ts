import type { Executor } from '../db/database.ts';
import { isUniqueViolation } from '../db/database.ts';
import { toDate } from '../lib/clock.ts';

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export type ClaimResult =
  | { outcome: 'claimed' }
  | { outcome: 'mismatch' }
  | { outcome: 'in_flight' }
  | { outcome: 'replay'; response: StoredResponse };

/** An in-flight claim older than this belongs to a request that died; a retry may take it over. */
const STALE_CLAIM_MS = 60_000;

/**
 * Claims a key atomically: the insert either wins or finds the row of the request that did.
 */
export async function claimIdempotencyKey(
  db: Executor,
  principalId: string,
  key: string,
  fingerprint: string,
  now: Date,
): Promise<ClaimResult> {
  try {
    await db
      .insertInto('idempotency_keys')
      .values({ principal_id: principalId, key, fingerprint, state: 'in_flight', created_at: now })
      .execute();
    return { outcome: 'claimed' };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  const row = await db
    .selectFrom('idempotency_keys')
    .selectAll()
    .where('principal_id', '=', principalId)
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row) return claimIdempotencyKey(db, principalId, key, fingerprint, now);
  if (row.fingerprint !== fingerprint) return { outcome: 'mismatch' };
  if (row.state === 'done') {
    return {
      outcome: 'replay',
      response: {
        statusCode: row.status_code!,
        headers: JSON.parse(row.response_headers ?? '{}') as Record<string, string>,
        body: row.response_body ?? '',
      },
    };
  }
  if (now.getTime() - toDate(row.created_at).getTime() < STALE_CLAIM_MS) return { outcome: 'in_flight' };
  const taken = await db
    .updateTable('idempotency_keys')
    .set({ created_at: now })
    .where('principal_id', '=', principalId)
    .where('key', '=', key)
    .where('state', '=', 'in_flight')
    .where('created_at', '=', row.created_at)
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1 ? { outcome: 'claimed' } : { outcome: 'in_flight' };
}

export async function completeIdempotencyKey(
  db: Executor,
  principalId: string,
  key: string,
  response: StoredResponse,
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({
      state: 'done',
      status_code: response.statusCode,
      response_headers: JSON.stringify(response.headers),
      response_body: response.body,
    })
    .where('principal_id', '=', principalId)
    .where('key', '=', key)
    .execute();
}

export async function releaseIdempotencyKey(db: Executor, principalId: string, key: string): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('principal_id', '=', principalId)
    .where('key', '=', key)
    .execute();
}

export async function pruneIdempotencyKeys(db: Executor, olderThan: Date): Promise<void> {
  await db.deleteFrom('idempotency_keys').where('created_at', '<', olderThan).execute();
}
