import { z } from 'zod';
import type { Principal } from '../../access/principal.ts';
import type { InvitationStatus } from '../../db/schema.ts';
import type { App } from '../../http/app-types.ts';
import type { InvitationFilter, OffsetOrder } from '../../invitations/invitation.query.ts';
import type { InvitationRecord } from '../../invitations/invitation.repository.ts';
import { AppError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import {
  ARRAY_ACTIONS,
  catalogRoleFor,
  GROUP_ACTIONS,
  META,
  NAMESPACE_ACTIONS,
  ORGANIZATION_ROLES,
  PAYMENT_RESOURCE_TYPE,
  parseResourceRef,
  v1InvitationView,
} from './tiledb.mapping.ts';
import { cannotFind, metadataOf, nothingToCancel, resourceIn, v1Kit } from './tiledb-v1.shared.ts';
import { tiledbV1PaymentRoutes } from './tiledb-v1-payment.routes.ts';

const Recipients = z.array(z.string().max(320)).min(1).max(1000);

const JoinBody = z.object({
  invitee_email: Recipients,
  organization_role: z.enum(ORGANIZATION_ROLES),
  actions: z.array(z.enum(NAMESPACE_ACTIONS)).max(NAMESPACE_ACTIONS.length).optional(),
});
const ArrayShareBody = z.object({
  invitee_email: Recipients,
  actions: z.array(z.enum(ARRAY_ACTIONS)).min(1).max(ARRAY_ACTIONS.length),
});
const GroupShareBody = z.object({
  invitee_email_or_name: Recipients,
  array_actions: z.array(z.enum(ARRAY_ACTIONS)).max(ARRAY_ACTIONS.length),
  group_actions: z.array(z.enum(GROUP_ACTIONS)).min(1).max(GROUP_ACTIONS.length),
});
const ListQuery = z.object({
  organization: z.string().max(200).optional(),
  array: z.string().max(500).optional(),
  group: z.string().max(500).optional(),
  start: z.coerce.number().int().min(0).optional(),
  end: z.coerce.number().int().min(0).optional(),
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(10),
  type: z.enum(['ARRAY_SHARE', 'GROUP_SHARE', 'JOIN_ORGANIZATION', 'PAYMENT_SHARE']).optional(),
  status: z.enum(['PENDING', 'ACCEPTED']).optional(),
  orderby: z.enum(['timestamp', 'array_name', 'organization_name']).optional(),
});

const ORDER: Record<string, OffsetOrder> = {
  timestamp: '-create_time',
  array_name: 'resource_name',
  organization_name: 'organization_name',
};

const Name = z.string().min(1).max(200);
const ResourceName = z.string().min(1).max(500);

/** The two path dialects of the array and group operations (see `resourceIn`). */
const PLACES = [
  { path: ':namespace', params: { namespace: Name } },
  { path: ':workspace/:teamspace', params: { workspace: Name, teamspace: Name } },
] as const;

type V1Deps = { services: Services; kit: ReturnType<typeof v1Kit> };

/**
 * TileDB Cloud v1 invitations: join an organization, share an array or a group with a list of
 * recipients (204 all sent, 207 some failed, 500 none sent), accept by invitation UUID, cancel
 * by UUID and the path of what was shared, and list with TileDB's filters and page numbers.
 */
export function tiledbV1Routes(app: App, services: Services) {
  const deps: V1Deps = { services, kit: v1Kit(services) };
  registerJoin(app, deps);
  registerShares(app, deps);
  registerAccept(app, deps);
  registerCancelJoin(app, deps);
  registerCancelShares(app, deps);
  registerList(app, deps);
  tiledbV1PaymentRoutes(app, services, PLACES);
}

function registerJoin(app: App, deps: V1Deps) {
  const { recipients, sendAll, organizationOf } = deps.kit;
  app.post('/v1/invitations/:organization/join', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: z.object({ organization: z.string().max(200) }), body: JoinBody },
    handler: async (request, reply) => {
      const principal = request.principal!;
      const organization = await organizationOf(principal, request.params.organization);
      const { organization_role, actions } = request.body;
      const role = catalogRoleFor(organization.settings, organization_role);
      return sendAll(
        reply,
        principal,
        organization.id,
        await recipients(request.body.invitee_email),
        (email) => ({
          email,
          role,
          metadata: metadataOf({
            [META.role]: organization_role,
            [META.namespaceActions]: [...new Set(actions ?? [])].join(','),
          }),
        }),
      );
    },
  });
}

