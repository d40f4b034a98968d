import { z } from 'zod';
import { type App, COMMON, problems } from '../http/app-types.ts';
import { decodePageToken, PageSize, PageToken, pageOf } from '../http/pagination.ts';
import type { MembershipRecord } from '../memberships/membership.repository.ts';
import { RoleName } from '../organizations/organization.schemas.ts';
import type { Services } from '../services.ts';

const TAGS = ['Members'];

/** The example the OpenAPI document shows. */
const MEMBER_EXAMPLE = {
  user_id: 'usr_01JQ8Z4K2M7P3R5T9V1X3Z6B8D',
  email: 'grace@example.com',
  username: 'grace',
  display_name: 'Grace Hopper',
  role: 'admin',
  create_time: '2025-06-30T08:00:00.000Z',
  update_time: '2025-07-01T09:00:00.000Z',
};

export const MemberSchema = z
  .object({
    user_id: z.string(),
    email: z.string().optional(),
    username: z.string().nullable().optional(),
    display_name: z.string().nullable().optional(),
    role: z.string(),
    public_metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('Copied from the invitation the member accepted (merged over earlier ones); `{}` when none.'),
    private_metadata: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        "As public_metadata, from the invitation's private_metadata: shown to the organization's admins only.",
      ),
    create_time: z.iso.datetime(),
    update_time: z.iso.datetime(),
  })
  .meta({ id: 'Member', examples: [MEMBER_EXAMPLE] });

const MemberListSchema = z
  .object({ members: z.array(MemberSchema), next_page_token: z.string().nullable() })
  .meta({ id: 'MemberList', examples: [{ members: [MEMBER_EXAMPLE], next_page_token: null }] });

const MemberParams = z.object({ org_id: z.string(), user_id: z.string() });

const memberView = (
  member: MembershipRecord & { email?: string; username?: string | null; displayName?: string | null },
) => ({
  user_id: member.userId,
  ...(member.email !== undefined ? { email: member.email } : {}),
  ...(member.username !== undefined ? { username: member.username } : {}),
  ...(member.displayName !== undefined ? { display_name: member.displayName } : {}),
  role: member.role,
  ...(member.publicMetadata !== undefined ? { public_metadata: member.publicMetadata } : {}),
  ...(member.privateMetadata !== undefined ? { private_metadata: member.privateMetadata } : {}),
  create_time: member.createdAt.toISOString(),
  update_time: member.updatedAt.toISOString(),
});

export function membershipRoutes(app: App, services: Services) {
  app.get('/v1/organizations/:org_id/members', {
    config: { auth: { scope: 'members:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listMembers',
      summary: 'List members',
      description: 'Every member with their role, oldest first. Needs membership of the organization.',
      params: z.object({ org_id: z.string() }),
      querystring: z.object({
        role: z.string().max(64).optional(),
        page_size: PageSize,
        page_token: PageToken,
      }),
      response: { 200: MemberListSchema.describe('A page of members.'), ...problems(...COMMON) },
    },
    handler: async (request) => {
      const scope = { org: request.params.org_id, role: request.query.role };
      const after = decodePageToken(request.query.page_token, scope);
      const rows = await services.memberships.list(request.principal!, request.params.org_id, {
        afterUserId: after?.[0] as string | undefined,
        limit: request.query.page_size + 1,
        role: request.query.role,
      });
      const page = pageOf(rows, request.query.page_size, (row) => row.userId, scope);
      return { members: page.items.map(memberView), next_page_token: page.next_page_token };
    },
  });

  app.patch('/v1/organizations/:org_id/members/:user_id', {
    config: { auth: { scope: 'members:write' } },
    schema: {
      tags: TAGS,
      operationId: 'updateMember',
      summary: "Change a member's role",
      description: 'Nobody grants a role ranked above their own, or changes someone ranked above them.',
      params: MemberParams,
      body: z.strictObject({ role: RoleName }).meta({ id: 'MemberUpdate', examples: [{ role: 'admin' }] }),
      response: {
        200: MemberSchema.describe('The member with the new role.'),
        ...problems(...COMMON, 409, 422),
      },
    },
    handler: async (request) =>
      memberView(
        await services.memberships.changeRole(
          request.principal!,
          request.params.org_id,
          request.params.user_id,
          request.body.role,
        ),
      ),
  });

  app.delete('/v1/organizations/:org_id/members/:user_id', {
    config: { auth: { scope: 'members:write' } },
    schema: {
      tags: TAGS,
      operationId: 'removeMember',
      summary: 'Remove a member (or leave)',
      description: 'Anyone may remove themselves; the last owner may not.',
      params: MemberParams,
      response: { 204: z.null().describe('Removed.'), ...problems(...COMMON, 409) },
    },
    handler: async (request, reply) => {
      await services.memberships.remove(request.principal!, request.params.org_id, request.params.user_id);
      return reply.code(204).send(null);
    },
  });
}
