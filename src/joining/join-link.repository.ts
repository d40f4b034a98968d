import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { JoinLinkTable } from '../db/schema.ts';
import { toDate } from '../lib/clock.ts';

export interface JoinLinkRecord {
  id: string;
  organizationId: string;
  resourceId: string | null;
  role: string | null;
  actions: string[] | null;
  description: string | null;
  secretHash: string;
  maxUses: number | null;
  useCount: number;
  allowedDomain: string | null;
  requiresApproval: boolean;
  createdByUserId: string;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
  rotatedAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export type JoinLinkStatus = 'active' | 'exhausted' | 'expired' | 'revoked';

export function linkStatus(link: JoinLinkRecord, now: Date): JoinLinkStatus {
  if (link.revokedAt) return 'revoked';
  if (link.expiresAt <= now) return 'expired';
  if (link.maxUses !== null && link.useCount >= link.maxUses) return 'exhausted';
  return 'active';
}

function toRecord(row: Selectable<JoinLinkTable>): JoinLinkRecord {
  const at = (value: Date | string | null) => (value === null ? null : toDate(value));
  return {
    id: row.id,
    organizationId: row.organization_id,
    resourceId: row.resource_id,
    role: row.role,
    actions: row.actions === null ? null : (JSON.parse(row.actions) as string[]),
    description: row.description,
    secretHash: row.secret_hash,
    maxUses: row.max_uses,
    useCount: Number(row.use_count),
    allowedDomain: row.allowed_domain,
    requiresApproval: Boolean(row.requires_approval),
    createdByUserId: row.created_by_user_id,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    expiresAt: toDate(row.expires_at),
    rotatedAt: at(row.rotated_at),
    revokedAt: at(row.revoked_at),
    lastUsedAt: at(row.last_used_at),
  };
}

export async function insertJoinLink(db: Executor, link: JoinLinkRecord): Promise<void> {
  await db
    .insertInto('join_links')
    .values({
      id: link.id,
      organization_id: link.organizationId,
      resource_id: link.resourceId,
      role: link.role,
      actions: link.actions === null ? null : JSON.stringify(link.actions),
      description: link.description,
      secret_hash: link.secretHash,
      max_uses: link.maxUses,
      use_count: link.useCount,
      allowed_domain: link.allowedDomain,
      requires_approval: link.requiresApproval,
      created_by_user_id: link.createdByUserId,
      created_at: link.createdAt,
      updated_at: link.updatedAt,
      expires_at: link.expiresAt,
      rotated_at: link.rotatedAt,
      revoked_at: link.revokedAt,
      last_used_at: link.lastUsedAt,
    })
    .execute();
}

export async function findJoinLinkByHash(db: Executor, secretHash: string) {
  const row = await db
    .selectFrom('join_links')
    .selectAll()
    .where('secret_hash', '=', secretHash)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function findJoinLink(db: Executor, organizationId: string, id: string) {
  const row = await db
    .selectFrom('join_links')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function listJoinLinks(
  db: Executor,
  options: { organizationId: string; afterId?: string | undefined; limit: number },
): Promise<JoinLinkRecord[]> {
  let query = db
    .selectFrom('join_links')
    .selectAll()
    .where('organization_id', '=', options.organizationId)
    .orderBy('id', 'desc')
    .limit(options.limit);
  if (options.afterId) query = query.where('id', '<', options.afterId);
  return (await query.execute()).map(toRecord);
}

/**
 * Takes one use: a compare-and-set against revocation, expiry and the cap, so of concurrent
 * joiners at the last use exactly one gets it. False when the link could not be used.
 */
export async function takeUse(db: Executor, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('join_links')
    .set({ use_count: sql`use_count + 1`, last_used_at: now, updated_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where((eb) => eb.or([eb('max_uses', 'is', null), eb('use_count', '<', eb.ref('max_uses'))]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Revokes a live link; false when it was already revoked. */
export async function revokeJoinLink(db: Executor, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('join_links')
    .set({ revoked_at: now, updated_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A new secret for a live link: the old one stops working at once. */
export async function rotateJoinLink(
  db: Executor,
  id: string,
  secretHash: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('join_links')
    .set({ secret_hash: secretHash, rotated_at: now, updated_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}
