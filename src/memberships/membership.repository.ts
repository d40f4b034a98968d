import type { RoleDefinition } from '../access/roles.ts';
import type { Executor } from '../db/database.ts';
import { toDate } from '../lib/clock.ts';

export interface MembershipRecord {
  organizationId: string;
  userId: string;
  role: string;
  createdAt: Date;
  updatedAt: Date;
  /** Copied from the invitation that made or changed the membership; `{}` when none. */
  publicMetadata?: Record<string, unknown>;
  privateMetadata?: Record<string, unknown>;
}

const parseObject = (text: string) => JSON.parse(text) as Record<string, unknown>;

export interface MemberRow extends MembershipRecord {
  email: string;
  username: string | null;
  displayName: string | null;
}

export async function findMembership(
  db: Executor,
  organizationId: string,
  userId: string,
): Promise<MembershipRecord | undefined> {
  const row = await db
    .selectFrom('memberships')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row
    ? {
        organizationId: row.organization_id,
        userId: row.user_id,
        role: row.role,
        createdAt: toDate(row.created_at),
        updatedAt: toDate(row.updated_at),
        publicMetadata: parseObject(row.public_metadata),
        privateMetadata: parseObject(row.private_metadata),
      }
    : undefined;
}

/** The user's memberships with each organization's role catalog, to tell where they administer. */
export async function membershipsWithCatalog(
  db: Executor,
  userId: string,
): Promise<{ organizationId: string; role: string; roles: RoleDefinition[] }[]> {
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
    .select(['organizations.id', 'organizations.settings', 'memberships.role'])
    .where('memberships.user_id', '=', userId)
    .execute();
  return rows.map((row) => ({
    organizationId: row.id,
    role: row.role,
    roles: (JSON.parse(row.settings) as { roles: RoleDefinition[] }).roles,
  }));
}

export async function insertMembership(db: Executor, membership: MembershipRecord): Promise<void> {
  await db
    .insertInto('memberships')
    .values({
      organization_id: membership.organizationId,
      user_id: membership.userId,
      role: membership.role,
      created_at: membership.createdAt,
      updated_at: membership.updatedAt,
      public_metadata: JSON.stringify(membership.publicMetadata ?? {}),
      private_metadata: JSON.stringify(membership.privateMetadata ?? {}),
    })
    .execute();
}

/** Replaces the membership's metadata objects (callers merge first). */
export async function setMembershipMetadata(
  db: Executor,
  organizationId: string,
  userId: string,
  metadata: { publicMetadata: Record<string, unknown>; privateMetadata: Record<string, unknown> },
  now: Date,
): Promise<void> {
  await db
    .updateTable('memberships')
    .set({
      public_metadata: JSON.stringify(metadata.publicMetadata),
      private_metadata: JSON.stringify(metadata.privateMetadata),
      updated_at: now,
    })
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .execute();
}

export async function setMembershipRole(
  db: Executor,
  organizationId: string,
  userId: string,
  role: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('memberships')
    .set({ role, updated_at: now })
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .execute();
}

export async function deleteMembership(
  db: Executor,
  organizationId: string,
  userId: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('memberships')
    .where('organization_id', '=', organizationId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function countMembers(db: Executor, organizationId: string, role?: string): Promise<number> {
  let query = db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('organization_id', '=', organizationId);
  if (role !== undefined) query = query.where('role', '=', role);
  const row = await query.executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Canonical emails of the given set that already belong to the organization. */
export async function memberEmailsAmong(
  db: Executor,
  organizationId: string,
  emails: string[],
): Promise<Set<string>> {
  if (emails.length === 0) return new Set();
  const rows = await db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select('users.email_canonical')
    .where('memberships.organization_id', '=', organizationId)
    .where('users.email_canonical', 'in', emails)
    .execute();
  return new Set(rows.map((row) => row.email_canonical));
}

/** Which of `userIds` are members of the organization. */
export async function membersAmong(
  db: Executor,
  organizationId: string,
  userIds: string[],
): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('memberships')
    .select('user_id')
    .where('organization_id', '=', organizationId)
    .where('user_id', 'in', userIds)
    .execute();
  return new Set(rows.map((row) => row.user_id));
}

export async function listMembers(
  db: Executor,
  options: {
    organizationId: string;
    afterUserId?: string | undefined;
    limit: number;
    role?: string | undefined;
  },
): Promise<MemberRow[]> {
  let query = db
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select([
      'memberships.organization_id',
      'memberships.user_id',
      'memberships.role',
      'memberships.created_at',
      'memberships.updated_at',
      'memberships.public_metadata',
      'memberships.private_metadata',
      'users.email',
      'users.username',
      'users.display_name',
    ])
    .where('memberships.organization_id', '=', options.organizationId)
    .orderBy('memberships.user_id')
    .limit(options.limit);
  if (options.afterUserId) query = query.where('memberships.user_id', '>', options.afterUserId);
  if (options.role) query = query.where('memberships.role', '=', options.role);
  const rows = await query.execute();
  return rows.map((row) => ({
    organizationId: row.organization_id,
    userId: row.user_id,
    role: row.role,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    publicMetadata: parseObject(row.public_metadata),
    privateMetadata: parseObject(row.private_metadata),
    email: row.email,
    username: row.username,
    displayName: row.display_name,
  }));
}

/** Which of `userIds` are members of which of `organizationIds`, as `org_id user_id` pairs. */
export async function membershipPairs(
  db: Executor,
  userIds: string[],
  organizationIds: string[],
): Promise<Set<string>> {
  if (userIds.length === 0 || organizationIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('memberships')
    .select(['organization_id', 'user_id'])
    .where('user_id', 'in', userIds)
    .where('organization_id', 'in', organizationIds)
    .execute();
  return new Set(rows.map((row) => `${row.organization_id} ${row.user_id}`));
}
