import { z } from 'zod';
import type { InvitationFilter } from '../invitations/invitation.query.ts';
import type { InvitationFilterInput } from '../invitations/invitation-bulk.schemas.ts';
import { canonicalEmail } from '../lib/email.ts';

export const OrgParams = z.object({ org_id: z.string() });
export const TAGS = ['Invitations'];

/** The list's filters (query string or bulk body) as the query layer takes them. */
export function filterOf(filters: InvitationFilterInput): Omit<InvitationFilter, 'organizationId'> {
  return {
    statuses: filters.status,
    emailCanonical: filters.email ? canonicalEmail(filters.email) : undefined,
    emailContains: filters.q ? canonicalEmail(filters.q) : undefined,
    inviterUserId: filters.inviter_id,
    targetType: filters.target_type,
    givingResource: filters.resource_id,
    role: filters.role,
    deliveryState: filters.delivery_state,
    createdAfter: filters.created_after ? new Date(filters.created_after) : undefined,
    createdBefore: filters.created_before ? new Date(filters.created_before) : undefined,
  };
}
