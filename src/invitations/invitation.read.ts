import type { Principal } from '../access/principal.ts';
import { findRole } from '../access/roles.ts';
import type { UserRecord } from '../access/user-record.ts';
import { requireVerifiedEmail } from '../access/verified-email.ts';
import { isUniqueViolation } from '../db/database.ts';
import type { InvitationStatus } from '../db/schema.ts';
import { membersAmong, membershipsWithCatalog } from '../memberships/membership.repository.ts';
import { organizationAccess, requireAdmin } from '../organizations/organization.access.ts';
import { findOrganization, findOrganizationsByIds } from '../organizations/organization.repository.ts';
import { findResourceInOrganization, findResources } from '../resources/resource.repository.ts';
import {
  findUserById,
  findUsersByCanonicalEmails,
  findUsersByIds,
  insertUser,
} from '../users/user.repository.ts';
import { adminInvitation, type InvitationDeps, placeholderUser } from './invitation.context.ts';
import { invitationNotFound, notPending } from './invitation.errors.ts';
import { byToken } from './invitation.links.ts';
import {
  countInvitations,
  type InvitationFilter,
  type InvitationOrder,
  listInvitations,
  listInvitationsByOffset,
  type OffsetOrder,
} from './invitation.query.ts';
import {
  effectiveStatus,
  findInvitation,
  findInvitationByUuid,
  type InvitationRecord,
} from './invitation.repository.ts';
import { grantsShown } from './invitation.views.ts';

// Reading: one invitation, pages of them, what a link shows, and what it takes to render them.
// Nothing here writes, except the placeholder users some wire formats need to name an invitee.

export interface InvitationPage {
  invitations: InvitationRecord[];
  nextAfter: (string | number)[] | null;
  /** The first row's key when rows come before this page: the previous page ends there. */
  prevBefore: (string | number)[] | null;
  totalSize?: number;
}

export interface PageQuery {
  order: InvitationOrder;
  /** At most one of `after` (next pages), `before` (previous pages) and `offset`. */
  after?: (string | number)[] | undefined;
  before?: (string | number)[] | undefined;
  offset?: number | undefined;
  pageSize: number;
  includeTotal: boolean;
}

export interface OffsetQuery {
  /**
   * Whose invitations: those the caller sent, received, or either; received or of the
   * organizations the caller administers (`administered`); an organization's (its admins
   * only); or `filtered`, when the caller's surface has already limited `filter` to
   * what the caller may see (CVAT's visibility rules).
   */
  scope: 'sent' | 'received' | 'involved' | 'administered' | 'filtered' | { organizationRef: string };
  filter?: InvitationFilter;
  order: OffsetOrder;
  offset: number;
  limit: number;
}

export async function getInvitation(
  deps: InvitationDeps,
  principal: Principal,
  organizationRef: string,
  id: string,
): Promise<InvitationRecord> {
  return (await adminInvitation(deps, principal, organizationRef, id, 'see invitations')).invitation;
}

/** By id, 404 when none. Access is checked by the action taken. */
export async function findInvitationById(deps: InvitationDeps, id: string): Promise<InvitationRecord> {
  const invitation = await findInvitation(deps.database.db, id);
  if (!invitation) throw invitationNotFound();
  return invitation;
}

/** By UUID, the id some wire formats use; 404 when none. Access is checked by the action taken. */
export async function findInvitationUuid(deps: InvitationDeps, uuid: string): Promise<InvitationRecord> {
  const invitation = await findInvitationByUuid(deps.database.db, uuid);
  if (!invitation) throw invitationNotFound();
  return invitation;
}

export async function listOrganizationInvitations(
  deps: InvitationDeps,
  principal: Principal,
  organizationRef: string,
  query: PageQuery & { filter: Omit<InvitationFilter, 'organizationId'> },
): Promise<InvitationPage> {
  const access = await organizationAccess(deps.database.db, principal, organizationRef);
  requireAdmin(access, 'see invitations');
  const filter = { ...query.filter, organizationId: access.organization.id };
  return page(deps, filter, query);
}

