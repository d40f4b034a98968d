import { findRole, roleForTier, tierOf } from '../../access/roles.ts';
import type { UserRecord } from '../../access/user-record.ts';
import type { InvitationRecord } from '../../invitations/invitation.repository.ts';
import { effectiveStatus } from '../../invitations/invitation.repository.ts';
import { AppError } from '../../lib/errors.ts';
import type { OrganizationRecord } from '../../organizations/organization.repository.ts';
import type { OrganizationSettings } from '../../organizations/organization.schemas.ts';
import type { ResourceRecord } from '../../resources/resource.repository.ts';

export const WORKSPACE_ROLES = ['owner', 'admin', 'member'] as const;
export const ORGANIZATION_ROLES = ['owner', 'admin', 'read_write_delete', 'read_write', 'read_only'] as const;
export type OrganizationRole = (typeof ORGANIZATION_ROLES)[number];
export const ARRAY_ACTIONS = [
  'read',
  'write',
  'edit',
  'read_array_logs',
  'read_array_info',
  'read_array_schema',
] as const;
export const NAMESPACE_ACTIONS = [
  'read',
  'write',
  'create',
  'delete',
  'edit',
  'read_array_logs',
  'read_job_logs',
  'read_object_logs',
  'run_job',
  'delete_organization',
  'edit_organization',
  'edit_billing',
] as const;
export const GROUP_ACTIONS = ['read', 'write', 'edit'] as const;

/** Metadata keys the TileDB dialect keeps on invitations for what the core does not model. */
export const META = {
  role: 'tiledb_role',
  namespaceActions: 'tiledb_actions',
  arrayActions: 'tiledb_array_actions',
  /** The namespace (user or organization) a payment share invites, as the inviter named it. */
  invitedNamespace: 'tiledb_namespace',
} as const;

/**
 * The organization catalog role for a TileDB role: the role of the same name when the catalog
 * has one (an organization used with TileDB may define TileDB's roles), otherwise by tier.
 */
export function catalogRoleFor(settings: OrganizationSettings, role: string): string {
  if (findRole(settings.roles, role)) return role;
  const tier = role === 'owner' || role === 'admin' ? role : 'member';
  return roleForTier(settings.roles, settings.default_role, tier);
}

/** The TileDB role a catalog role reads as: its own name when TileDB has it, else by tier. */
export function tiledbRoleOf<T extends string>(
  settings: OrganizationSettings,
  catalogRole: string,
  roles: readonly T[],
  memberTier: T,
): T {
  if ((roles as readonly string[]).includes(catalogRole)) return catalogRole as T;
  const tier = tierOf(settings.roles, catalogRole);
  return tier === 'member' ? memberTier : (tier as T);
}

/** v4 workspace ids are `ws_` + the organization id's 20 characters. */
export function workspaceId(organization: OrganizationRecord): string {
  return `ws_${organization.id.slice('org_'.length)}`;
}

/** A workspace reference as an organization reference: `ws_…` maps to `org_…`; ids, slugs and UUIDs pass. */
export function organizationRefOfWorkspace(workspace: string): string {
  return /^ws_[0-9a-v]{20}$/.test(workspace) ? `org_${workspace.slice(3)}` : workspace;
}

export function csv(values: readonly string[] | null | undefined): string {
  return (values ?? []).join(',');
}

export interface Described {
  organizations: Map<string, OrganizationRecord>;
  resources: Map<string, ResourceRecord>;
  users: Map<string, UserRecord>;
}

export type V1InvitationType = 'ARRAY_SHARE' | 'GROUP_SHARE' | 'JOIN_ORGANIZATION' | 'PAYMENT_SHARE';

/**
 * An organization's payment method is a resource of this type (one per organization, named
 * `PAYMENT_RESOURCE_NAME`); a payment share is an invitation onto it granting `use`.
 */
