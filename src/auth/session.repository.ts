import type { Executor } from '../db/database.ts';
import { toDate } from '../lib/clock.ts';

export interface SessionRow {
  userId: string;
  credentialTag: string;
  expiresAt: Date;
  /** The user's current password hash, to compare with the tag taken at sign-in. */
  passwordHash: string | null;
}

export async function insertSession(
  db: Executor,
  session: { id: string; userId: string; credentialTag: string; createdAt: Date; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('browser_sessions')
    .values({
      id: session.id,
      user_id: session.userId,
      credential_tag: session.credentialTag,
      created_at: session.createdAt,
      expires_at: session.expiresAt,
    })
    .execute();
}

export async function findSession(db: Executor, id: string): Promise<SessionRow | undefined> {
  const row = await db
    .selectFrom('browser_sessions')
    .innerJoin('users', 'users.id', 'browser_sessions.user_id')
    .select([
      'browser_sessions.user_id',
      'browser_sessions.credential_tag',
      'browser_sessions.expires_at',
      'users.password_hash',
    ])
    .where('browser_sessions.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    userId: row.user_id,
    credentialTag: row.credential_tag,
    expiresAt: toDate(row.expires_at),
    passwordHash: row.password_hash,
  };
}

export async function deleteSession(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('browser_sessions').where('id', '=', id).execute();
}

export async function deleteSessionsOfUser(db: Executor, userId: string): Promise<number> {
  const result = await db.deleteFrom('browser_sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteExpiredSessions(db: Executor, now: Date): Promise<void> {
  await db.deleteFrom('browser_sessions').where('expires_at', '<=', now).execute();
}
