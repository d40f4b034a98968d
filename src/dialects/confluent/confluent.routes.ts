import { createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { InvitationStatus } from '../../db/schema.ts';
import type { App } from '../../http/app-types.ts';
import { linkOn } from '../../http/host.ts';
import type { InvitationFilter } from '../../invitations/invitation.query.ts';
import type { InvitationRecord } from '../../invitations/invitation.repository.ts';
import { AppError } from '../../lib/errors.ts';
import { constantTimeEqual } from '../../lib/secrets.ts';
import type { OrganizationRecord } from '../../organizations/organization.repository.ts';
import type { Services } from '../../services.ts';

export const API_VERSION = 'iam/v2';
export const CONFLUENT_STATUSES = [
  'INVITE_STATUS_SENT',
  'INVITE_STATUS_STAGED',
  'INVITE_STATUS_ACCEPTED',
  'INVITE_STATUS_EXPIRED',
  'INVITE_STATUS_DEACTIVATED',
] as const;
type ConfluentStatus = (typeof CONFLUENT_STATUSES)[number];

const STATUS_OF: Record<InvitationStatus, ConfluentStatus> = {
  pending: 'INVITE_STATUS_SENT',
  accepted: 'INVITE_STATUS_ACCEPTED',
  expired: 'INVITE_STATUS_EXPIRED',
  declined: 'INVITE_STATUS_DEACTIVATED',
  revoked: 'INVITE_STATUS_DEACTIVATED',
};
/** Core statuses a Confluent status filter selects; revoked invitations are deleted ones and never listed. */
const CORE_STATUSES: Record<ConfluentStatus, InvitationStatus[]> = {
  INVITE_STATUS_SENT: ['pending'],
  INVITE_STATUS_STAGED: [],
  INVITE_STATUS_ACCEPTED: ['accepted'],
  INVITE_STATUS_EXPIRED: ['expired'],
  INVITE_STATUS_DEACTIVATED: ['declined'],
};
const LISTED: InvitationStatus[] = ['pending', 'accepted', 'expired', 'declined'];

/** Confluent ids from rsvp's: `i-` and `u-` + the 20 characters after the prefix. */
export const invitationIdOf = (id: string) => `i-${id.slice('inv_'.length)}`;
export const userIdOf = (id: string) => `u-${id.slice('usr_'.length)}`;
const coreId = (prefix: string, id: string) => {
  const match = /^[iu]-([0-9a-v]{20})$/.exec(id);
  return match ? `${prefix}_${match[1]}` : null;
};

const CreateBody = z.object({
  email: z.string().max(320),
  auth_type: z.enum(['AUTH_TYPE_LOCAL', 'AUTH_TYPE_SSO']).optional(),
});
const ListQuery = z.object({
  email: z.string().max(320).optional(),
  status: z.enum(CONFLUENT_STATUSES).optional(),
  user: z.string().max(255).optional(),
  creator: z.string().max(255).optional(),
  page_size: z.coerce.number().int().min(1).max(100).default(10),
  page_token: z.string().max(255).optional(),
});
const IdParams = z.object({ id: z.string().max(255) });

const notFound = () =>
  new AppError(404, 'invitation_not_found', 'Not Found', 'The invitation does not exist.');

/**
 * The organization a Confluent call acts in: the one `Confluent-Organization-Id` names, else the
 * caller's only organization (a caller in several must name one).
 */
export function confluentOrganizationOf(
  services: Services,
  request: FastifyRequest,
): Promise<OrganizationRecord> {
  const chosen = request.headers['confluent-organization-id'];
  return typeof chosen === 'string' && chosen
    ? services.organizations.get(request.principal!, chosen).then((access) => access.organization)
    : services.organizations.soleOrganizationOf(request.principal!, 'Confluent-Organization-Id');
}

/**
 * Confluent Cloud IAM v2 invitations: into the whole organization, with no permissions; the
 * invitee's user exists (as a placeholder) from the moment of invitation.
 */
export function confluentRoutes(
  app: App,
  services: Services,
  options: { pageTokenKey: Buffer; listenerUrl: string },
) {
  const deps: ConfluentDeps = { services, ...options };
  registerCreate(app, deps);
  registerGet(app, deps);
  registerDelete(app, deps);
  registerList(app, deps);
}

type ConfluentDeps = { services: Services; pageTokenKey: Buffer; listenerUrl: string };

// Links come from the listener's configured URL, never from the client's Host header.
const linkTo = (deps: ConfluentDeps, path: string) => linkOn(deps.listenerUrl, path).toString();

function reference(deps: ConfluentDeps, userId: string) {
  const id = userIdOf(userId);
  return {
    api_version: API_VERSION,
    kind: 'User',
    id,
    related: linkTo(deps, `/iam/v2/users/${id}`),
    resource_name: `crn://confluent.cloud/user=${id}`,
  };
}

function view(deps: ConfluentDeps, invitation: InvitationRecord, organization: OrganizationRecord) {
  const id = invitationIdOf(invitation.id);
  const status = deps.services.invitations.statusOf(invitation);
  return {
    api_version: API_VERSION,
    kind: 'Invitation',
    id,
    metadata: {
      self: linkTo(deps, `/iam/v2/invitations/${id}`),
      resource_name: `crn://confluent.cloud/organization=${organization.uuid}/invitation=${id}`,
      created_at: invitation.createdAt.toISOString(),
      updated_at: invitation.updatedAt.toISOString(),
      ...(status === 'revoked' && invitation.respondedAt
        ? { deleted_at: invitation.respondedAt.toISOString() }
        : {}),
    },
    email: invitation.email,
    auth_type: invitation.metadata.confluent_auth_type ?? 'AUTH_TYPE_LOCAL',
    status: STATUS_OF[status],
    accepted_at:
      status === 'accepted' && invitation.respondedAt ? invitation.respondedAt.toISOString() : null,
    expires_at: invitation.expiresAt.toISOString(),
    ...(invitation.inviteeUserId ? { user: reference(deps, invitation.inviteeUserId) } : {}),
    creator: reference(deps, invitation.inviterUserId),
  };
}

/** A visible invitation of the caller's organization by Confluent id; revoked ones were deleted. */
async function findVisible(
  deps: ConfluentDeps,
  request: FastifyRequest,
  organization: OrganizationRecord,
  id: string,
) {
  const { invitations } = deps.services;
  const coreInvitationId = coreId('inv', id);
  if (!coreInvitationId) throw notFound();
  const found = await invitations
    .get(request.principal!, organization.id, coreInvitationId)
    .catch((error) => {
      throw error instanceof AppError && error.status === 404 ? notFound() : error;
    });
  // Confluent invites into the organization only: resource invitations are not its to show.
  if (invitations.statusOf(found) === 'revoked' || found.resourceId) throw notFound();
  return found;
}

function registerCreate(app: App, deps: ConfluentDeps) {
  const { services } = deps;
  app.post('/iam/v2/invitations', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { body: CreateBody },
    handler: async (request, reply) => {
      const principal = request.principal!;
      const organization = await confluentOrganizationOf(services, request);
      const email = request.body.email;
      const [result] = await services.invitations.create(
        principal,
        organization.id,
        [
          {
            email,
            role: organization.settings.default_role,
            ...(request.body.auth_type ? { metadata: { confluent_auth_type: request.body.auth_type } } : {}),
          },
        ],
        { sendEmail: true, placeholderUsers: true },
      );
      if (!result!.ok) throw conflictWithLocation(deps, result!.error);
      const invitation = result!.invitation;
      const body = view(deps, invitation, organization);
      reply.code(201).header('location', body.metadata.self);
      return body;
    },
  });
}

