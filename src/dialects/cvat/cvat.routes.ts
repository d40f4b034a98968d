import { z } from 'zod';
import type { App } from '../../http/app-types.ts';
import { linkOn } from '../../http/host.ts';
import type { InvitationFilter } from '../../invitations/invitation.query.ts';
import { checkEmail, describeEmailProblem } from '../../lib/email.ts';
import { AppError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import {
  type CvatDeps,
  contextOf,
  doesNotExist,
  isStaff,
  mayManage,
  read,
  respond,
  visibility,
  visible,
} from './cvat.context.ts';
import { compileFilter, SORTS } from './cvat.filter.ts';
import {
  CVAT_ROLE_META,
  CVAT_ROLES,
  CvatError,
  type CvatRole,
  catalogRoleFor,
  cvatRoleOf,
  detail,
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

/**
 * CVAT's invitations (`/api/invitations`), with its organization context, its permissions
 * (staff = owner and maintainers; the inviter; the invitee) and DRF's error shapes. Hidden
 * invitations answer 404, as CVAT filters lookups by what the caller may list.
 */
export function cvatRoutes(app: App, services: Services, options: { keyMac: Buffer; listenerUrl: string }) {
  const base = linkOn(options.listenerUrl, '/').toString().replace(/\/$/, '');
  const deps: CvatDeps = { services, keyMac: options.keyMac, listenerUrl: options.listenerUrl, base };
  registerCreate(app, deps);
  registerList(app, deps);
  registerGet(app, deps);
  registerUpdate(app, deps);
  registerDelete(app, deps);
  registerAnswers(app, deps);
  registerResend(app, deps);
}

/** The body's problems, per field, in DRF's shape; empty when it is valid. */
function createErrors(body: { role?: unknown; email?: unknown }) {
  const errors: Record<string, string[]> = {};
  if (typeof body.role !== 'string' || !(CVAT_ROLES as readonly string[]).includes(body.role)) {
    errors.role =
      body.role === undefined
        ? ['This field is required.']
        : [`"${String(body.role)}" is not a valid choice.`];
  }
  const problem = checkEmail(typeof body.email === 'string' ? body.email : '');
  if (body.email === undefined) errors.email = ['This field is required.'];
  else if (problem === 'ill_formed_unicode' || problem === 'invisible_character')
    errors.email = [`Enter a valid email address: ${describeEmailProblem(String(body.email), problem)}.`];
  else if (problem) errors.email = ['Enter a valid email address.'];
  return errors;
}

function registerCreate(app: App, deps: CvatDeps) {
  const { invitations } = deps.services;
  app.post('/api/invitations', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { querystring: OrgQuery },
    handler: async (request, reply) => {
      const principal = request.principal!;
      const context = await contextOf(deps, request);
      const body = (request.body ?? {}) as { role?: unknown; email?: unknown };
      const email = typeof body.email === 'string' ? body.email.trim() : '';
      const errors = createErrors(body);
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
      return (await read(deps, [result!.invitation]))[0];
    },
  });
}

function registerList(app: App, deps: CvatDeps) {
  app.get('/api/invitations', {
    config: { auth: { scope: 'invitations:read' } },
    schema: { querystring: ListQuery },
    handler: async (request) => {
      const principal = request.principal!;
      const q = request.query;
      const context = await contextOf(deps, request);
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
      const { invitations: rows, total } = await deps.services.invitations.listByOffset(principal, {
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
        results: await read(deps, rows),
      };
    },
  });
}

function registerGet(app: App, deps: CvatDeps) {
  app.get('/api/invitations/:key', {
    config: { auth: { scope: 'invitations:read' } },
    schema: { params: KeyParams, querystring: OrgQuery },
    handler: async (request) => (await read(deps, [await visible(deps, request, request.params.key)]))[0],
  });
}

function registerUpdate(app: App, deps: CvatDeps) {
  const { invitations, organizations, memberships } = deps.services;
  app.patch('/api/invitations/:key', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: KeyParams, querystring: PatchQuery },
    handler: async (request) => {
      const principal = request.principal!;
      const invitation = await visible(deps, request, request.params.key);
      if (request.query.accepted !== undefined) {
        await respond(deps, principal, invitation, 'accept');
        return (await read(deps, [await invitations.findById(invitation.id)]))[0];
      }
      // CVAT's own PATCH ignores its body (and may fail); rsvp changes the role, as the schema offers.
      if (!(await mayManage(deps, principal, invitation))) throw permissionDenied();
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
        const organization = (await organizations.find(invitation.organizationId))!;
        const myRole = principal.user.isInstanceAdmin
          ? 'admin'
          : cvatRoleOf(organization.settings, await memberships.roleOf(organization.id, principal.user.id));
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
      return (await read(deps, [await invitations.findById(invitation.id)]))[0];
    },
  });
}

function registerDelete(app: App, deps: CvatDeps) {
  const { invitations } = deps.services;
  app.delete('/api/invitations/:key', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: KeyParams, querystring: OrgQuery },
    handler: async (request, reply) => {
      const principal = request.principal!;
      const invitation = await visible(deps, request, request.params.key);
      if (!(await mayManage(deps, principal, invitation))) throw permissionDenied();
      const status = invitations.statusOf(invitation);
      if (status === 'accepted') throw new CvatError(400, 'This invitation is already accepted.');
      // CVAT deletes the row whether or not it has expired: either way it is gone afterwards.
      await invitations.revoke(principal, invitation.organizationId, invitation.id, { includeExpired: true });
      return reply.code(204).send(null);
    },
  });
}

/** The invitee's accept and decline. */
function registerAnswers(app: App, deps: CvatDeps) {
  app.post('/api/invitations/:key/accept', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: { params: KeyParams, querystring: OrgQuery },
    handler: async (request) => {
      const invitation = await visible(deps, request, request.params.key, doesNotExist);
      await respond(deps, request.principal!, invitation, 'accept');
      const organization = (await deps.services.organizations.find(invitation.organizationId))!;
      return { organization_slug: organization.slug };
    },
  });

  app.post('/api/invitations/:key/decline', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: { params: KeyParams, querystring: OrgQuery },
    handler: async (request, reply) => {
      const invitation = await visible(deps, request, request.params.key, doesNotExist);
      await respond(deps, request.principal!, invitation, 'decline');
      return reply.code(204).send(null);
    },
  });
}

function registerResend(app: App, deps: CvatDeps) {
  const { invitations, rateLimiter } = deps.services;
  app.post('/api/invitations/:key/resend', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: KeyParams, querystring: OrgQuery },
    handler: async (request, reply) => {
      const principal = request.principal!;
      const invitation = await visible(deps, request, request.params.key);
      if (!(await mayManage(deps, principal, invitation))) throw permissionDenied();
      const status = invitations.statusOf(invitation);
      if (status === 'accepted') throw new CvatError(400, 'This invitation is already accepted.');
      if (status !== 'pending' && status !== 'expired') throw doesNotExist();
      const rule = { limit: 5, windowMs: 3_600_000 };
      const decision = await rateLimiter.consume(`cvat-resend:${principal.user.id}`, rule);
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