/** Sharing an array or a group, in both path dialects. */
function registerShares(app: App, deps: V1Deps) {
  const { services } = deps;
  const { recipients, sendAll, organizationOf } = deps.kit;
  for (const place of PLACES) {
    app.post(`/v1/invitations/${place.path}/:array/share`, {
      config: { auth: { scope: 'invitations:write' } },
      schema: { params: z.object({ ...place.params, array: ResourceName }), body: ArrayShareBody },
      handler: async (request, reply) => {
        const principal = request.principal!;
        const { namespace, name } = resourceIn({ ...request.params, name: request.params.array });
        const organization = await organizationOf(principal, namespace);
        const array = await services.resources.findByName(principal, organization.id, 'array', name);
        return sendAll(
          reply,
          principal,
          organization.id,
          await recipients(request.body.invitee_email),
          (email) => ({ email, resource_id: array.id, actions: request.body.actions }),
        );
      },
    });

    app.post(`/v1/invitations/group/${place.path}/:group/share`, {
      config: { auth: { scope: 'invitations:write' } },
      schema: { params: z.object({ ...place.params, group: ResourceName }), body: GroupShareBody },
      handler: async (request, reply) => {
        const principal = request.principal!;
        const { namespace, name } = resourceIn({ ...request.params, name: request.params.group });
        const organization = await organizationOf(principal, namespace);
        const group = await services.resources.findByName(principal, organization.id, 'group', name);
        const { group_actions, array_actions } = request.body;
        return sendAll(
          reply,
          principal,
          organization.id,
          await recipients(request.body.invitee_email_or_name),
          (email) => ({
            email,
            resource_id: group.id,
            actions: group_actions,
            metadata: metadataOf({ [META.arrayActions]: [...new Set(array_actions)].join(',') }),
          }),
        );
      },
    });
  }
}

function registerAccept(app: App, deps: V1Deps) {
  const { invitations } = deps.services;
  const { byUuid } = deps.kit;
  app.post('/v1/invitations/:invitation', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: { params: z.object({ invitation: z.string().max(200) }) },
    handler: async (request, reply) => {
      const invitation = await byUuid(request.params.invitation, cannotFind);
      await invitations.accept(request.principal!, { id: invitation.id }).catch((error) => {
        throw error instanceof AppError && error.status === 404 ? cannotFind() : error;
      });
      return reply.code(204).send(null);
    },
  });
}

/** Whether the invitation shares the array or group named by `where`. */
async function sharedResource(
  deps: V1Deps,
  principal: Principal,
  invitation: InvitationRecord,
  where: { namespace: string; name: string },
  type: 'array' | 'group',
) {
  const { namespace, name } = where;
  if (!invitation.resourceId || !(await deps.kit.sameOrganization(principal, invitation, namespace)))
    return false;
  const resource = await deps.services.resources
    .findByName(principal, invitation.organizationId, type, name)
    .catch(() => null);
  return resource?.id === invitation.resourceId;
}

function registerCancelJoin(app: App, deps: V1Deps) {
  const { byUuid, cancel, sameOrganization } = deps.kit;
  app.delete('/v1/invitations/:invitation/:organization/join', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: z.object({ invitation: z.string().max(200), organization: z.string().max(200) }) },
    handler: async (request, reply) => {
      const principal = request.principal!;
      const { invitation, organization } = request.params;
      return cancel(
        principal,
        await byUuid(invitation, nothingToCancel),
        async (found) =>
          found.resourceId === null && (await sameOrganization(principal, found, organization)),
        reply,
      );
    },
  });
}

