import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../access/principal.ts';
import { findRole } from '../../access/roles.ts';
import type { App } from '../../http/app-types.ts';
import { linkOn } from '../../http/host.ts';
import type { InvitationFilter } from '../../invitations/invitation.query.ts';
import type { InvitationRecord } from '../../invitations/invitation.repository.ts';
import { checkEmail, describeEmailProblem } from '../../lib/email.ts';
import { AppError } from '../../lib/errors.ts';
import type { OrganizationRecord } from '../../organizations/organization.repository.ts';
import type { Services } from '../../services.ts';
import { compileFilter, SORTS } from './cvat.filter.ts';
import {
  CVAT_ROLE_META,
  CVAT_ROLES,
  CvatError,
  type CvatRole,
  catalogRoleFor,
  cvatRoleOf,
  detail,
  invitationIdOfKey,
  invitationRead,
  mayInvite,
  permissionDenied,
} from './cvat.mapping.ts';

const KeyParams = z.object({ key: z.string().max(100) });
const OrgQuery = z.object({ org: z.string().max(100).optional(), org_id: z.string().max(20).optional() });
const ListQuery = OrgQuery.extend({
  filter: z.string().max(2000).optional(),
  search: z.string().max(200).optional(),
  owner: z.string().max(200).optional(),
  sort: z.string().max(50).optional(),
  page: z.string().max(20).optional(),
  page_size: z.string().max(20).optional(),
});
const PatchQuery = OrgQuery.extend({ accepted: z.string().optional() });

/** The request's organization context: an organization, or the personal sandbox. */
type Context = { organization: OrganizationRecord; role: CvatRole | 'admin' | null } | { organization: null };

const doesNotExist = () =>
  new CvatError(404, 'This invitation does not exist. Please contact organization owner.');

/**
 * CVAT's invitations (`/api/invitations`), with its organization context, its permissions
 * (staff = owner and maintainers; the inviter; the invitee) and DRF's error shapes. Hidden
 * invitations answer 404, as CVAT filters lookups by what the caller may list.
 */
