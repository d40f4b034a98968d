import { createHmac } from 'node:crypto';
import type { InvitationFilter, InvitationRecord } from '../../invitations/invitation.repository.ts';
import { AppError } from '../../lib/errors.ts';
import type { OrganizationRecord } from '../../organizations/organization.repository.ts';
import type { OrganizationSettings } from '../../organizations/organization.schemas.ts';
import { findRole, roleForTier, tierOf } from '../../organizations/roles.ts';
import type { UserRecord } from '../../users/user.repository.ts';

export const CVAT_ROLES = ['worker', 'supervisor', 'maintainer', 'owner'] as const;
export type CvatRole = (typeof CVAT_ROLES)[number];
export const CVAT_ROLE_META = 'cvat_role';

/** A DRF-shaped error: `{detail}`, `{field: [messages]}`, `[message]` or a bare string. */
export class CvatError extends AppError {
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(status, 'cvat', 'Error', typeof body === 'string' ? body : JSON.stringify(body));
    this.body = body;
  }
}
export const detail = (status: number, message: string) => new CvatError(status, { detail: message });
export const permissionDenied = () => detail(403, 'You do not have permission to perform this action.');

/** The catalog role for a CVAT role: the same name if the catalog has it, else by tier. */
export function catalogRoleFor(settings: OrganizationSettings, role: CvatRole): string {
  if (findRole(settings.roles, role)) return role;
  const tier = role === 'owner' ? 'owner' : role === 'maintainer' ? 'admin' : 'member';
  return roleForTier(settings.roles, settings.default_role, tier);
}

/** The CVAT role a catalog role reads as: its own name when CVAT has it, else by tier. */
export function cvatRoleOf(settings: OrganizationSettings, catalogRole: string | null): CvatRole {
  if (catalogRole && (CVAT_ROLES as readonly string[]).includes(catalogRole)) return catalogRole as CvatRole;
  const tier = tierOf(settings.roles, catalogRole);
  return tier === 'owner' ? 'owner' : tier === 'admin' ? 'maintainer' : 'worker';
}

/** Who may invite whom: a maintainer workers and supervisors, the owner up to maintainer, nobody an owner. */
export function mayInvite(inviter: CvatRole | 'admin', role: CvatRole): boolean {
  if (role === 'owner') return false;
  if (inviter === 'admin' || inviter === 'owner') return true;
  return inviter === 'maintainer' && (role === 'worker' || role === 'supervisor');
}

/**
 * CVAT keys are 64 alphanumeric characters: the invitation id's 20 characters and 44 of a MAC
 * of them, so a key names exactly one invitation and cannot be made up.
 */
export function invitationKey(id: string, mac: Buffer): string {
  const suffix = id.slice('inv_'.length);
  return suffix + base62(createHmac('sha256', mac).update(`cvat-key:${suffix}`).digest()).slice(0, 44);
}

export function invitationIdOfKey(key: string, mac: Buffer): string | null {
  if (!/^[0-9a-v]{20}[0-9A-Za-z]{44}$/.test(key)) return null;
  const id = `inv_${key.slice(0, 20)}`;
  return invitationKey(id, mac) === key ? id : null;
}

function base62(bytes: Buffer): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let value = BigInt(`0x${bytes.toString('hex')}${bytes.toString('hex')}`);
  let out = '';
  while (value > 0n) {
    out += alphabet[Number(value % 62n)];
    value /= 62n;
  }
  return out.padEnd(44, '0');
}

export function basicUser(base: string, user: UserRecord | undefined) {
  if (!user) return null;
  const [first, ...rest] = (user.displayName ?? '').split(' ');
  return {
    url: `${base}/api/users/${user.seq}`,
    id: user.seq!,
    username: user.username ?? user.email,
    first_name: first ?? '',
    last_name: rest.join(' '),
  };
}

/** `InvitationRead`. */
export function invitationRead(
  base: string,
  invitation: InvitationRecord,
  organization: OrganizationRecord,
  users: Map<string, UserRecord>,
  expired: boolean | null,
  mac: Buffer,
) {
  return {
    key: invitationKey(invitation.id, mac),
    created_date: invitation.createdAt.toISOString(),
    owner: basicUser(base, users.get(invitation.inviterUserId)),
    role:
      (invitation.metadata[CVAT_ROLE_META] as CvatRole | undefined) ??
      cvatRoleOf(organization.settings, invitation.role),
    user: basicUser(base, invitation.inviteeUserId ? users.get(invitation.inviteeUserId) : undefined),
    organization: organization.seq!,
    expired,
    organization_info: { id: organization.seq!, slug: organization.slug },
  };
}

/**
 * The `filter` parameter: JSON-Logic over `owner`, `user_id` and `accepted`. rsvp takes the
 * form CVAT's own UI sends — `==` comparisons, alone or joined by `and` — and refuses others
 * with 400 rather than ignore them.
 */
export function compileFilter(
  raw: string,
  resolveUser: (id: number) => Promise<string | null>,
): Promise<Partial<InvitationFilter> & { accepted?: boolean }> {
  let logic: unknown;
  try {
    logic = JSON.parse(raw);
  } catch {
    throw new CvatError(400, { filter: ['Invalid JSON.'] });
  }
  const terms = isObject(logic) && 'and' in logic ? logic.and : [logic];
  if (!Array.isArray(terms)) throw new CvatError(400, { filter: ['Unsupported filter.'] });
  return terms.reduce<Promise<Partial<InvitationFilter> & { accepted?: boolean }>>(async (previous, term) => {
    const out = await previous;
    const comparison = isObject(term) ? term['=='] : undefined;
    if (!Array.isArray(comparison) || comparison.length !== 2 || !isObject(comparison[0])) {
      throw new CvatError(400, { filter: ['Only "==" comparisons, alone or within "and", are supported.'] });
    }
    const field = comparison[0].var;
    const value = comparison[1];
    if (field === 'owner' && typeof value === 'string') out.inviterName = value;
    else if (field === 'user_id' && typeof value === 'number')
      out.inviteeUserId = (await resolveUser(value)) ?? 'none';
    else if (field === 'accepted' && typeof value === 'boolean') out.accepted = value;
    else throw new CvatError(400, { filter: [`Unsupported filter field or value: ${String(field)}.`] });
    return out;
  }, Promise.resolve({}));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