/** The array and group forms differ only in path and resource type; each in both dialects. */
function registerCancelShares(app: App, deps: V1Deps) {
  const { byUuid, cancel } = deps.kit;
  for (const place of PLACES) {
    for (const [prefix, type] of [
      ['/v1/invitations', 'array'],
      ['/v1/invitations/group', 'group'],
    ] as const) {
      app.delete(`${prefix}/:invitation/${place.path}/:name/share`, {
        config: { auth: { scope: 'invitations:write' } },
        schema: { params: z.object({ ...place.params, invitation: Name, name: ResourceName }) },
        handler: async (request, reply) => {
          const principal = request.principal!;
          const where = resourceIn(request.params);
          return cancel(
            principal,
            await byUuid(request.params.invitation, nothingToCancel),
            (found) => sharedResource(deps, principal, found, where, type),
            reply,
          );
        },
      });
    }
  }
}

function registerList(app: App, deps: V1Deps) {
  const { invitations } = deps.services;
  app.get('/v1/invitations', {
    config: { auth: { scope: 'invitations:read' } },
    schema: { querystring: ListQuery },
    handler: async (request) => {
      const principal = request.principal!;
      const q = request.query;
      const array = q.array ? parseResourceRef(q.array) : undefined;
      const group = q.group ? parseResourceRef(q.group) : undefined;
      const namespace = q.organization ?? array?.namespace ?? group?.namespace;
      // With an organization (or a tiledb:// URI naming one): that organization's invitations,
      // for its admins. Without: those addressed to the caller and those of the organizations
      // the caller administers (the organizations' own invitations, as the seed's filter implies).
      const scope = namespace ? { organizationRef: namespace } : ('administered' as const);
      const statuses: InvitationStatus[] =
        q.status === 'PENDING'
          ? ['pending']
          : q.status === 'ACCEPTED'
            ? ['accepted']
            : ['pending', 'accepted'];
      const filter: InvitationFilter = {
        statuses,
        ...(q.start !== undefined ? { createdAfter: new Date(q.start * 1000) } : {}),
        ...(q.end !== undefined ? { createdBefore: new Date((q.end + 1) * 1000) } : {}),
      };
      if (q.type === 'JOIN_ORGANIZATION') filter.targetType = 'organization';
      if (q.type === 'ARRAY_SHARE' || array)
        Object.assign(filter, { resourceType: 'array', resourceName: array?.name });
      if (q.type === 'GROUP_SHARE' || group)
        Object.assign(filter, { resourceType: 'group', resourceName: group?.name });
      if (q.type === 'PAYMENT_SHARE') Object.assign(filter, { resourceType: PAYMENT_RESOURCE_TYPE });
      const impossible =
        (q.type === 'PAYMENT_SHARE' && (array || group)) ||
        (array && group) ||
        (q.type === 'JOIN_ORGANIZATION' && (array || group)) ||
        (q.type === 'ARRAY_SHARE' && group) ||
        (q.type === 'GROUP_SHARE' && array);
      if (impossible) filter.organizationIds = [];
      const { invitations: rows, total } = await invitations.listByOffset(principal, {
        scope,
        filter,
        order: ORDER[q.orderby ?? 'timestamp']!,
        offset: (q.page - 1) * q.per_page,
        limit: q.per_page,
      });
      const [described, shown] = await Promise.all([
        invitations.describe(rows),
        invitations.inviteeShown(rows),
      ]);
      const now = invitations.now;
      return {
        invitations: rows.map((row) => v1InvitationView(row, described, now, shown.has(row.id))),
        pagination_metadata: {
          page: q.page,
          per_page: q.per_page,
          total_pages: Math.ceil(total / q.per_page),
          total_items: total,
        },
      };
    },
  });
}