function registerGet(app: App, deps: ConfluentDeps) {
  app.get('/iam/v2/invitations/:id', {
    config: { auth: { scope: 'invitations:read' } },
    schema: { params: IdParams },
    handler: async (request) => {
      const organization = await confluentOrganizationOf(deps.services, request);
      return view(deps, await findVisible(deps, request, organization, request.params.id), organization);
    },
  });
}

function registerDelete(app: App, deps: ConfluentDeps) {
  const { invitations } = deps.services;
  app.delete('/iam/v2/invitations/:id', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: IdParams },
    handler: async (request, reply) => {
      const organization = await confluentOrganizationOf(deps.services, request);
      const invitation = await findVisible(deps, request, organization, request.params.id);
      const status = invitations.statusOf(invitation);
      if (status === 'accepted') {
        throw new AppError(
          409,
          'invitation_accepted',
          'Invitation Accepted',
          'An accepted invitation cannot be deleted; remove the user from the organization instead.',
        );
      }
      if (status === 'pending') {
        await invitations.revoke(request.principal!, organization.id, invitation.id, {
          deactivatePlaceholder: true,
        });
      }
      return reply.code(204).send(null);
    },
  });
}

function registerList(app: App, deps: ConfluentDeps) {
  const { invitations } = deps.services;
  app.get('/iam/v2/invitations', {
    config: { auth: { scope: 'invitations:read' } },
    schema: { querystring: ListQuery },
    handler: async (request) => {
      const organization = await confluentOrganizationOf(deps.services, request);
      const q = request.query;
      const { page_size, page_token, ...filters } = q;
      const offset = page_token ? readToken(deps, page_token, filters) : 0;
      const filter: InvitationFilter = {
        statuses: q.status ? CORE_STATUSES[q.status] : LISTED,
        targetType: 'organization',
      };
      if (q.email) filter.emailCanonical = q.email.trim().toLowerCase();
      if (q.creator) filter.inviterUserId = coreId('usr', q.creator) ?? '-';
      if (q.user) filter.inviteeUserId = coreId('usr', q.user) ?? '-';
      if (filter.statuses!.length === 0) filter.organizationIds = [];
      const { invitations: rows, total } = await invitations.listByOffset(request.principal!, {
        scope: { organizationRef: organization.id },
        filter,
        order: 'create_time',
        offset,
        limit: page_size,
      });
      const self = linkOn(deps.listenerUrl, request.url);
      const link = (at: number | null) => {
        if (at === null) return null;
        const url = new URL(self);
        url.searchParams.delete('page_token');
        if (at > 0) url.searchParams.set('page_token', makeToken(deps, at, filters));
        return url.toString();
      };
      const lastOffset = total === 0 ? 0 : Math.floor((total - 1) / page_size) * page_size;
      return {
        api_version: API_VERSION,
        kind: 'InvitationList',
        metadata: {
          first: link(0),
          last: link(lastOffset),
          prev: offset > 0 ? link(Math.max(0, offset - page_size)) : null,
          next: offset + page_size < total ? link(offset + page_size) : null,
          total_size: total,
        },
        data: rows.map((row) => view(deps, row, organization)),
      };
    },
  });
}