/** Invitations addressed to the signed-in user's email, newest first. */
export async function listMyInvitations(
  deps: InvitationDeps,
  principal: Principal,
  query: Pick<PageQuery, 'after' | 'before' | 'offset' | 'pageSize'> & {
    statuses?: InvitationStatus[] | undefined;
  },
) {
  requireVerifiedEmail(principal.user, 'Listing the invitations sent to your address');
  const { statuses, ...position } = query;
  const found = await page(
    deps,
    { emailCanonical: principal.user.emailCanonical, statuses },
    { ...position, order: '-create_time', includeTotal: false },
  );
  return { page: found, ...(await describeInvitations(deps, found.invitations)) };
}

async function page(
  deps: InvitationDeps,
  filter: InvitationFilter,
  query: PageQuery,
): Promise<InvitationPage> {
  const db = deps.database.db;
  const now = deps.clock.now();
  const { rows, sortKey } = await listInvitations(db, {
    filter,
    order: query.order,
    after: query.after,
    before: query.before,
    offset: query.offset,
    limit: query.pageSize + 1,
    now,
  });
  // One row more than the page says whether there is more in the direction of travel.
  const hasMore = rows.length > query.pageSize;
  const kept = hasMore ? rows.slice(0, query.pageSize) : rows;
  const backward = query.before !== undefined;
  const invitations = backward ? kept.reverse() : kept;
  const first = invitations[0];
  const last = invitations.at(-1);
  const morePrevious = backward ? hasMore : query.after !== undefined || (query.offset ?? 0) > 0;
  const moreNext = backward ? true : hasMore;
  const result: InvitationPage = {
    invitations,
    nextAfter: moreNext && last ? sortKey(last) : null,
    prevBefore: morePrevious && first ? sortKey(first) : null,
  };
  if (query.includeTotal) result.totalSize = await countInvitations(db, filter, now);
  return result;
}

/**
 * Offset pages with a total, for wire formats that page by number. `scope` says whose
 * invitations: those the caller sent, those addressed to the caller, or an organization's
 * (its admins only).
 */
export async function listInvitationsPaged(
  deps: InvitationDeps,
  principal: Principal,
  query: OffsetQuery,
): Promise<{ invitations: InvitationRecord[]; total: number }> {
  const db = deps.database.db;
  const filter: InvitationFilter = { ...query.filter };
  if (query.scope === 'sent') filter.inviterUserId = principal.user.id;
  else if (query.scope === 'received') filter.emailCanonical = principal.user.emailCanonical;
  else if (query.scope === 'involved') {
    filter.involving = { userId: principal.user.id, emailCanonical: principal.user.emailCanonical };
  } else if (query.scope === 'administered') {
    // Addressed to the caller, or sent by an organization the caller administers.
    const memberships = await membershipsWithCatalog(db, principal.user.id);
    filter.receivedOrOf = {
      emailCanonical: principal.user.emailCanonical,
      organizationIds: memberships
        .filter((membership) => findRole(membership.roles, membership.role)?.admin)
        .map((membership) => membership.organizationId),
    };
  } else if (query.scope !== 'filtered') {
    const access = await organizationAccess(db, principal, query.scope.organizationRef);
    requireAdmin(access, 'see invitations');
    filter.organizationId = access.organization.id;
  }
  const now = deps.clock.now();
  const [invitations, total] = await Promise.all([
    listInvitationsByOffset(db, {
      filter,
      order: query.order,
      offset: query.offset,
      limit: query.limit,
      now,
    }),
    countInvitations(db, filter, now),
  ]);
  return { invitations, total };
}

/**
 * Everything the invitee page shows for a link, whatever the invitation's state; throws 404
 * for a link that matches nothing (never issued, or replaced by a resend).
 */
export async function inspectLink(deps: InvitationDeps, token: string) {
  const db = deps.database.db;
  const invitation = await byToken(deps, token);
  const status = effectiveStatus(invitation, deps.clock.now());
  const [organization, inviter, resource, granted] = await Promise.all([
    findOrganization(db, invitation.organizationId),
    findUserById(db, invitation.inviterUserId),
    invitation.resourceId
      ? findResourceInOrganization(db, invitation.organizationId, invitation.resourceId)
      : undefined,
    findResources(
      db,
      (invitation.grants ?? []).map((grant) => grant.resourceId),
    ),
  ]);
  const resources = new Map(granted.map((r) => [r.id, r]));
  return { invitation, status, organization: organization!, inviter, resource, resources };
}

