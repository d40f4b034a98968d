import { z } from 'zod';
import { type App, COMMON, problems } from '../http/app-types.ts';
import { decodePageToken, PageSize, PageToken, pageOf } from '../http/pagination.ts';
import { ProblemSchema } from '../http/problem.schema.ts';
import { problemBody } from '../http/problem.ts';
import {
  JOIN_REQUEST_STATUSES,
  JoinDecisionSchema,
  JoinRequestListSchema,
  JoinRequestSchema,
} from '../joining/joining.schemas.ts';
import { joinRequestView } from '../joining/joining.views.ts';
import { OrgParams } from '../organizations/organization.schemas.ts';
import type { Services } from '../services.ts';

const TAGS = ['Join requests'];

const StatusQuery = z
  .preprocess(
    (value) => (typeof value === 'string' ? value.split(',') : value),
    z.array(z.enum(JOIN_REQUEST_STATUSES)).max(4),
  )
  .optional()
  .describe('Comma-separated statuses; all when omitted.');

const DecisionResultSchema = z
  .object({
    results: z.array(
      z.object({
        id: z.string(),
        status: z.int().describe('What deciding this request alone would have answered.'),
        join_request: JoinRequestSchema.optional(),
        error: ProblemSchema.omit({ request_id: true }).optional(),
      }),
    ),
    decided: z.int(),
    failed: z.int(),
  })
  .meta({
    id: 'JoinDecisionResult',
    examples: [
      {
        results: [
          { id: 'jr_01JQ8ZA1B2C3D4E5F6G7H8J9K0', status: 200 },
          {
            id: 'jr_01JQ8ZE5F6G7H8J9K0L1M2N3P4',
            status: 409,
            error: {
              type: '/problems/join_request_decided',
              title: 'Join request already decided',
              status: 409,
              detail: 'This request was already decided.',
              code: 'join_request_decided',
            },
          },
        ],
        decided: 1,
        failed: 1,
      },
    ],
  });

/** The approval queue (admins) and the requester's own view of their requests. */
export function joinRequestRoutes(app: App, services: Services) {
  registerListJoinRequests(app, services);
  registerDecideJoinRequest(app, services);
  registerListMyJoinRequests(app, services);
}

function registerListJoinRequests(app: App, services: Services) {
  const queue = services.joinRequests;
  app.get('/v1/organizations/:org_id/join-requests', {
    config: { auth: { scope: 'members:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listJoinRequests',
      summary: 'List join requests',
      description: 'Newest first; `status=pending` is the approval queue. Admins only.',
      params: OrgParams,
      querystring: z.object({ status: StatusQuery, page_size: PageSize, page_token: PageToken }),
      response: { 200: JoinRequestListSchema.describe('A page of join requests.'), ...problems(...COMMON) },
    },
    handler: async (request) => {
      const scope = { org: request.params.org_id, status: request.query.status };
      const after = decodePageToken(request.query.page_token, scope);
      const rows = await queue.list(request.principal!, request.params.org_id, {
        statuses: request.query.status,
        afterId: after?.[0] as string | undefined,
        limit: request.query.page_size + 1,
      });
      const page = pageOf(rows, request.query.page_size, (row) => row.id, scope);
      return { join_requests: page.items.map(joinRequestView), next_page_token: page.next_page_token };
    },
  });
}

function registerDecideJoinRequest(app: App, services: Services) {
  const queue = services.joinRequests;
  for (const verb of ['approve', 'reject'] as const) {
    app.post(`/v1/organizations/:org_id/join-requests/${verb}`, {
      config: { auth: { scope: 'members:write' } },
      schema: {
        tags: TAGS,
        operationId: `${verb}JoinRequests`,
        summary: verb === 'approve' ? 'Approve join requests' : 'Reject join requests',
        description:
          'One or many pending requests at once; each is decided on its own (a request decided ' +
          'meanwhile, 409; no seat left, 402) and its requester is told by email. ' +
          (verb === 'approve' ? 'Nobody approves a role ranked above their own.' : ''),
        params: OrgParams,
        body: JoinDecisionSchema,
        response: {
          200: DecisionResultSchema.describe(
            'One result per request, in request order: the request as decided, or the problem it met.',
          ),
          ...problems(...COMMON),
        },
      },
      handler: async (request) => {
        const results = await queue.decide(
          request.principal!,
          request.params.org_id,
          request.body.ids,
          verb === 'approve' ? 'approved' : 'rejected',
          request.body.reason ?? null,
        );
        return {
          results: results.map((result) => {
            if (result.ok)
              return { id: result.id, status: 200, join_request: joinRequestView(result.request) };
            const { request_id: _omit, ...error } = problemBody(result.error, request.id);
            return { id: result.id, status: result.error.status, error };
          }),
          decided: results.filter((result) => result.ok).length,
          failed: results.filter((result) => !result.ok).length,
        };
      },
    });
  }
}

function registerListMyJoinRequests(app: App, services: Services) {
  const queue = services.joinRequests;
  app.get('/v1/me/join-requests', {
    config: { auth: { scope: 'invitations:respond' } },
    schema: {
      tags: TAGS,
      operationId: 'listMyJoinRequests',
      summary: 'My join requests',
      description: "The signed-in user's requests and joins, in every organization, newest first.",
      querystring: z.object({ status: StatusQuery, page_size: PageSize, page_token: PageToken }),
      response: {
        200: JoinRequestListSchema.describe('A page of your join requests.'),
        ...problems(400, 401, 403),
      },
    },
    handler: async (request) => {
      const scope = { mine: true, status: request.query.status };
      const after = decodePageToken(request.query.page_token, scope);
      const rows = await queue.listMine(request.principal!, {
        statuses: request.query.status,
        afterId: after?.[0] as string | undefined,
        limit: request.query.page_size + 1,
      });
      const page = pageOf(rows, request.query.page_size, (row) => row.id, scope);
      return { join_requests: page.items.map(joinRequestView), next_page_token: page.next_page_token };
    },
  });
}