/** Page tokens carry an offset, bound to the filters and signed: a tampered token is refused. */
function makeToken(deps: ConfluentDeps, offset: number, filters: unknown): string {
  const body = `${offset}.${sign(deps, `scope:${JSON.stringify(filters)}`).slice(0, 12)}`;
  return `${Buffer.from(body).toString('base64url')}.${sign(deps, body).slice(0, 22)}`;
}

function readToken(deps: ConfluentDeps, token: string, filters: unknown): number {
  const [encoded, mac] = token.split('.');
  const body = encoded ? Buffer.from(encoded, 'base64url').toString('utf8') : '';
  const [offset, scope] = body.split('.');
  const valid =
    mac !== undefined &&
    constantTimeEqual(mac, sign(deps, body).slice(0, 22)) &&
    scope === sign(deps, `scope:${JSON.stringify(filters)}`).slice(0, 12) &&
    /^\d+$/.test(offset ?? '');
  if (!valid) {
    throw new AppError(
      400,
      'invalid_page_token',
      'Invalid Page Token',
      'The page token is not valid for this query.',
      {
        extras: { parameter: 'page_token' },
      },
    );
  }
  return Number(offset);
}

function sign(deps: ConfluentDeps, value: string): string {
  return createHmac('sha256', deps.pageTokenKey).update(value).digest('base64url');
}

/** A duplicate answers 409 with the Location of what it conflicts with. */
function conflictWithLocation(deps: ConfluentDeps, error: AppError): AppError {
  const existing = error.extras.existing_invitation_id;
  if (error.code === 'invitation_already_pending' && typeof existing === 'string') {
    return new AppError(409, 'resource_already_exists', 'Resource Already Exists', error.message, {
      headers: { location: linkTo(deps, `/iam/v2/invitations/${invitationIdOf(existing)}`) },
    });
  }
  if (error.code === 'already_member') {
    return new AppError(409, 'resource_already_exists', 'Resource Already Exists', error.message);
  }
  return error;
}
