import { AppError } from '../lib/errors.ts';

export interface RoleDefinition {
  name: string;
  /** Higher ranks hold more power; nobody grants a rank above their own. */
  rank: number;
  /** Admin roles invite, manage members and change settings. */
  admin: boolean;
  description?: string | undefined;
}

export const DEFAULT_ROLES: RoleDefinition[] = [
  { name: 'owner', rank: 100, admin: true, description: 'Full control, including the organization itself.' },
  { name: 'admin', rank: 50, admin: true, description: 'Invites people and manages members.' },
  { name: 'member', rank: 10, admin: false, description: 'Uses what the organization shares.' },
];

export function findRole(catalog: readonly RoleDefinition[], name: string): RoleDefinition | undefined {
  return catalog.find((role) => role.name === name);
}

export function requireRole(
  catalog: readonly RoleDefinition[],
  name: string,
  pointer = '/body/role',
): RoleDefinition {
  const role = findRole(catalog, name);
  if (!role) throw unknownRole(name, catalog, pointer);
  return role;
}

export function unknownRole(
  name: string,
  catalog: readonly RoleDefinition[],
  pointer = '/body/role',
): AppError {
  return new AppError(422, 'unknown_role', 'Unknown role', `The organization has no role named "${name}".`, {
    extras: { role: name, roles: catalog.map((r) => r.name), pointer },
  });
}

/** The owner role is the highest-ranked one; the organization must always keep a holder of it. */
export function ownerRole(catalog: readonly RoleDefinition[]): RoleDefinition {
  return catalog.reduce((top, role) => (role.rank > top.rank ? role : top));
}

/** Catalog invariants: unique names, unique top rank, at least one admin role, and the top role is admin. */
export function catalogProblems(catalog: readonly RoleDefinition[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  for (const role of catalog) {
    if (names.has(role.name)) problems.push(`role "${role.name}" appears twice`);
    names.add(role.name);
  }
  if (catalog.length === 0) return ['the role catalog cannot be empty'];
  const top = ownerRole(catalog);
  if (catalog.filter((role) => role.rank === top.rank).length > 1)
    problems.push('exactly one role must hold the top rank');
  if (!top.admin) problems.push(`the top-ranked role "${top.name}" must be an admin role`);
  return problems;
}

/**
 * The three tiers foreign APIs speak of (owner, admin, plain member), whatever an organization's
 * catalog calls its roles.
 */
export type RoleTier = 'owner' | 'admin' | 'member';

/** The catalog role standing for a tier: the owner role, the highest non-owner admin role, or the default role. */
export function roleForTier(catalog: readonly RoleDefinition[], defaultRole: string, tier: RoleTier): string {
  const owner = ownerRole(catalog);
  if (tier === 'owner') return owner.name;
  if (tier === 'admin') {
    const admin = catalog.filter((r) => r.admin && r.name !== owner.name).sort((a, b) => b.rank - a.rank)[0];
    if (admin) return admin.name;
  }
  return defaultRole;
}

/** The tier of a catalog role; unknown roles are plain members. */
export function tierOf(catalog: readonly RoleDefinition[], roleName: string | null): RoleTier {
  const definition = roleName ? findRole(catalog, roleName) : undefined;
  if (!definition) return 'member';
  if (definition.rank >= ownerRole(catalog).rank) return 'owner';
  return definition.admin ? 'admin' : 'member';
}
