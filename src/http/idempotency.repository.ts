import type { Executor } from '../db/database.ts';

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export type ClaimResult =
  | { outcome: 'claimed' }
  | { outcome: 'mismatch' }
  | { outcome: 'replay'; response: StoredResponse };

/**
 * Claims a key inside the request's transaction. The insert either wins or finds the row of the
 * request that did; on PostgreSQL it waits while that request's transaction is open, so the
 * row it then finds is committed, answer included. An `in_flight` row is only ever left by a
 * version that committed claims on their own: taken over.
 */
export async function claimIdempotencyKey(
  db: Executor,
  principalId: string,
  key: string,
  fingerprint: string,
  now: Date,
): Promise<ClaimResult> {
  const inserted = await db
    .insertInto('idempotency_keys')
    .values({ principal_id: principalId, key, fingerprint, state: 'in_flight', created_at: now })
    .onConflict((conflict) => conflict.columns(['principal_id', 'key']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) return { outcome: 'claimed' };
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
  await db
    .updateTable('idempotency_keys')
    .set({ created_at: now })
    .where('principal_id', '=', principalId)
    .where('key', '=', key)
    .execute();
  return { outcome: 'claimed' };
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

export async function pruneIdempotencyKeys(db: Executor, olderThan: Date): Promise<void> {
  // Also any answer stored before bodies were sealed: it may hold a secret in plain text.
  await db
    .deleteFrom('idempotency_keys')
    .where((eb) =>
      eb.or([
        eb('created_at', '<', olderThan),
        eb.and([eb('state', '=', 'done'), eb('response_body', 'not like', 'v1.%')]),
      ]),
    )
    .execute();
}
