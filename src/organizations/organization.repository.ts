import type { Engine, Executor } from '../db/database.ts';
import { prepared } from '../db/prepared.ts';
import { toDate } from '../lib/clock.ts';
import { type OrganizationSettings, OrganizationSettingsSchema } from './organization.schemas.ts';

/** Settings added after an organization was stored read as their defaults. */
const SETTING_DEFAULTS = OrganizationSettingsSchema.parse({});

export interface OrganizationRecord {
  id: string;
  /** The integer number, when read from the database. */
  seq?: number;
  uuid: string;
  slug: string;
  name: string;
  settings: OrganizationSettings;
  createdAt: Date;
  updatedAt: Date;
}

type Row = {
  id: string;
  seq?: number | string;
  uuid: string;
  slug: string;
  name: string;
  settings: string;
  created_at: Date | string;
  updated_at: Date | string;
};

function toRecord(row: Row): OrganizationRecord {
  return {
    id: row.id,
    ...(row.seq !== undefined && row.seq !== null ? { seq: Number(row.seq) } : {}),
    uuid: row.uuid,
    slug: row.slug,
    name: row.name,
    settings: { ...SETTING_DEFAULTS, ...(JSON.parse(row.settings) as Partial<OrganizationSettings>) },
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** An organization is born with its owner: both rows in the caller's transaction. */
export async function insertOrganizationWithOwner(
  db: Executor,
  org: OrganizationRecord,
  owner: { userId: string; role: string },
): Promise<void> {
  await db
    .insertInto('organizations')
    .values({
      id: org.id,
      uuid: org.uuid,
      slug: org.slug,
      name: org.name,
      settings: JSON.stringify(org.settings),
      created_at: org.createdAt,
      updated_at: org.updatedAt,
    })
    .execute();
  await db
    .insertInto('memberships')
    .values({
      organization_id: org.id,
      user_id: owner.userId,
      role: owner.role,
      created_at: org.createdAt,
      updated_at: org.createdAt,
    })
    .execute();
}

/** Accepts the id (`org_…`) or the slug. */
export async function findOrganizationBySeq(
  db: Executor,
  seq: number,
): Promise<OrganizationRecord | undefined> {
  const row = await db.selectFrom('organizations').selectAll().where('seq', '=', seq).executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/**
 * An organization and the role `userId` holds in it (null when not a member), in one query:
 * the access check on every organization-scoped request.
 */
export async function findOrganizationWithRole(
  db: Executor,
  ref: string,
  userId: string,
): Promise<{ organization: OrganizationRecord; memberRole: string | null } | undefined> {
  const column = ref.startsWith('org_') ? 'id' : UUID.test(ref) ? 'uuid' : 'slug';
  let [row] = await ORGANIZATION_WITH_ROLE[column](db, userId, ref);
  // A slug may happen to look like a UUID.
  if (!row && column === 'uuid') [row] = await ORGANIZATION_WITH_ROLE.slug(db, userId, ref);
  return row ? { organization: toRecord(row), memberRole: row.member_role ?? null } : undefined;
}

const organizationWithRole = (by: 'id' | 'uuid' | 'slug') =>
  prepared((db: Executor, userId: string, ref: string) =>
    db
      .selectFrom('organizations')
      .selectAll('organizations')
      .select((eb) =>
        eb
          .selectFrom('memberships')
          .select('memberships.role')
          .whereRef('memberships.organization_id', '=', 'organizations.id')
          .where('memberships.user_id', '=', userId)
          .as('member_role'),
      )
      .where(`organizations.${by}`, '=', ref),
  );
/** One prepared shape per way of naming the organization. */
const ORGANIZATION_WITH_ROLE = {
  id: organizationWithRole('id'),
  uuid: organizationWithRole('uuid'),
  slug: organizationWithRole('slug'),
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** By id (`org_…`), UUID or slug: every surface names organizations its own way. */
export async function findOrganization(db: Executor, ref: string): Promise<OrganizationRecord | undefined> {
  const column = ref.startsWith('org_') ? 'id' : UUID.test(ref) ? 'uuid' : 'slug';
  let row = await db.selectFrom('organizations').selectAll().where(column, '=', ref).executeTakeFirst();
  // A slug may happen to look like a UUID.
  if (!row && column === 'uuid') {
    row = await db.selectFrom('organizations').selectAll().where('slug', '=', ref).executeTakeFirst();
  }
  return row ? toRecord(row) : undefined;
}

/**
 * Serialises every seat-consuming write of one organization. PostgreSQL: a row lock held to
 * the end of the transaction. SQLite: `begin immediate` already holds the database's write lock.
 */
export async function lockOrganization(db: Executor, engine: Engine, id: string): Promise<void> {
  if (engine === 'postgres') {
    await db.selectFrom('organizations').select('id').where('id', '=', id).forUpdate().execute();
  }
}

/**
 * The settings (role catalog included) as they are now, for a write that depends on them. On
 * PostgreSQL the row is locked: `share` lets other such writes run side by side while a catalog
 * change (`lockOrganization`) waits for them, and them for it; `update` is `lockOrganization`.
 * On SQLite the transaction's write lock already orders them.
 */
export async function settingsForWrite(
  db: Executor,
  engine: Engine,
  id: string,
  mode: 'share' | 'update',
): Promise<OrganizationSettings> {
  let query = db.selectFrom('organizations').select('settings').where('id', '=', id);
  if (engine === 'postgres') query = mode === 'share' ? query.forShare() : query.forUpdate();
  const row = await query.executeTakeFirstOrThrow();
  return { ...SETTING_DEFAULTS, ...(JSON.parse(row.settings) as Partial<OrganizationSettings>) };
}

export async function updateOrganization(
  db: Executor,
  id: string,
  changes: { name?: string; settings?: OrganizationSettings; updatedAt: Date },
): Promise<void> {
  await db
    .updateTable('organizations')
    .set({
      ...(changes.name !== undefined ? { name: changes.name } : {}),
      ...(changes.settings !== undefined ? { settings: JSON.stringify(changes.settings) } : {}),
      updated_at: changes.updatedAt,
    })
    .where('id', '=', id)
    .execute();
}

/**
 * Roles held by a member or offered by a pending invitation, a join link not revoked, a pending
 * join request or a domain of the organization.
 */
export async function rolesInUse(db: Executor, id: string): Promise<string[]> {
  const rows = await db
    .selectFrom('memberships')
    .select('role')
    .where('organization_id', '=', id)
    .union(
      db
        .selectFrom('invitations')
        .select('role')
        .where('organization_id', '=', id)
        .where('status', '=', 'pending')
        .where('role', 'is not', null)
        .$narrowType<{ role: string }>(),
    )
    .union(
      db
        .selectFrom('join_links')
        .select('role')
        .where('organization_id', '=', id)
        .where('revoked_at', 'is', null)
        .where('role', 'is not', null)
        .$narrowType<{ role: string }>(),
    )
    .union(
      db
        .selectFrom('join_requests')
        .select('role')
        .where('organization_id', '=', id)
        .where('status', '=', 'pending')
        .where('role', 'is not', null)
        .$narrowType<{ role: string }>(),
    )
    .union(db.selectFrom('organization_domains').select('role').where('organization_id', '=', id))
    .execute();
  return rows.map((row) => row.role);
}

/** Organizations by id, for labelling lists; unknown ids are simply absent. */
export async function findOrganizationsByIds(db: Executor, ids: string[]): Promise<OrganizationRecord[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('organizations').selectAll().where('id', 'in', ids).execute()).map(toRecord);
}

export async function listOrganizationsForUser(
  db: Executor,
  options: { userId: string; allForInstanceAdmin: boolean; afterId?: string | undefined; limit: number },
): Promise<(OrganizationRecord & { role: string | null })[]> {
  let query = db
    .selectFrom('organizations')
    .leftJoin('memberships', (join) =>
      join
        .onRef('memberships.organization_id', '=', 'organizations.id')
        .on('memberships.user_id', '=', options.userId),
    )
    .selectAll('organizations')
    .select('memberships.role')
    .orderBy('organizations.id')
    .limit(options.limit);
  if (!options.allForInstanceAdmin) query = query.where('memberships.user_id', 'is not', null);
  if (options.afterId) query = query.where('organizations.id', '>', options.afterId);
  const rows = await query.execute();
  return rows.map((row) => ({ ...toRecord(row), role: row.role }));
}
