import type { UserRecord } from '../access/user-record.ts';
import type { OrganizationRecord } from '../organizations/organization.repository.ts';
import type { ResourceRecord } from '../resources/resource.repository.ts';
import { effectiveStatus, type InvitationRecord } from './invitation.repository.ts';
import type { InvitationView, ReceivedInvitationView } from './invitation.schemas.ts';

export const etagOf = (invitation: InvitationRecord) => `"${invitation.version}"`;

export function invitationView(invitation: InvitationRecord, now: Date): InvitationView {
  return {
    id: invitation.id,
    organization_id: invitation.organizationId,
    target_type: invitation.resourceId ? 'resource' : 'organization',
    role: invitation.role,
    resource_id: invitation.resourceId,
    actions: invitation.actions,
    email: invitation.email,
    invitee_user_id: invitation.inviteeUserId,
    inviter_user_id: invitation.inviterUserId,
    inviter_api_key_id: invitation.inviterApiKeyId,
    message: invitation.message,
    locale: invitation.locale,
    metadata: invitation.metadata,
    status: effectiveStatus(invitation, now),
    delivery_state: invitation.deliveryState,
    delivery_error: invitation.deliveryError,
    send_count: invitation.sendCount,
    create_time: invitation.createdAt.toISOString(),
    update_time: invitation.updatedAt.toISOString(),
    expire_time: invitation.expiresAt.toISOString(),
    last_send_time: invitation.lastSentAt?.toISOString() ?? null,
    respond_time: invitation.respondedAt?.toISOString() ?? null,
    responded_by_user_id: invitation.respondedByUserId,
    etag: etagOf(invitation),
  };
}

export function receivedInvitationView(
  invitation: InvitationRecord,
  now: Date,
  organization: OrganizationRecord,
  resource: ResourceRecord | undefined,
  inviter: UserRecord | undefined,
): ReceivedInvitationView {
  return {
    id: invitation.id,
    organization: { id: organization.id, slug: organization.slug, name: organization.name },
    target_type: invitation.resourceId ? 'resource' : 'organization',
    role: invitation.role,
    resource: resource ? { id: resource.id, type: resource.type, name: resource.name } : null,
    actions: invitation.actions,
    inviter_name: inviter?.displayName ?? inviter?.username ?? null,
    message: invitation.message,
    status: effectiveStatus(invitation, now),
    create_time: invitation.createdAt.toISOString(),
    expire_time: invitation.expiresAt.toISOString(),
  };
}
