import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type RoleTier, roleForTier, tierOf } from '../../access/roles.ts';
import type { App } from '../../http/app-types.ts';
import type { InvitationRecord } from '../../invitations/invitation.repository.ts';
import { checkEmail, describeEmailProblem } from '../../lib/email.ts';
import { AppError } from '../../lib/errors.ts';
import type { OrganizationRecord } from '../../organizations/organization.repository.ts';
import type { OrganizationSettings } from '../../organizations/organization.schemas.ts';
import { isAllowedAppUrl } from '../../organizations/organization.service.ts';
import type { Services } from '../../services.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Trieve's roles: 0 user, 1 admin, 2 owner. */
export type TrieveRole = 0 | 1 | 2;

const InvitationBody = z.object({
  email: z.string().max(320),
  user_role: z.number().int(),
  app_url: z.string().max(2000),
  redirect_uri: z.string().max(2000),
  scopes: z.array(z.string().max(300)).max(200).nullish(),
});

const META = { role: 'trieve_role', scopes: 'trieve_scopes' } as const;

/** A Trieve error: `{message}` with the status Trieve uses for it. */
export const trieveError = (status: number, message: string) =>
  new AppError(status, 'trieve', 'Error', message);
const badRequest = (message: string) => trieveError(400, message);

const TIERS: Record<TrieveRole, RoleTier> = { 0: 'member', 1: 'admin', 2: 'owner' };

/** The Trieve role of a catalog role: owner tier 2, admin tier 1, everyone else 0. */
export function trieveRoleOf(settings: OrganizationSettings, catalogRole: string | null): TrieveRole {
  const tier = tierOf(settings.roles, catalogRole);
  return tier === 'owner' ? 2 : tier === 'admin' ? 1 : 0;
}

function catalogRoleFor(settings: OrganizationSettings, role: TrieveRole): string {
  return roleForTier(settings.roles, settings.default_role, TIERS[role]);
}

