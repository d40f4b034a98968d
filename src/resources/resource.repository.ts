import type { Executor } from '../db/database.ts';
import { toDate } from '../lib/clock.ts';

export interface ResourceRecord {
  id: string;
  uuid: string;
  organizationId: string;
  type: string;
  name: string;
  createdAt: Date;
}

export interface GrantRecord {
  resourceId: string;
  userId: string;
  actions: string[];
  createdAt: Date;
  updatedAt: Date;
}

type ResourceRow = {
  id: string;
  uuid: string;
  organization_id: string;
  type: string;
  name: string;
  created_at: Date | string;
};

const toResource = (row: ResourceRow): ResourceRecord => ({
  id: row.id,
  uuid: row.uuid,
  organizationId: row.organization_id,
  type: row.type,
  name: row.name,
  createdAt: toDate(row.created_at),
});

export async function insertResource(db: Executor, resource: ResourceRecord): Promise<void> {
  await db
    .insertInto('resources')
    .values({
      id: resource.id,
      uuid: resource.uuid,
      organization_id: resource.organizationId,
      type: resource.type,
      name: resource.name,
      created_at: resource.createdAt,
    })
    .execute();
}

export async function findResourceInOrganization(
  db: Executor,
  organizationId: string,
  id: string,
): Promise<ResourceRecord | undefined> {
  const row = await db
    .selectFrom('resources')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toResource(row) : undefined;
}

export async function findResourceByName(
  db: Executor,
  organizationId: string,
  type: string,
  name: string,
): Promise<ResourceRecord | undefined> {
  const row = await db
    .selectFrom('resources')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('type', '=', type)
    .where('name', '=', name)
    .executeTakeFirst();
  return row ? toResource(row) : undefined;
}

export async function findResources(db: Executor, ids: string[]): Promise<ResourceRecord[]> {
  if (ids.length === 0) return [];
  return (await db.selectFrom('resources').selectAll().where('id', 'in', ids).execute()).map(toResource);
}

export async function listResources(
  db: Executor,
  options: { organizationId: string; type?: string | undefined; afterId?: string | undefined; limit: number },
): Promise<ResourceRecord[]> {
  let query = db
    .selectFrom('resources')
    .selectAll()
    .where('organization_id', '=', options.organizationId)
    .orderBy('id')
    .limit(options.limit);
  if (options.type) query = query.where('type', '=', options.type);
  if (options.afterId) query = query.where('id', '>', options.afterId);
  return (await query.execute()).map(toResource);
}

export async function deleteResource(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('resources').where('id', '=', id).execute();
}

export async function findGrant(
  db: Executor,
  resourceId: string,
  userId: string,
): Promise<GrantRecord | undefined> {
  const row = await db
    .selectFrom('resource_grants')
    .selectAll()
    .where('resource_id', '=', resourceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row
    ? {
        resourceId: row.resource_id,
        userId: row.user_id,
        actions: JSON.parse(row.actions) as string[],
        createdAt: toDate(row.created_at),
        updatedAt: toDate(row.updated_at),
      }
    : undefined;
}

/** Grants by canonical email of the given users on one resource. */
export async function grantsForEmails(
  db: Executor,
  resourceIds: string[],
  emails: string[],
): Promise<Map<string, string[]>> {
  if (resourceIds.length === 0 || emails.length === 0) return new Map();
  const rows = await db
    .selectFrom('resource_grants')
    .innerJoin('users', 'users.id', 'resource_grants.user_id')
    .select(['resource_grants.resource_id', 'users.email_canonical', 'resource_grants.actions'])
    .where('resource_grants.resource_id', 'in', resourceIds)
    .where('users.email_canonical', 'in', emails)
    .execute();
  return new Map(
    rows.map((row) => [`${row.resource_id}|${row.email_canonical}`, JSON.parse(row.actions) as string[]]),
  );
}

export async function putGrant(db: Executor, grant: GrantRecord): Promise<void> {
  await db
    .insertInto('resource_grants')
    .values({
      resource_id: grant.resourceId,
      user_id: grant.userId,
      actions: JSON.stringify(grant.actions),
      created_at: grant.createdAt,
      updated_at: grant.updatedAt,
    })
    .onConflict((oc) =>
      oc.columns(['resource_id', 'user_id']).doUpdateSet({
        actions: JSON.stringify(grant.actions),
        updated_at: grant.updatedAt,
      }),
    )
    .execute();
}

export async function deleteGrant(db: Executor, resourceId: string, userId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('resource_grants')
    .where('resource_id', '=', resourceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listGrants(
  db: Executor,
  options: { resourceId: string; afterUserId?: string | undefined; limit: number },
) {
  let query = db
    .selectFrom('resource_grants')
    .innerJoin('users', 'users.id', 'resource_grants.user_id')
    .select([
      'resource_grants.resource_id',
      'resource_grants.user_id',
      'resource_grants.actions',
      'resource_grants.created_at',
      'resource_grants.updated_at',
      'users.email',
    ])
    .where('resource_grants.resource_id', '=', options.resourceId)
    .orderBy('resource_grants.user_id')
    .limit(options.limit);
  if (options.afterUserId) query = query.where('resource_grants.user_id', '>', options.afterUserId);
  const rows = await query.execute();
  return rows.map((row) => ({
    resourceId: row.resource_id,
    userId: row.user_id,
    email: row.email,
    actions: JSON.parse(row.actions) as string[],
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  }));
}