/** What the link tells anyone who holds it: enough to decide, nothing about the invitee. */
export async function previewLink(deps: InvitationDeps, token: string) {
  const { invitation, status, organization, inviter, resource, resources } = await inspectLink(deps, token);
  if (status !== 'pending') throw notPending(status);
  return {
    organization_name: organization.name,
    inviter_name: inviter?.displayName ?? inviter?.username ?? null,
    role: invitation.role,
    resource: resource ? { type: resource.type, name: resource.name } : null,
    actions: invitation.actions,
    ...(invitation.grants
      ? { grants: grantsShown(invitation, resources, (r) => ({ type: r.type, name: r.name }))! }
      : {}),
    ...(Object.keys(invitation.publicMetadata).length ? { public_metadata: invitation.publicMetadata } : {}),
    expire_time: invitation.expiresAt.toISOString(),
  };
}

/**
 * The user each invitation is addressed to, by address, for wire formats in which an invitee
 * always has a user (CVAT): a placeholder is made for an address that has none yet, as an
 * invitation made with `placeholderUsers` would have had. Registering takes it over.
 */
export async function inviteeUsers(
  deps: InvitationDeps,
  list: InvitationRecord[],
): Promise<Map<string, UserRecord>> {
  const db = deps.database.db;
  const emails = [...new Set(list.map((invitation) => invitation.emailCanonical))];
  const users = new Map((await findUsersByCanonicalEmails(db, emails)).map((u) => [u.emailCanonical, u]));
  for (const invitation of list) {
    if (users.has(invitation.emailCanonical)) continue;
    const placeholder = placeholderUser(invitation.email, invitation.emailCanonical, deps.clock.now());
    await insertUser(db, placeholder).catch((error) => {
      if (!isUniqueViolation(error)) throw error;
    });
  }
  if (users.size < emails.length) {
    for (const user of await findUsersByCanonicalEmails(db, emails)) users.set(user.emailCanonical, user);
  }
  return users;
}

/**
 * What it takes to show invitations: their organizations, resources, and the users they name
 * (inviters, invitees, responders), each looked up once.
 */
export async function describeInvitations(deps: InvitationDeps, list: InvitationRecord[]) {
  const db = deps.database.db;
  const unique = (ids: (string | null)[]) => [...new Set(ids.filter((id): id is string => id !== null))];
  const [organizations, resources, users] = await Promise.all([
    findOrganizationsByIds(db, unique(list.map((inv) => inv.organizationId))),
    findResources(
      db,
      unique(list.flatMap((inv) => [inv.resourceId, ...(inv.grants ?? []).map((g) => g.resourceId)])),
    ),
    findUsersByIds(
      db,
      unique(list.flatMap((inv) => [inv.inviterUserId, inv.inviteeUserId, inv.respondedByUserId])),
    ),
  ]);
  return {
    organizations: new Map(organizations.map((organization) => [organization.id, organization])),
    resources: new Map(resources.map((resource) => [resource.id, resource])),
    users: new Map(users.map((user) => [user.id, user])),
  };
}

/**
 * The invitations whose invitee's account the inviting organization may be shown: the invitee
 * answered it, or is a member of that organization (listed among its members anyway). Anyone
 * else's account stays unnamed, so an inviter cannot learn who has an account by inviting
 * addresses without sending email (outside tester, issue 21).
 */
export async function inviteeShown(deps: InvitationDeps, list: InvitationRecord[]): Promise<Set<string>> {
  const shown = new Set<string>();
  const asked = new Map<string, InvitationRecord[]>();
  for (const invitation of list) {
    const invitee = invitation.inviteeUserId;
    if (!invitee) continue;
    if (invitation.respondedByUserId === invitee) shown.add(invitation.id);
    else asked.set(invitation.organizationId, [...(asked.get(invitation.organizationId) ?? []), invitation]);
  }
  for (const [organizationId, invitations] of asked) {
    const members = await membersAmong(deps.database.db, organizationId, [
      ...new Set(invitations.map((invitation) => invitation.inviteeUserId!)),
    ]);
    for (const invitation of invitations)
      if (members.has(invitation.inviteeUserId!)) shown.add(invitation.id);
  }
  return shown;
}
