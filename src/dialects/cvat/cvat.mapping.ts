import { createHmac } from 'node:crypto';
import { findRole, roleForTier, tierOf } from '../../access/roles.ts';
import type { UserRecord } from '../../access/user-record.ts';
import type { InvitationRecord } from '../../invitations/invitation.repository.ts';
import { AppError } from '../../lib/errors.ts';
import type { OrganizationRecord } from '../../organizations/organization.repository.ts';
import type { OrganizationSettings } from '../../organizations/organization.schemas.ts';

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

/**
 * `BasicUser`. `named: false` for someone the organization does not know (an invitee who is not
 * a member and has not answered): their name and username stay theirs, so an invitation tells
 * its inviter nothing about the account behind an address.
 */
export function basicUser(base: string, user: UserRecord | undefined, named = true) {
  if (!user) return null;
  const [first, ...rest] = (named ? (user.displayName ?? '') : '').split(' ');
  return {
    url: `${base}/api/users/${user.seq}`,
    id: user.seq!,
    username: (named ? user.username : null) ?? user.email,
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
  invitee: UserRecord,
  expired: boolean | null,
  mac: Buffer,
  inviteeNamed = false,
) {
  return {
    key: invitationKey(invitation.id, mac),
    created_date: invitation.createdAt.toISOString(),
    owner: basicUser(base, users.get(invitation.inviterUserId)),
    role:
      (invitation.metadata[CVAT_ROLE_META] as CvatRole | undefined) ??
      cvatRoleOf(organization.settings, invitation.role),
    user: basicUser(base, invitee, inviteeNamed),
    organization: organization.seq!,
    expired,
    organization_info: { id: organization.seq!, slug: organization.slug },
  };
}
