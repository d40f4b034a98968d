import type { Principal } from '../access/principal.ts';
import { findRole, ownerRole, type RoleDefinition } from '../access/roles.ts';
import type { Executor } from '../db/database.ts';
import { AppError, notFound } from '../lib/errors.ts';
import type { MemoAt } from '../lib/versioned-memo.ts';
import { findOrganizationWithRole, type OrganizationRecord } from './organization.repository.ts';

export interface OrganizationAccess {
  organization: OrganizationRecord;
  /** The caller's membership role; null for an instance admin who is not a member. */
  role: RoleDefinition | null;
  /** Rank used for "nobody grants above their own": instance admins act with the owner's rank. */
  rank: number;
  isAdmin: boolean;
}

/**
 * Resolves an organization the caller may see. Anything else, existing or not, is 404: ids
 * outside the caller's organizations never confirm their existence.
 */
export async function organizationAccess(
  db: Executor,
  principal: Principal,
  idOrSlug: string,
): Promise<OrganizationAccess> {
  const found = await organizationWithRole(db, principal, idOrSlug);
  if (!found) throw notFound('organization');
  const { organization, memberRole } = found;
  const catalog = organization.settings.roles;
  if (memberRole !== null) {
    const role = findRole(catalog, memberRole) ?? null;
    return { organization, role, rank: role?.rank ?? -1, isAdmin: role?.admin ?? false };
  }
  if (principal.user.isInstanceAdmin) {
    return { organization, role: null, rank: ownerRole(catalog).rank, isAdmin: true };
  }
  throw notFound('organization');
}

type WithRole = NonNullable<Awaited<ReturnType<typeof findOrganizationWithRole>>>;

/**
 * The organization and the caller's role in it, from the caller's memo when the access epoch
 * has not moved since it was filled (one statement less on every organization-scoped request
 * of an API key; bench/RESULTS.md, change 23). Inside a transaction the database is always
 * asked: a write decides on what its own transaction reads.
 */
async function organizationWithRole(
  db: Executor,
  principal: Principal,
  idOrSlug: string,
): Promise<WithRole | undefined> {
  const memo = db.isTransaction ? undefined : (principal.organizationMemo as MemoAt<WithRole> | undefined);
  const remembered = memo?.get(idOrSlug);
  if (remembered) return remembered;
  const found = await findOrganizationWithRole(db, idOrSlug, principal.user.id);
  if (found && memo)
    memo.set(
      idOrSlug,
      Object.freeze({ organization: Object.freeze(found.organization), memberRole: found.memberRole }),
    );
  return found;
}

export function requireAdmin(access: OrganizationAccess, action: string): void {
  if (!access.isAdmin) {
    throw new AppError(
      403,
      'admin_role_required',
      'Admin role required',
      `Only owners and admins may ${action}.`,
      {
        extras: { your_role: access.role?.name ?? null },
      },
    );
  }
}

export function requireRankAtMost(access: OrganizationAccess, role: RoleDefinition): void {
  if (role.rank > access.rank) {
    throw new AppError(
      403,
      'role_above_own',
      'Role above your own',
      `You cannot grant the role "${role.name}", which ranks above your own.`,
      { extras: { role: role.name, your_role: access.role?.name ?? null } },
    );
  }
}
