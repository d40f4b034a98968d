import type { Selectable } from 'kysely';
import type { Executor } from '../db/database.ts';
import type { OrganizationDomainTable } from '../db/schema.ts';
import { toDate } from '../lib/clock.ts';

export type JoinMode = 'none' | 'offer' | 'auto_join';

export interface DomainRecord {
  id: string;
  organizationId: string;
  domain: string;
  verificationToken: string;
  status: 'pending' | 'verified';
  joinMode: JoinMode;
  role: string;
  requiresApproval: boolean;
  createdAt: Date;
  updatedAt: Date;
  verifiedAt: Date | null;
  checkedAt: Date | null;
  checkError: string | null;
}

function toRecord(row: Selectable<OrganizationDomainTable>): DomainRecord {
  const at = (value: Date | string | null) => (value === null ? null : toDate(value));
  return {
    id: row.id,
    organizationId: row.organization_id,
    domain: row.domain,
    verificationToken: row.verification_token,
    status: row.status,
    joinMode: row.join_mode,
    role: row.role,
    requiresApproval: Boolean(row.requires_approval),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    verifiedAt: at(row.verified_at),
    checkedAt: at(row.checked_at),
    checkError: row.check_error,
  };
}

export async function insertDomain(db: Executor, domain: DomainRecord): Promise<void> {
  await db
    .insertInto('organization_domains')
    .values({
      id: domain.id,
      organization_id: domain.organizationId,
      domain: domain.domain,
      verification_token: domain.verificationToken,
      status: domain.status,
      join_mode: domain.joinMode,
      role: domain.role,
      requires_approval: domain.requiresApproval,
      created_at: domain.createdAt,
      updated_at: domain.updatedAt,
      verified_at: domain.verifiedAt,
      checked_at: domain.checkedAt,
      check_error: domain.checkError,
    })
    .execute();
}

export async function findDomain(db: Executor, organizationId: string, domain: string) {
  const row = await db
    .selectFrom('organization_domains')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where((eb) => eb.or([eb('domain', '=', domain), eb('id', '=', domain)]))
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

export async function listDomains(db: Executor, organizationId: string): Promise<DomainRecord[]> {
  const rows = await db
    .selectFrom('organization_domains')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('domain')
    .execute();
  return rows.map(toRecord);
}

/** Verified domains that cover an address's domain: the domain itself or a parent of it. */
export async function verifiedDomainsCovering(db: Executor, emailDomain: string): Promise<DomainRecord[]> {
  const labels = emailDomain.split('.');
  const candidates = labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
  if (candidates.length === 0) return [];
  const rows = await db
    .selectFrom('organization_domains')
    .selectAll()
    .where('status', '=', 'verified')
    .where('domain', 'in', candidates)
    .execute();
  return rows.map(toRecord);
}

export async function updateDomain(
  db: Executor,
  id: string,
  changes: Partial<{
    status: 'pending' | 'verified';
    joinMode: JoinMode;
    role: string;
    requiresApproval: boolean;
    verifiedAt: Date | null;
    checkedAt: Date;
    checkError: string | null;
  }> & { updatedAt: Date },
): Promise<void> {
  await db
    .updateTable('organization_domains')
    .set({
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(changes.joinMode !== undefined ? { join_mode: changes.joinMode } : {}),
      ...(changes.role !== undefined ? { role: changes.role } : {}),
      ...(changes.requiresApproval !== undefined ? { requires_approval: changes.requiresApproval } : {}),
      ...(changes.verifiedAt !== undefined ? { verified_at: changes.verifiedAt } : {}),
      ...(changes.checkedAt !== undefined ? { checked_at: changes.checkedAt } : {}),
      ...(changes.checkError !== undefined ? { check_error: changes.checkError } : {}),
      updated_at: changes.updatedAt,
    })
    .where('id', '=', id)
    .execute();
}

/** Verified domains last checked before `checkedBefore` (or never), the longest unchecked first. */
export async function domainsDueForRecheck(
  db: Executor,
  checkedBefore: Date,
  limit: number,
): Promise<DomainRecord[]> {
  const rows = await db
    .selectFrom('organization_domains')
    .selectAll()
    .where('status', '=', 'verified')
    .where((eb) => eb.or([eb('checked_at', 'is', null), eb('checked_at', '<', checkedBefore)]))
    .orderBy('checked_at')
    .limit(limit)
    .execute();
  return rows.map(toRecord);
}

/**
 * Takes a due re-check by compare-and-set on `checked_at`: of several processes sweeping at once,
 * one checks the domain. False when another took it, or the domain changed meanwhile.
 */
export async function claimRecheck(db: Executor, domain: DomainRecord, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('organization_domains')
    .set({ checked_at: now })
    .where('id', '=', domain.id)
    .where('status', '=', 'verified')
    .where((eb) =>
      domain.checkedAt === null ? eb('checked_at', 'is', null) : eb('checked_at', '=', domain.checkedAt),
    )
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteDomain(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('organization_domains').where('id', '=', id).execute();
}