/** Trieve writes naive UTC timestamps with microseconds: `2024-05-07T04:24:17.123456`. */
export function naiveTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000`;
}

declare module 'fastify' {
  interface FastifyRequest {
    trieve?: { organization: OrganizationRecord; role: TrieveRole };
  }
}

/**
 * Trieve's invitation routes. Every call names its organization in `TR-Organization` and needs
 * an admin (1) or owner (2) of it. Where Trieve's own server is loose (listing by the path's
 * organization, deleting any organization's invitation), rsvp requires admin rights in the
 * organization the invitation belongs to and answers for other organizations as not found.
 */
export function trieveRoutes(app: App, services: Services, options: { publicOrigin: string }) {
  const deps: TrieveDeps = { services, ...options };
  registerCreate(app, deps);
  registerList(app, deps);
  registerDelete(app, deps);
  registerAuthLink(app, deps);
}

type TrieveDeps = { services: Services; publicOrigin: string };

/** The caller's Trieve role in an organization; null when they cannot see it. */
async function roleIn(services: Services, request: FastifyRequest, ref: string) {
  const access = await services.organizations.get(request.principal!, ref).catch(() => null);
  if (!access) return null;
  // Instance admins act as Trieve's ADMIN_API_KEY superuser: owner everywhere.
  const role: TrieveRole = access.role
    ? trieveRoleOf(access.organization.settings, access.role)
    : request.principal!.user.isInstanceAdmin
      ? 2
      : 0;
  return { organization: access.organization, role };
}

/** The header organization, and the caller's Trieve role in it (admin or owner only). */
async function adminContext(services: Services, request: FastifyRequest) {
  const raw = request.headers['tr-organization'] ?? request.headers['x-organization'];
  const header = Array.isArray(raw) ? raw[0] : raw;
  if (!header) throw trieveError(401, 'Unauthorized');
  if (!UUID.test(header)) throw badRequest('Could not convert Organization to UUID');
  const context = await roleIn(services, request, header);
  if (!context || context.role < 1) throw trieveError(403, 'Forbidden');
  return context;
}

/**
 * `ref` (UUID or id) when the caller is its admin or owner, else it answers as not found. The
 * header's organization, already checked, is not looked up again.
 */
async function administered(
  services: Services,
  request: FastifyRequest,
  context: { organization: OrganizationRecord },
  ref: string,
): Promise<OrganizationRecord> {
  if (ref === context.organization.uuid || ref === context.organization.id) return context.organization;
  const found = await roleIn(services, request, ref);
  if (!found || found.role < 1) throw trieveError(404, 'Not Found: organization not found');
  return found.organization;
}

/** Links in emails may only point at allow-listed origins: the instance's, or the organization's app. */
function checkLink(deps: TrieveDeps, url: string, organization: OrganizationRecord, field: string) {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badRequest(`${field} is not a URL`);
  }
  const allowed = [
    ...deps.services.allowedAppOrigins,
    deps.publicOrigin,
    ...(organization.settings.app_url ? [new URL(organization.settings.app_url).origin] : []),
  ];
  if (!/^https?:$/.test(parsed.protocol) || !isAllowedAppUrl(url, allowed)) {
    throw badRequest(`${field} is not allowed for this organization`);
  }
}

function view(invitation: InvitationRecord, organization: OrganizationRecord) {
  const scopes = invitation.metadata[META.scopes];
  return {
    id: invitation.uuid,
    email: invitation.email,
    organization_id: organization.uuid,
    used: invitation.status === 'accepted',
    created_at: naiveTimestamp(invitation.createdAt),
    updated_at: naiveTimestamp(invitation.updatedAt),
    role:
      invitation.metadata[META.role] !== undefined
        ? Number(invitation.metadata[META.role])
        : trieveRoleOf(organization.settings, invitation.role),
    scopes: scopes ? (JSON.parse(scopes) as string[]) : null,
  };
}

/** A refused invitation, in Trieve's words. */
function throwCreateFailure(error: AppError, email: string): never {
  if (error.code === 'already_member')
    throw badRequest(`User with email ${email} is already in the organization`);
  if (error.code === 'invitation_already_pending') {
    throw badRequest(`User with email ${email} has already been invited`);
  }
  if (error.code === 'cannot_invite_self') throw badRequest('Can not invite yourself');
  if (error.code === 'invalid_email') throw badRequest('Invalid email');
  throw trieveError(error.status, error.message);
}

function registerCreate(app: App, deps: TrieveDeps) {
  const { invitations } = deps.services;
  app.post('/api/invitation', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { body: InvitationBody },
    handler: async (request, reply) => {
      const principal = request.principal!;
      const { organization, role: myRole } = await adminContext(deps.services, request);
      const body = request.body;
      const email = body.email.trim();
      const problem = checkEmail(body.email);
      if (problem === 'ill_formed_unicode' || problem === 'invisible_character')
        throw badRequest(`Invalid email: ${describeEmailProblem(body.email, problem)}`);
      if (problem) throw badRequest('Invalid email');
      if (email.toLowerCase() === principal.user.email.toLowerCase())
        throw badRequest('Can not invite yourself');
      const role: TrieveRole = body.user_role === 1 || body.user_role === 2 ? body.user_role : 0;
      if (role > myRole) throw badRequest('Can not invite user with higher role than yours');
      checkLink(deps, body.app_url, organization, 'app_url');
      checkLink(deps, body.redirect_uri, organization, 'redirect_uri');
      const catalogRole = catalogRoleFor(organization.settings, role);

      // Registered or not, the invitee gets an invitation and joins only by answering it (signing
      // in or up through its link): nobody is made a member of an organization by someone else.
      const [result] = await invitations.create(
        principal,
        organization.id,
        [
          {
            email,
            role: catalogRole,
            metadata: {
              [META.role]: String(role),
              ...(body.scopes ? { [META.scopes]: JSON.stringify(body.scopes) } : {}),
              redirect_url: body.redirect_uri,
              accept_on_sign_in: 'true',
            },
          },
        ],
        {
          sendEmail: true,
          linkFor: (invitation, secret) => {
            const link = new URL(`${body.app_url.replace(/\/$/, '')}/auth`);
            link.searchParams.set('inv_code', invitation.uuid);
            link.searchParams.set('organization_id', organization.uuid);
            link.searchParams.set('redirect_uri', body.redirect_uri);
            link.searchParams.set('token', secret);
            return link.toString();
          },
        },
      );
      if (!result!.ok) throwCreateFailure(result!.error, email);
      return reply.code(204).send(null);
    },
  });
}

/** The list, under both of the paths Trieve has used for it. */
function registerList(app: App, deps: TrieveDeps) {
  const { invitations } = deps.services;
  for (const path of ['/api/invitations/:organization_id', '/api/invitation/:organization_id'] as const) {
    app.get(path, {
      config: { auth: { scope: 'invitations:read' } },
      schema: { params: z.object({ organization_id: z.string().max(64) }) },
      handler: async (request) => {
        const context = await adminContext(deps.services, request);
        if (!UUID.test(request.params.organization_id))
          throw badRequest('Invalid path parameter: organization_id');
        const organization = await administered(
          deps.services,
          request,
          context,
          request.params.organization_id,
        );
        const { invitations: rows } = await invitations.listByOffset(request.principal!, {
          scope: { organizationRef: organization.id },
          filter: { statuses: ['pending', 'accepted', 'expired'] },
          order: 'create_time',
          offset: 0,
          limit: 10_000,
        });
        return rows.map((row) => view(row, organization));
      },
    });
  }
}

function registerDelete(app: App, deps: TrieveDeps) {
  const { invitations } = deps.services;
  app.delete('/api/invitation/:invitation_id', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: z.object({ invitation_id: z.string().max(64) }) },
    handler: async (request, reply) => {
      const context = await adminContext(deps.services, request);
      const id = request.params.invitation_id;
      const gone = () => badRequest('Error getting invitation.');
      if (!UUID.test(id)) throw gone();
      const invitation = await invitations.findByUuid(id).catch(() => {
        throw gone();
      });
      await administered(deps.services, request, context, invitation.organizationId).catch(() => {
        throw gone();
      });
      const status = invitations.statusOf(invitation);
      if (status === 'accepted') throw badRequest('Invitation has already been used.');
      if (status !== 'pending') throw gone();
      await invitations.revoke(request.principal!, invitation.organizationId, invitation.id);
      return reply.code(204).send(null);
    },
  });
}

/**
 * The emailed link (`{app_url}/auth?inv_code&organization_id&redirect_uri&token`) lands here and
 * goes on to the invitee page, where the invitee signs in or up and is joined at once.
 */
function registerAuthLink(app: App, deps: TrieveDeps) {
  const { invitations } = deps.services;
  app.get('/api/auth', {
    config: { auth: 'public' },
    schema: {
      querystring: z.object({
        inv_code: z.string().max(64).optional(),
        organization_id: z.string().max(64).optional(),
        redirect_uri: z.string().max(2000).optional(),
        token: z.string().max(2000).optional(),
      }),
    },
    handler: async (request, reply) => {
      const { inv_code, organization_id, token } = request.query;
      const invalid = () => badRequest('Invitation link is not valid');
      if (!token || !inv_code) throw invalid();
      const invitation = await invitations.byLinkSecret(token).catch(() => {
        throw invalid();
      });
      const { organization } = await invitations.inspect(token);
      if (invitation.uuid !== inv_code || (organization_id && organization_id !== organization.uuid))
        throw invalid();
      return reply.redirect(invitations.acceptUrl(token), 303);
    },
  });
}
