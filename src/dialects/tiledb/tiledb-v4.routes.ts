import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../../access/principal.ts';
import type { App } from '../../http/app-types.ts';
import type { InvitationRecord } from '../../invitations/invitation.repository.ts';
import { BatchRejected, type RowResult } from '../../invitations/invitation.service.ts';
import { AppError, ValidationError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import {
  catalogRoleFor,
  type Described,
  organizationRefOfWorkspace,
  tiledbRoleOf,
  WORKSPACE_ROLES,
  workspaceId,
} from './tiledb.mapping.ts';

const CreateItem = z.object({
  invitee_email: z.string().max(320),
  workspace_invitation: z.object({
    workspace_id: z.string().min(1).max(200),
    prospective_role: z.enum(WORKSPACE_ROLES),
  }),
});
const CreateBody = z.array(CreateItem).min(1).max(1000);
/** The current spec's create: the workspace is in the path, so each item's may be left out. */
const WorkspaceCreateItem = z.object({
  invitee_email: z.string().max(320),
  workspace_invitation: z
    .object({
      workspace_id: z.string().min(1).max(200).optional(),
      prospective_role: z.enum(WORKSPACE_ROLES).default('member'),
    })
    .optional(),
});
const WorkspaceCreateBody = z.array(WorkspaceCreateItem).min(1).max(1000);
const WorkspaceParams = z.object({ workspace: z.string().min(1).max(200) });
const WorkspaceInvitationParams = WorkspaceParams.extend({ invitation_id: z.string().max(64) });
const JwtBody = z.object({ jwt: z.string().min(1).max(4000) });
const RespondBody = JwtBody.extend({ response: z.enum(['accept', 'reject']) });
const InvitationParams = z.object({ invitation_id: z.string().max(64) });
const ListQuery = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per_page: z.coerce.number().int().min(1).max(100).default(20),
});

const notFound = () => new AppError(404, 'invitation_not_found', 'Not found', 'invitation not found');

/**
 * TileDB Cloud v4 invitations: workspace invitations created in bulk, read and answered by the
 * invitee with the JWT their link carries, listed (what the caller sent) and revoked.
 */
export function tiledbV4Routes(app: App, services: Services) {
  registerCreate(app, services);
  registerWorkspaceAdmin(app, services);
  registerSentList(app, services);
  registerInviteeAnswers(app, services);
  registerRevoke(app, services);
}

/** Inviters' roles, looked up once per organization and inviter however many rows share them. */
function rolesOf(services: Services) {
  const known = new Map<string, Promise<string | null>>();
  return (organizationId: string, userId: string) => {
    const key = `${organizationId}|${userId}`;
    if (!known.has(key)) known.set(key, services.memberships.roleOf(organizationId, userId));
    return known.get(key)!;
  };
}

async function view(
  services: Services,
  invitation: InvitationRecord,
  described: Described,
  roleOf: ReturnType<typeof rolesOf> = rolesOf(services),
) {
  const organization = described.organizations.get(invitation.organizationId)!;
  const inviter = described.users.get(invitation.inviterUserId);
  const inviterRole = await roleOf(organization.id, invitation.inviterUserId);
  const settings = organization.settings;
  return {
    invitation_id: invitation.id,
    invitee_email: invitation.email,
    created_by: {
      user_id: invitation.inviterUserId,
      display_name: inviter?.displayName ?? inviter?.username ?? inviter?.email ?? '',
      email: inviter?.email ?? '',
      workspace_role: inviterRole ? tiledbRoleOf(settings, inviterRole, WORKSPACE_ROLES, 'member') : 'member',
    },
    created_at: invitation.createdAt.toISOString(),
    ...(invitation.role
      ? {
          workspace_invitation: {
            workspace_id: workspaceId(organization),
            name: organization.name,
            prospective_role: tiledbRoleOf(settings, invitation.role, WORKSPACE_ROLES, 'member'),
          },
        }
      : {}),
  };
}

type Item = {
  workspace: string;
  invitee_email: string;
  prospective_role: (typeof WORKSPACE_ROLES)[number];
};

/** One atomic create per workspace, in the order workspaces first appear; 201 with no body. */
async function createAll(services: Services, principal: Principal, items: Item[], reply: FastifyReply) {
  const byWorkspace = new Map<string, { index: number; item: Item }[]>();
  items.forEach((item, index) => {
    const ref = organizationRefOfWorkspace(item.workspace);
    byWorkspace.set(ref, [...(byWorkspace.get(ref) ?? []), { index, item }]);
  });
  for (const [ref, group] of byWorkspace) {
    const { organization } = await services.organizations.get(principal, ref);
    const rows = group.map(({ item }) => ({
      email: item.invitee_email,
      role: catalogRoleFor(organization.settings, item.prospective_role),
    }));
    try {
      await services.invitations.create(principal, organization.id, rows, {
        sendEmail: true,
        atomic: true,
        linkStyle: 'jwt',
      });
    } catch (error) {
      if (!(error instanceof BatchRejected)) throw error;
      throw new BatchRejected(
        error.failures.map((failure): RowResult => ({ ...failure, index: group[failure.index]!.index })),
      );
    }
  }
  // The spec's 201 is "void (empty response body)": no `null`, no content type.
  return reply.code(201).removeHeader('content-type').send();
}

