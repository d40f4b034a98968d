import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { SignUpTable } from '../db/schema.ts';
import { toDate } from '../lib/clock.ts';

export interface SignUpRecord {
  id: string;
  email: string;
  emailCanonical: string;
  tokenHash: string;
  sealedJoinToken: string | null;
  locale: string | null;
  createdAt: Date;
  expiresAt: Date;
  usedAt: Date | null;
}

function toRecord(row: Selectable<SignUpTable>): SignUpRecord {
  return {
    id: row.id,
    email: row.email,
    emailCanonical: row.email_canonical,
    tokenHash: row.token_hash,
    sealedJoinToken: row.sealed_join_token,
    locale: row.locale,
    createdAt: toDate(row.created_at),
    expiresAt: toDate(row.expires_at),
    usedAt: row.used_at === null ? null : toDate(row.used_at),
  };
}

export async function insertSignUp(db: Executor, signUp: SignUpRecord): Promise<void> {
  await db
    .insertInto('sign_ups')
    .values({
      id: signUp.id,
      email: signUp.email,
      email_canonical: signUp.emailCanonical,
      token_hash: signUp.tokenHash,
      sealed_join_token: signUp.sealedJoinToken,
      locale: signUp.locale,
      created_at: signUp.createdAt,
      expires_at: signUp.expiresAt,
      used_at: null,
    })
    .execute();
}

export async function findSignUpByTokenHash(
  db: Executor,
  tokenHash: string,
): Promise<SignUpRecord | undefined> {
  const row = await db
    .selectFrom('sign_ups')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** Spends a live sign-up link by compare-and-set: true for the one caller that spent it. */
export async function spendSignUp(db: Executor, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('sign_ups')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Sign-ups whose link lapsed or was spent before `before`: nothing needs them any more. */
export async function pruneSignUps(db: Executor, before: Date): Promise<number> {
  const result = await db.deleteFrom('sign_ups').where('expires_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