export const PAYMENT_RESOURCE_TYPE = 'payment_method';
export const PAYMENT_RESOURCE_NAME = 'default';
export const PAYMENT_ACTIONS = ['use'];

export function v1InvitationType(
  invitation: InvitationRecord,
  resource: ResourceRecord | undefined,
): V1InvitationType {
  if (!invitation.resourceId) return 'JOIN_ORGANIZATION';
  if (resource?.type === PAYMENT_RESOURCE_TYPE) return 'PAYMENT_SHARE';
  return resource?.type === 'group' ? 'GROUP_SHARE' : 'ARRAY_SHARE';
}

/**
 * TileDB v1's `Invitation`, every field present (TileDB emits empty ones rather than leaving them
 * out). `inviteeShown`: the organization knows the invitee (`InvitationService.inviteeShown`);
 * otherwise their namespace (username) is not told, which would tell who has an account.
 */
export function v1InvitationView(
  invitation: InvitationRecord,
  described: Described,
  now: Date,
  inviteeShown: boolean,
) {
  const organization = described.organizations.get(invitation.organizationId)!;
  const resource = invitation.resourceId ? described.resources.get(invitation.resourceId) : undefined;
  const inviter = described.users.get(invitation.inviterUserId);
  const responder = invitation.respondedByUserId
    ? described.users.get(invitation.respondedByUserId)
    : undefined;
  const invitee =
    invitation.inviteeUserId && inviteeShown ? described.users.get(invitation.inviteeUserId) : undefined;
  const accepted = invitation.status === 'accepted';
  const type = v1InvitationType(invitation, resource);
  const status = effectiveStatus(invitation, now);
  const role = invitation.role
    ? ((invitation.metadata[META.role] as OrganizationRole | undefined) ??
      tiledbRoleOf(organization.settings, invitation.role, ORGANIZATION_ROLES, 'read_write'))
    : '';
  return {
    id: invitation.uuid,
    invitation_type: type,
    owner_namespace_uuid: organization.uuid,
    inviter_uuid: inviter?.uuid ?? '',
    user_namespace_uuid: accepted && responder ? responder.uuid : '',
    organization_user_uuid: accepted && responder && type === 'JOIN_ORGANIZATION' ? responder.uuid : '',
    organization_name: organization.slug,
    organization_role: role,
    organization_uuid: organization.uuid,
    array_uuid: type === 'ARRAY_SHARE' ? (resource?.uuid ?? '') : '',
    group_uuid: type === 'GROUP_SHARE' ? (resource?.uuid ?? '') : '',
    array_name: type === 'ARRAY_SHARE' ? (resource?.name ?? '') : '',
    email: invitation.email,
    actions:
      type === 'JOIN_ORGANIZATION'
        ? (invitation.metadata[META.namespaceActions] ?? '')
        : type === 'GROUP_SHARE'
          ? (invitation.metadata[META.arrayActions] ?? '')
          : type === 'PAYMENT_SHARE'
            ? ''
            : csv(invitation.actions),
    group_actions: type === 'GROUP_SHARE' ? csv(invitation.actions) : '',
    status: status === 'accepted' ? 'ACCEPTED' : 'PENDING',
    created_at: invitation.createdAt.toISOString(),
    expires_at: invitation.expiresAt.toISOString(),
    accepted_at: accepted && invitation.respondedAt ? invitation.respondedAt.toISOString() : null,
    namespace_invited:
      (invitation.metadata[META.invitedNamespace] as string | undefined) ?? invitee?.username ?? '',
  };
}

/** A TileDB array or group reference: a plain name, or `tiledb://namespace/name`. */
export function parseResourceRef(raw: string): { namespace?: string; name: string } {
  const match = /^tiledb:\/\/([^/]+)\/(.+)$/.exec(raw);
  if (match) return { namespace: match[1]!, name: match[2]! };
  if (raw.trim() === '') throw new AppError(400, 'invalid_name', 'Invalid name', 'A name may not be empty.');
  return { name: raw };
}
