import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../access/principal.ts';
import { findRole } from '../../access/roles.ts';
import type { InvitationFilter } from '../../invitations/invitation.query.ts';
import type { InvitationRecord } from '../../invitations/invitation.repository.ts';
import type { OrganizationRecord } from '../../organizations/organization.repository.ts';
import type { Services } from '../../services.ts';
import {
  CvatError,
  type CvatRole,
  cvatRoleOf,
  detail,
  invitationIdOfKey,
  invitationRead,
  permissionDenied,
} from './cvat.mapping.ts';

/** What CVAT's invitation routes share: the services, the key MAC and the link base. */
export type CvatDeps = {
  services: Services;
  keyMac: Buffer;
  listenerUrl: string;
  /** Links come from the listener's configured URL, never from the client's Host header. */
  base: string;
};

/** The request's organization context: an organization, or the personal sandbox. */
export type Context =
  | { organization: OrganizationRecord; role: CvatRole | 'admin' | null }
  | { organization: null };

export const doesNotExist = () =>
  new CvatError(404, 'This invitation does not exist. Please contact organization owner.');

export async function contextOf(deps: CvatDeps, request: FastifyRequest): Promise<Context> {
  const { services } = deps;
  const query = request.query as { org?: string; org_id?: string };
  const header = request.headers['x-organization'];
  const slugHeader = typeof header === 'string' && header !== '' ? header : undefined;
  if (query.org_id !== undefined && (query.org !== undefined || slugHeader)) {
    throw detail(400, 'You cannot specify both an organization id and a slug.');
  }
  if (query.org !== undefined && slugHeader && query.org !== slugHeader) {
    throw detail(400, 'The organization in the query and in the X-Organization header differ.');
  }
  let organization: OrganizationRecord | undefined;
  if (query.org_id !== undefined) {
    if (!/^\d+$/.test(query.org_id)) throw new CvatError(400, { org_id: ['A valid integer is required.'] });
    organization = await services.organizations.findBySeq(Number(query.org_id));
    if (!organization) throw detail(404, `${query.org_id} organization does not exist.`);
  } else {
    const slug = query.org ?? slugHeader;
    if (!slug) return { organization: null };
    organization = await services.organizations.find(slug);
    if (!organization || organization.slug !== slug)
      throw detail(404, `${slug} organization does not exist.`);
  }
  const principal = request.principal!;
  const membership = await services.memberships.roleOf(organization.id, principal.user.id);
  const role = principal.user.isInstanceAdmin
    ? 'admin'
    : membership
      ? cvatRoleOf(organization.settings, membership)
      : null;
  return { organization, role };
}

export const isStaff = (role: CvatRole | 'admin' | null) =>
  role === 'admin' || role === 'owner' || role === 'maintainer';

/**
 * What the caller may see in this context, as a filter. CVAT has organization invitations
 * only: resource invitations made through other surfaces are not its to show.
 */
export function visibility(principal: Principal, context: Context): InvitationFilter {
  const involving = { userId: principal.user.id, emailCanonical: principal.user.emailCanonical };
  const targetType = 'organization';
  if (!context.organization)
    return principal.user.isInstanceAdmin ? { targetType } : { targetType, involving };
  if (isStaff(context.role)) return { targetType, organizationId: context.organization.id };
  return { targetType, organizationId: context.organization.id, involving };
}

function isVisible(deps: CvatDeps, principal: Principal, context: Context, invitation: InvitationRecord) {
  // A revoked invitation is deleted in CVAT, and declining deletes it: both are gone.
  const status = deps.services.invitations.statusOf(invitation);
  if (status === 'revoked' || status === 'declined' || invitation.resourceId) return false;
  const filter = visibility(principal, context);
  if (filter.organizationId && filter.organizationId !== invitation.organizationId) return false;
  if (filter.involving) {
    return (
      invitation.inviterUserId === principal.user.id ||
      invitation.emailCanonical === principal.user.emailCanonical
    );
  }
  return true;
}

/** The invitation a key names, if the caller may see it in this context. */
export async function visible(
  deps: CvatDeps,
  request: FastifyRequest,
  key: string,
  missing = () => detail(404, 'Not found.'),
) {
  const id = invitationIdOfKey(key, deps.keyMac);
  if (!id) throw missing();
  const invitation = await deps.services.invitations.findById(id).catch(() => {
    throw missing();
  });
  const context = await contextOf(deps, request);
  if (!isVisible(deps, request.principal!, context, invitation)) throw missing();
  return invitation;
}

/** Staff of the invitation's own organization, or its inviter. */
export async function mayManage(
  deps: CvatDeps,
  principal: Principal,
  invitation: InvitationRecord,
): Promise<boolean> {
  if (principal.user.isInstanceAdmin || invitation.inviterUserId === principal.user.id) return true;
  const organization = (await deps.services.organizations.find(invitation.organizationId))!;
  const role = await deps.services.memberships.roleOf(organization.id, principal.user.id);
  return Boolean(role && findRole(organization.settings.roles, role)?.admin);
}

const isInvitee = (principal: Principal, invitation: InvitationRecord) =>
  invitation.emailCanonical === principal.user.emailCanonical;

/** CVAT's representation of invitations, in the order given. */
export async function read(deps: CvatDeps, list: InvitationRecord[]) {
  const { invitations } = deps.services;
  const [described, invitees, shown] = await Promise.all([
    invitations.describe(list),
    invitations.inviteeUsers(list),
    invitations.inviteeShown(list),
  ]);
  return list.map((invitation) => {
    const expired = invitation.lastSentAt === null ? null : invitations.statusOf(invitation) === 'expired';
    return invitationRead(
      deps.base,
      invitation,
      described.organizations.get(invitation.organizationId)!,
      described.users,
      invitees.get(invitation.emailCanonical)!,
      expired,
      deps.keyMac,
      shown.has(invitation.id),
    );
  });
}

/**
 * The invitee's answer, with CVAT's messages. Declining an accepted invitation is refused too:
 * CVAT would remove the member, but leaving an organization is a separate act.
 */
export async function respond(
  deps: CvatDeps,
  principal: Principal,
  invitation: InvitationRecord,
  answer: 'accept' | 'decline',
) {
  const { invitations } = deps.services;
  if (!isInvitee(principal, invitation)) throw permissionDenied();
  const status = invitations.statusOf(invitation);
  if (status === 'expired')
    throw new CvatError(400, 'Your invitation is expired. Please contact organization owner to renew it.');
  if (status === 'accepted') throw new CvatError(400, 'Your invitation is already accepted.');
  if (status !== 'pending') throw doesNotExist();
  if (answer === 'accept') await invitations.accept(principal, { id: invitation.id });
  else await invitations.decline(principal, { id: invitation.id });
}
