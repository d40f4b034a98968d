import type { UserRecord } from '../access/user-record.ts';
import { isoString } from '../lib/clock.ts';
import type { OrganizationRecord } from '../organizations/organization.repository.ts';
import type { ResourceRecord } from '../resources/resource.repository.ts';
import { effectiveStatus, type InvitationRecord } from './invitation.repository.ts';
import type { InvitationView, ReceivedInvitationView } from './invitation.schemas.ts';

export const etagOf = (invitation: InvitationRecord) => `"${invitation.version}"`;

/** `inviteeShown`: whether the invitee's account may be named (`InvitationService.inviteeShown`). */
export function invitationView(
  invitation: InvitationRecord,
  now: Date,
  inviteeShown: boolean,
): InvitationView {
  return {
    id: invitation.id,
    organization_id: invitation.organizationId,
    target_type: invitation.resourceId ? 'resource' : 'organization',
    role: invitation.role,
    resource_id: invitation.resourceId,
    actions: invitation.actions,
    email: invitation.email,
    invitee_user_id: inviteeShown ? invitation.inviteeUserId : null,
    inviter_user_id: invitation.inviterUserId,
    inviter_api_key_id: invitation.inviterApiKeyId,
    message: invitation.message,
    locale: invitation.locale,
    metadata: invitation.metadata,
    public_metadata: invitation.publicMetadata,
    private_metadata: invitation.privateMetadata,
    redirect_url: invitation.redirectUrl,
    grants:
      invitation.grants?.map((grant) => ({ resource_id: grant.resourceId, actions: grant.actions })) ?? null,
    status: effectiveStatus(invitation, now),
    delivery_state: invitation.deliveryState,
    delivery_error: invitation.deliveryError,
    send_count: invitation.sendCount,
    create_time: isoString(invitation.createdAt),
    update_time: isoString(invitation.updatedAt),
    expire_time: isoString(invitation.expiresAt),
    last_send_time: invitation.lastSentAt ? isoString(invitation.lastSentAt) : null,
    respond_time: invitation.respondedAt ? isoString(invitation.respondedAt) : null,
    responded_by_user_id: invitation.respondedByUserId,
    etag: etagOf(invitation),
  };
}

export function receivedInvitationView(
  invitation: InvitationRecord,
  now: Date,
  organization: OrganizationRecord,
  resources: Map<string, ResourceRecord>,
  inviter: UserRecord | undefined,
): ReceivedInvitationView {
  const resource = invitation.resourceId ? resources.get(invitation.resourceId) : undefined;
  return {
    id: invitation.id,
    organization: { id: organization.id, slug: organization.slug, name: organization.name },
    target_type: invitation.resourceId ? 'resource' : 'organization',
    role: invitation.role,
    resource: resource ? { id: resource.id, type: resource.type, name: resource.name } : null,
    actions: invitation.actions,
    grants: grantsShown(invitation, resources, (r) => ({ id: r.id, type: r.type, name: r.name })),
    public_metadata: invitation.publicMetadata,
    inviter_name: inviter?.displayName ?? inviter?.username ?? null,
    message: invitation.message,
    status: effectiveStatus(invitation, now),
    create_time: isoString(invitation.createdAt),
    expire_time: isoString(invitation.expiresAt),
  };
}

/**
 * A combined invitation's grants as the invitee sees them: the resources by name, leaving out
 * any deleted since (accepting skips them too). Private metadata is never part of it.
 */
export function grantsShown<T>(
  invitation: InvitationRecord,
  resources: Map<string, ResourceRecord>,
  show: (resource: ResourceRecord) => T,
): { resource: T; actions: string[] }[] | null {
  if (!invitation.grants) return null;
  return invitation.grants.flatMap((grant) => {
    const resource = resources.get(grant.resourceId);
    return resource ? [{ resource: show(resource), actions: grant.actions }] : [];
  });
}
