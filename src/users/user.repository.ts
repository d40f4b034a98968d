import { sql } from 'kysely';
import type { UserRecord } from '../access/user-record.ts';
import type { Executor } from '../db/database.ts';
import { toDate } from '../lib/clock.ts';

type Row = {
  id: string;
  seq?: number | string;
  uuid: string;
  email: string;
  email_canonical: string;
  username: string | null;
  display_name: string | null;
  password_hash: string | null;
  status: UserRecord['status'];
  is_instance_admin: boolean | number;
  external_id: string | null;
  email_verified: boolean | number;
  created_at: Date | string;
  updated_at: Date | string;
};

export type UserRow = Row;

export function toRecord(row: Row): UserRecord {
  return {
    id: row.id,
    ...(row.seq !== undefined && row.seq !== null ? { seq: Number(row.seq) } : {}),
    uuid: row.uuid,
    email: row.email,
    emailCanonical: row.email_canonical,
    username: row.username,
    displayName: row.display_name,
    passwordHash: row.password_hash,
    status: row.status,
    isInstanceAdmin: Boolean(row.is_instance_admin),
    externalId: row.external_id,
    emailVerified: Boolean(row.email_verified),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

export async function insertUser(db: Executor, user: UserRecord): Promise<void> {
  await db
    .insertInto('users')
    .values({
      id: user.id,
      uuid: user.uuid,
      email: user.email,
      email_canonical: user.emailCanonical,
      username: user.username,
      display_name: user.displayName,
      password_hash: user.passwordHash,
      status: user.status,
      is_instance_admin: user.isInstanceAdmin,
      external_id: user.externalId,
      email_verified: user.emailVerified,
      created_at: user.createdAt,
      updated_at: user.updatedAt,
    })
    .execute();
}

export async function updateUser(
  db: Executor,
  id: string,
  changes: Partial<
    Pick<
      UserRecord,
      'email' | 'username' | 'displayName' | 'passwordHash' | 'status' | 'externalId' | 'emailVerified'
    >
  > & {
    updatedAt: Date;
  },
): Promise<void> {
  await db
    .updateTable('users')
    .set({
      ...(changes.email !== undefined ? { email: changes.email } : {}),
      ...(changes.username !== undefined ? { username: changes.username } : {}),
      ...(changes.displayName !== undefined ? { display_name: changes.displayName } : {}),
      ...(changes.passwordHash !== undefined ? { password_hash: changes.passwordHash } : {}),
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(changes.externalId !== undefined ? { external_id: changes.externalId } : {}),
      ...(changes.emailVerified !== undefined ? { email_verified: changes.emailVerified } : {}),
      updated_at: changes.updatedAt,
    })
    .where('id', '=', id)
    .execute();
}

export async function findUserById(db: Executor, id: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findUserByCanonicalEmail(
  db: Executor,
  emailCanonical: string,
): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('email_canonical', '=', emailCanonical)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findUsersByCanonicalEmails(db: Executor, emails: string[]): Promise<UserRecord[]> {
  if (emails.length === 0) return [];
  const rows = await db.selectFrom('users').selectAll().where('email_canonical', 'in', emails).execute();
  return rows.map(toRecord);
}

export async function findUsersByIds(db: Executor, ids: string[]): Promise<UserRecord[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('users').selectAll().where('id', 'in', ids).execute()).map(toRecord);
}

/** The oldest instance admin: the one `rsvp bootstrap` created. */
export async function findFirstInstanceAdmin(db: Executor): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('is_instance_admin', '=', true)
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findUserByUsername(db: Executor, username: string): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findUserByExternalId(
  db: Executor,
  externalId: string,
): Promise<UserRecord | undefined> {
  const row = await db
    .selectFrom('users')
    .selectAll()
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** Whether the two users share an organization, which makes them visible to each other. */
export async function shareAnOrganization(db: Executor, userId: string, otherId: string): Promise<boolean> {
  const row = await db
    .selectFrom('memberships as a')
    .innerJoin('memberships as b', 'a.organization_id', 'b.organization_id')
    .select('a.organization_id')
    .where('a.user_id', '=', userId)
    .where('b.user_id', '=', otherId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export async function countInstanceAdmins(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('is_instance_admin', '=', true)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** A user that was only ever a placeholder: deactivated before anyone registered it. */
export function neverRegistered(user: UserRecord): boolean {
  return (
    user.status === 'placeholder' || (user.status === 'deactivated' && !user.passwordHash && !user.externalId)
  );
}

export async function findUserBySeq(db: Executor, seq: number): Promise<UserRecord | undefined> {
  const row = await db.selectFrom('users').selectAll().where('seq', '=', seq).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/**
 * One page of every user, by id (ids grow with time, so oldest first), optionally only those
 * whose email, username or display name contains `search` (case-insensitively).
 */
export async function listUsers(
  db: Executor,
  options: {
    search?: string | undefined;
    status?: UserRecord['status'] | undefined;
    afterId?: string | undefined;
    limit: number;
  },
): Promise<UserRecord[]> {
  let query = db.selectFrom('users').selectAll().orderBy('id').limit(options.limit);
  if (options.afterId) query = query.where('id', '>', options.afterId);
  if (options.status) query = query.where('status', '=', options.status);
  if (options.search) {
    const pattern = `%${options.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    query = query.where((eb) =>
      eb.or([
        sql<boolean>`email_canonical like ${pattern} escape '\\'`,
        sql<boolean>`lower(username) like ${pattern} escape '\\'`,
        sql<boolean>`lower(display_name) like ${pattern} escape '\\'`,
      ]),
    );
  }
  return (await query.execute()).map(toRecord);
}