/** A page of invitations, pending, that the caller sent (`sent`) or of one workspace. */
async function listPage(
  services: Services,
  principal: Principal,
  scope: 'sent' | { organizationRef: string },
  page: number,
  per_page: number,
) {
  const { invitations } = services;
  const { invitations: rows, total } = await invitations.listByOffset(principal, {
    scope,
    filter: { statuses: ['pending'], targetType: 'organization' },
    order: '-create_time',
    offset: (page - 1) * per_page,
    limit: per_page,
  });
  const described = await invitations.describe(rows);
  const roleOf = rolesOf(services);
  return {
    data: await Promise.all(rows.map((row) => view(services, row, described, roleOf))),
    pagination_metadata: {
      page,
      per_page,
      total_pages: Math.ceil(total / per_page),
      total_items: total,
    },
  };
}

function registerCreate(app: App, services: Services) {
  app.post('/v4/invitations', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { body: CreateBody },
    handler: async (request, reply) =>
      createAll(
        services,
        request.principal!,
        request.body.map((item) => ({
          workspace: item.workspace_invitation.workspace_id,
          invitee_email: item.invitee_email,
          prospective_role: item.workspace_invitation.prospective_role,
        })),
        reply,
      ),
  });
}

/** The current spec's admin operations: the same ones, with the workspace in the path. */
function registerWorkspaceAdmin(app: App, services: Services) {
  const { invitations } = services;
  app.post('/v4/invitations/admin/:workspace', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: WorkspaceParams, body: WorkspaceCreateBody },
    handler: async (request, reply) => {
      const { workspace } = request.params;
      const items = request.body.map((item, index): Item => {
        const named = item.workspace_invitation?.workspace_id;
        if (
          named !== undefined &&
          organizationRefOfWorkspace(named) !== organizationRefOfWorkspace(workspace)
        ) {
          throw new ValidationError([
            {
              pointer: `/body/${index}/workspace_invitation/workspace_id`,
              detail: 'Names another workspace than the path.',
            },
          ]);
        }
        return {
          workspace,
          invitee_email: item.invitee_email,
          prospective_role: item.workspace_invitation?.prospective_role ?? 'member',
        };
      });
      return createAll(services, request.principal!, items, reply);
    },
  });

  app.get('/v4/invitations/admin/:workspace', {
    config: { auth: { scope: 'invitations:read' } },
    schema: { params: WorkspaceParams, querystring: ListQuery },
    handler: async (request) =>
      listPage(
        services,
        request.principal!,
        { organizationRef: organizationRefOfWorkspace(request.params.workspace) },
        request.query.page,
        request.query.per_page,
      ),
  });

  app.delete('/v4/invitations/admin/:workspace/:invitation_id', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: WorkspaceInvitationParams },
    handler: async (request, reply) => {
      const { workspace, invitation_id } = request.params;
      await invitations.revoke(request.principal!, organizationRefOfWorkspace(workspace), invitation_id);
      return reply.code(204).send();
    },
  });
}

function registerSentList(app: App, services: Services) {
  app.get('/v4/invitations', {
    config: { auth: { scope: 'invitations:read' } },
    schema: { querystring: ListQuery },
    handler: async (request) =>
      listPage(services, request.principal!, 'sent', request.query.page, request.query.per_page),
  });
}

function registerInviteeAnswers(app: App, services: Services) {
  const { invitations } = services;
  // The invitee reads the invitation with the JWT of their link; it is the only authority needed.
  app.post('/v4/invitations/:invitation_id', {
    config: { auth: 'public' },
    schema: { params: InvitationParams, body: JwtBody },
    handler: async (request) => {
      const invitation = await invitations.byLinkSecret(request.body.jwt).catch(() => {
        throw notFound();
      });
      if (invitation.id !== request.params.invitation_id) throw notFound();
      const status = invitations.statusOf(invitation);
      if (status !== 'pending') throw invitations.notPendingError(invitation);
      return { data: await view(services, invitation, await invitations.describe([invitation])) };
    },
  });

  // Answering needs the invitee signed in as well: accepting makes that account a member.
  app.patch('/v4/invitations/:invitation_id', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: { params: InvitationParams, body: RespondBody },
    handler: async (request, reply) => {
      const invitation = await invitations.byLinkSecret(request.body.jwt).catch(() => {
        throw notFound();
      });
      if (invitation.id !== request.params.invitation_id) throw notFound();
      const ref = { token: request.body.jwt };
      if (request.body.response === 'accept') await invitations.accept(request.principal!, ref);
      else await invitations.decline(request.principal!, ref);
      return reply.code(204).send(null);
    },
  });
}

function registerRevoke(app: App, services: Services) {
  const { invitations } = services;
  app.delete('/v4/invitations/:invitation_id', {
    config: { auth: { scope: 'invitations:write' } },
    schema: { params: InvitationParams },
    handler: async (request, reply) => {
      await invitations.revokeById(request.principal!, request.params.invitation_id);
      return reply.code(204).send(null);
    },
  });
}