export function cvatRoutes(app: App, services: Services, deps: { keyMac: Buffer; listenerUrl: string }) {
  const { invitations } = services;
  // Links come from the listener's configured URL, never from the client's Host header.
  const base = linkOn(deps.listenerUrl, '/').toString().replace(/\/$/, '');

  async function contextOf(request: FastifyRequest): Promise<Context> {
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

  const isStaff = (role: CvatRole | 'admin' | null) =>
    role === 'admin' || role === 'owner' || role === 'maintainer';

  /**
   * What the caller may see in this context, as a filter. CVAT has organization invitations
   * only: resource invitations made through other surfaces are not its to show.
   */
  function visibility(principal: Principal, context: Context): InvitationFilter {
    const involving = { userId: principal.user.id, emailCanonical: principal.user.emailCanonical };
    const targetType = 'organization';
    if (!context.organization)
      return principal.user.isInstanceAdmin ? { targetType } : { targetType, involving };
    if (isStaff(context.role)) return { targetType, organizationId: context.organization.id };
    return { targetType, organizationId: context.organization.id, involving };
  }

  const isVisible = (principal: Principal, context: Context, invitation: InvitationRecord) => {
    // A revoked invitation is deleted in CVAT, and declining deletes it: both are gone.
    const status = invitations.statusOf(invitation);
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
  };

  /** The invitation a key names, if the caller may see it in this context. */
  async function visible(request: FastifyRequest, key: string, missing = () => detail(404, 'Not found.')) {
    const id = invitationIdOfKey(key, deps.keyMac);
    if (!id) throw missing();
    const invitation = await invitations.findById(id).catch(() => {
      throw missing();
    });
    const context = await contextOf(request);
    if (!isVisible(request.principal!, context, invitation)) throw missing();
    return invitation;
  }

  /** Staff of the invitation's own organization, or its inviter. */
  async function mayManage(principal: Principal, invitation: InvitationRecord): Promise<boolean> {
    if (principal.user.isInstanceAdmin || invitation.inviterUserId === principal.user.id) return true;
    const organization = (await services.organizations.find(invitation.organizationId))!;
    const role = await services.memberships.roleOf(organization.id, principal.user.id);
    return Boolean(role && findRole(organization.settings.roles, role)?.admin);
  }

  const isInvitee = (principal: Principal, invitation: InvitationRecord) =>
    invitation.emailCanonical === principal.user.emailCanonical;

  async function read(_request: FastifyRequest, list: InvitationRecord[]) {
    const [described, invitees] = await Promise.all([
      invitations.describe(list),
      invitations.inviteeUsers(list),
    ]);
    return list.map((invitation) => {
      const expired = invitation.lastSentAt === null ? null : invitations.statusOf(invitation) === 'expired';
      return invitationRead(
        base,
        invitation,
        described.organizations.get(invitation.organizationId)!,
        described.users,
        invitees.get(invitation.emailCanonical)!,
        expired,
        deps.keyMac,
      );
    });
  }

  app.post('/api/invitations', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { querystring: OrgQuery },
    handler: async (request, reply) => {
      const principal = request.principal!;
      const context = await contextOf(request);
      const body = (request.body ?? {}) as { role?: unknown; email?: unknown };
      const errors: Record<string, string[]> = {};
      if (typeof body.role !== 'string' || !(CVAT_ROLES as readonly string[]).includes(body.role)) {
        errors.role =
          body.role === undefined
            ? ['This field is required.']
            : [`"${String(body.role)}" is not a valid choice.`];
      }
      const email = typeof body.email === 'string' ? body.email.trim() : '';
      const problem = checkEmail(typeof body.email === 'string' ? body.email : '');
      if (body.email === undefined) errors.email = ['This field is required.'];
      else if (problem === 'ill_formed_unicode' || problem === 'invisible_character')
        errors.email = [`Enter a valid email address: ${describeEmailProblem(String(body.email), problem)}.`];
      else if (problem) errors.email = ['Enter a valid email address.'];
      if (Object.keys(errors).length > 0) throw new CvatError(400, errors);
      if (!context.organization || !context.role) throw permissionDenied();
      const role = body.role as CvatRole;
      if (!isStaff(context.role) || !mayInvite(context.role, role)) throw permissionDenied();
      const organization = context.organization;
      const [result] = await invitations.create(
        principal,
        organization.id,
        [{ email, role: catalogRoleFor(organization.settings, role), metadata: { [CVAT_ROLE_META]: role } }],
        { sendEmail: true, placeholderUsers: true },
      );
      if (!result!.ok) {
        const error = result!.error;
        if (error.code === 'already_member' || error.code === 'invitation_already_pending') {
          throw new CvatError(400, ['The user is a member of the organization already.']);
        }
        if (error.code === 'invalid_email')
          throw new CvatError(400, { email: ['Enter a valid email address.'] });
        throw error;
      }
      reply.code(201);
      return (await read(request, [result!.invitation]))[0];
    },
  });

  app.get('/api/invitations', {
    config: { auth: { scope: 'invitations:read' } },
    schema: { querystring: ListQuery },
    handler: async (request) => {
      const principal = request.principal!;
      const q = request.query;
      const context = await contextOf(request);
      if (context.organization && !context.role) throw permissionDenied();
      const filter: InvitationFilter = {
        ...visibility(principal, context),
        statuses: ['pending', 'accepted', 'expired'],
        ...(q.filter ? { predicate: compileFilter(q.filter) } : {}),
      };
      if (q.owner) filter.inviterName = q.owner;
      if (q.search) filter.inviterNameContains = q.search;
      const order = SORTS[q.sort ?? '-created_date'];
      if (!order)
        throw new CvatError(400, {
          sort: [
            `Unsupported sort: ${q.sort}. Use owner, user_id, accepted or created_date, with - to reverse.`,
          ],
        });
      const all = q.page_size === 'all';
      const pageSize = all ? 10_000 : q.page_size ? Number(q.page_size) : 10;
      if (!Number.isInteger(pageSize) || pageSize < 1) throw detail(404, 'Invalid page.');
      const page = q.page ? Number(q.page) : 1;
      if (!Number.isInteger(page) || page < 1) throw detail(404, 'Invalid page.');
      const { invitations: rows, total } = await invitations.listByOffset(principal, {
        scope: 'filtered',
        filter,
        order,
        offset: (page - 1) * pageSize,
        limit: pageSize,
      });
      if (page > 1 && rows.length === 0) throw detail(404, 'Invalid page.');
      const link = (to: number | null) => {
        if (to === null) return null;
        const url = linkOn(deps.listenerUrl, request.url);
        if (to === 1) url.searchParams.delete('page');
        else url.searchParams.set('page', String(to));
        return url.toString();
      };
      return {
        count: total,
        next: page * pageSize < total ? link(page + 1) : null,
        previous: page > 1 ? link(page - 1) : null,
        results: await read(request, rows),
      };
    },
  });

  app.get('/api/invitations/:key', {
    config: { auth: { scope: 'invitations:read' } },
    schema: { params: KeyParams, querystring: OrgQuery },
    handler: async (request) => (await read(request, [await visible(request, request.params.key)]))[0],
  });

  app.patch('/api/invitations/:key', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: KeyParams, querystring: PatchQuery },
    handler: async (request) => {
      const principal = request.principal!;
      const invitation = await visible(request, request.params.key);
      if (request.query.accepted !== undefined) {
        await respond(principal, invitation, 'accept');
        return (await read(request, [await invitations.findById(invitation.id)]))[0];
      }
      // CVAT's own PATCH ignores its body (and may fail); rsvp changes the role, as the schema offers.
      if (!(await mayManage(principal, invitation))) throw permissionDenied();
      const body = (request.body ?? {}) as { role?: unknown; email?: unknown };
      if (
        body.email !== undefined &&
        (typeof body.email !== 'string' || body.email.trim().toLowerCase() !== invitation.emailCanonical)
      ) {
        throw new CvatError(400, {
          email: ['The email of an invitation cannot be changed; invite the new address instead.'],
        });
      }
      if (body.role !== undefined) {
        if (typeof body.role !== 'string' || !(CVAT_ROLES as readonly string[]).includes(body.role)) {
          throw new CvatError(400, { role: [`"${String(body.role)}" is not a valid choice.`] });
        }
        const organization = (await services.organizations.find(invitation.organizationId))!;
        const myRole = principal.user.isInstanceAdmin
          ? 'admin'
          : cvatRoleOf(
              organization.settings,
              await services.memberships.roleOf(organization.id, principal.user.id),
            );
        if (!mayInvite(myRole, body.role as CvatRole)) throw permissionDenied();
        if (invitations.statusOf(invitation) !== 'pending')
          throw new CvatError(400, 'This invitation is already accepted.');
        await invitations.update(
          principal,
          organization.id,
          invitation.id,
          {
            role: catalogRoleFor(organization.settings, body.role as CvatRole),
            metadata: { ...invitation.metadata, [CVAT_ROLE_META]: body.role },
          },
          undefined,
        );
      }
      return (await read(request, [await invitations.findById(invitation.id)]))[0];
    },
  });

  app.delete('/api/invitations/:key', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: KeyParams, querystring: OrgQuery },
    handler: async (request, reply) => {
      const principal = request.principal!;
      const invitation = await visible(request, request.params.key);
      if (!(await mayManage(principal, invitation))) throw permissionDenied();
      const status = invitations.statusOf(invitation);
      if (status === 'accepted') throw new CvatError(400, 'This invitation is already accepted.');
      // CVAT deletes the row whether or not it has expired: either way it is gone afterwards.
      await invitations.revoke(principal, invitation.organizationId, invitation.id, { includeExpired: true });
      return reply.code(204).send(null);
    },
  });

  /**
   * The invitee's answer, with CVAT's messages. Declining an accepted invitation is refused too:
   * CVAT would remove the member, but leaving an organization is a separate act.
   */
  async function respond(principal: Principal, invitation: InvitationRecord, answer: 'accept' | 'decline') {
    if (!isInvitee(principal, invitation)) throw permissionDenied();
    const status = invitations.statusOf(invitation);
    if (status === 'expired')
      throw new CvatError(400, 'Your invitation is expired. Please contact organization owner to renew it.');
    if (status === 'accepted') throw new CvatError(400, 'Your invitation is already accepted.');
    if (status !== 'pending') throw doesNotExist();
    if (answer === 'accept') await invitations.accept(principal, { id: invitation.id });
    else await invitations.decline(principal, { id: invitation.id });
  }

  app.post('/api/invitations/:key/accept', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: { params: KeyParams, querystring: OrgQuery },
    handler: async (request) => {
      const invitation = await visible(request, request.params.key, doesNotExist);
      await respond(request.principal!, invitation, 'accept');
      const organization = (await services.organizations.find(invitation.organizationId))!;
      return { organization_slug: organization.slug };
    },
  });

  app.post('/api/invitations/:key/decline', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: { params: KeyParams, querystring: OrgQuery },
    handler: async (request, reply) => {
      const invitation = await visible(request, request.params.key, doesNotExist);
      await respond(request.principal!, invitation, 'decline');
      return reply.code(204).send(null);
    },
  });

  app.post('/api/invitations/:key/resend', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: KeyParams, querystring: OrgQuery },
    handler: async (request, reply) => {
      const principal = request.principal!;
      const invitation = await visible(request, request.params.key);
      if (!(await mayManage(principal, invitation))) throw permissionDenied();
      const status = invitations.statusOf(invitation);
      if (status === 'accepted') throw new CvatError(400, 'This invitation is already accepted.');
      if (status !== 'pending' && status !== 'expired') throw doesNotExist();
      const rule = { limit: 5, windowMs: 3_600_000 };
      const decision = await services.rateLimiter.consume(`cvat-resend:${principal.user.id}`, rule);
      if (!decision.allowed) {
        throw new CvatError(429, {
          detail: `Request was throttled. Expected available in ${decision.resetSeconds} seconds.`,
        });
      }
      // CVAT's throttle is the one above, per user; no per-invitation limit on top.
      await invitations
        .resend(principal, invitation.organizationId, invitation.id, {
          sendEmail: true,
          perInvitationLimit: false,
        })
        .catch((error) => {
          if (error instanceof AppError && error.status === 429) {
            throw new CvatError(429, { detail: `Request was throttled. ${error.message}` });
          }
          throw error;
        });
      return reply.code(204).send(null);
    },
  });
}
