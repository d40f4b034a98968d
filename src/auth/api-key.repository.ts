import { sql } from 'kysely';
import type { Scope } from '../access/principal.ts';
import type { UserRecord } from '../access/user-record.ts';
import type { Executor } from '../db/database.ts';
import { toDate } from '../lib/clock.ts';
import { toRecord as toUserRecord, type UserRow } from '../users/user.repository.ts';

export interface ApiKeyRecord {
  id: string;
  userId: string;
  name: string;
  secretHash: string;
  secretHint: string;
  scopes: Scope[] | ['*'];
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

type Row = {
  id: string;
  user_id: string;
  name: string;
  secret_hash: string;
  secret_hint: string;
  scopes: string;
  created_at: Date | string;
  expires_at: Date | string | null;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
};

const toRecord = (row: Row): ApiKeyRecord => ({
  id: row.id,
  userId: row.user_id,
  name: row.name,
  secretHash: row.secret_hash,
  secretHint: row.secret_hint,
  scopes: JSON.parse(row.scopes) as ApiKeyRecord['scopes'],
  createdAt: toDate(row.created_at),
  expiresAt: row.expires_at === null ? null : toDate(row.expires_at),
  lastUsedAt: row.last_used_at === null ? null : toDate(row.last_used_at),
  revokedAt: row.revoked_at === null ? null : toDate(row.revoked_at),
});

export async function insertApiKey(db: Executor, key: ApiKeyRecord): Promise<void> {
  await db
    .insertInto('api_keys')
    .values({
      id: key.id,
      user_id: key.userId,
      name: key.name,
      secret_hash: key.secretHash,
      secret_hint: key.secretHint,
      scopes: JSON.stringify(key.scopes),
      created_at: key.createdAt,
      expires_at: key.expiresAt,
      last_used_at: null,
      revoked_at: null,
    })
    .execute();
}

const USER_COLUMNS = [
  'id',
  'seq',
  'uuid',
  'email',
  'email_canonical',
  'username',
  'display_name',
  'password_hash',
  'status',
  'is_instance_admin',
  'external_id',
  'email_verified',
  'created_at',
  'updated_at',
] as const;

/**
 * The key of a secret and its user, in one query, with the auth and access epochs they were read
 * at (one statement, one snapshot: a change commits together with the epoch it moves).
 */
export async function findApiKeyAndUserBySecretHash(
  db: Executor,
  secretHash: string,
): Promise<{ key: ApiKeyRecord; user: UserRecord; epochs: Epochs } | undefined> {
  const row = await db
    .selectFrom('api_keys')
    .innerJoin('users', 'users.id', 'api_keys.user_id')
    .selectAll('api_keys')
    .select(USER_COLUMNS.map((column) => `users.${column} as user_${column}` as const))
    .select((eb) => [
      eb
        .selectFrom('auth_epoch')
        .select('auth_epoch.version')
        .where('auth_epoch.id', '=', 1)
        .as('auth_epoch'),
      eb
        .selectFrom('auth_epoch')
        .select('auth_epoch.version')
        .where('auth_epoch.id', '=', 2)
        .as('access_epoch'),
    ])
    .where('api_keys.secret_hash', '=', secretHash)
    .executeTakeFirst();
  if (!row) return undefined;
  const record = row as unknown as Record<string, unknown>;
  const user = Object.fromEntries(
    USER_COLUMNS.map((column) => [column, record[`user_${column}`]]),
  ) as UserRow;
  return {
    key: toRecord(row as Row),
    user: toUserRecord(user),
    epochs: { auth: Number(row.auth_epoch), access: Number(row.access_epoch ?? 0) },
  };
}

/** Migration 011's counter of what keys grant, and migration 015's of organization access. */
export interface Epochs {
  auth: number;
  access: number;
}

const EPOCHS_QUERY = sql<{
  auth: number | string;
  access: number | string | null;
}>`select version as auth, (select version from auth_epoch where id = 2) as access from auth_epoch where id = 1`;

/** Both epochs now, in one statement on indexed rows: read on every API-key request to validate the caches. */
export async function readEpochs(db: Executor): Promise<Epochs> {
  const { rows } = await EPOCHS_QUERY.execute(db);
  return { auth: Number(rows[0]?.auth ?? 0), access: Number(rows[0]?.access ?? 0) };
}

export async function findApiKey(db: Executor, id: string): Promise<ApiKeyRecord | undefined> {
  const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function listApiKeys(
  db: Executor,
  options: { userId: string; afterId?: string | undefined; limit: number },
): Promise<ApiKeyRecord[]> {
  let query = db
    .selectFrom('api_keys')
    .selectAll()
    .where('user_id', '=', options.userId)
    .orderBy('id')
    .limit(options.limit);
  if (options.afterId) query = query.where('id', '>', options.afterId);
  return (await query.execute()).map(toRecord);
}

/** Compare-and-set: only a key that is not yet revoked is revoked, once. */
export async function revokeApiKey(db: Executor, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function touchApiKey(db: Executor, id: string, now: Date): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}

/** Revokes every live key of a user (their credentials were someone else's); returns how many. */
export async function revokeApiKeysOfUser(db: Executor, userId: string, now: Date): Promise<number> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
