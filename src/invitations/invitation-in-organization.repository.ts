import type { Executor } from '../db/database.ts';
import { prepared } from '../db/prepared.ts';
import { type OrganizationRecord, toOrganizationRecord } from '../organizations/organization.repository.ts';
import { type InvitationRecord, toRecord } from './invitation.repository.ts';

const ORGANIZATION_REF = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const invitationInOrganization = (by: 'id' | 'uuid' | 'slug') =>
  prepared((db: Executor, id: string, organizationRef: string, userId: string) =>
    db
      .selectFrom('invitations')
      .innerJoin('organizations', 'organizations.id', 'invitations.organization_id')
      .selectAll('invitations')
      .select([
        'organizations.seq as organization_seq',
        'organizations.uuid as organization_uuid',
        'organizations.slug as organization_slug',
        'organizations.name as organization_name',
        'organizations.settings as organization_settings',
        'organizations.created_at as organization_created_at',
        'organizations.updated_at as organization_updated_at',
      ])
      .select((eb) =>
        eb
          .selectFrom('memberships')
          .select('memberships.role')
          .whereRef('memberships.organization_id', '=', 'organizations.id')
          .where('memberships.user_id', '=', userId)
          .as('member_role'),
      )
      .where('invitations.id', '=', id)
      .where(`organizations.${by}`, '=', organizationRef),
  );
/** One prepared shape per way of naming the organization. */
const INVITATION_IN_ORGANIZATION = {
  id: invitationInOrganization('id'),
  uuid: invitationInOrganization('uuid'),
  slug: invitationInOrganization('slug'),
};

/**
 * An invitation, its organization (by id, UUID or slug) and `userId`'s role there, in one
 * statement: the hot path of every admin action on one invitation. Undefined when the
 * invitation is not that organization's, or either is missing; the caller then asks
 * separately, to say which.
 */
export async function findInvitationInOrganization(
  db: Executor,
  id: string,
  organizationRef: string,
  userId: string,
): Promise<
  { invitation: InvitationRecord; organization: OrganizationRecord; memberRole: string | null } | undefined
> {
  const by = organizationRef.startsWith('org_')
    ? 'id'
    : ORGANIZATION_REF.test(organizationRef)
      ? 'uuid'
      : 'slug';
  const [row] = await INVITATION_IN_ORGANIZATION[by](db, id, organizationRef, userId);
  if (!row) return undefined;
  return {
    invitation: toRecord(row),
    organization: toOrganizationRecord({
      id: row.organization_id,
      seq: row.organization_seq,
      uuid: row.organization_uuid,
      slug: row.organization_slug,
      name: row.organization_name,
      settings: row.organization_settings,
      created_at: row.organization_created_at,
      updated_at: row.organization_updated_at,
    }),
    memberRole: row.member_role ?? null,
  };
}
