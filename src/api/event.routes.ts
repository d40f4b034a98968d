import { z } from 'zod';
import { EVENT_TYPES } from '../events/event.repository.ts';
import { type App, problems } from '../http/app-types.ts';
import { decodePageToken, encodePageToken, PageSize, PageToken } from '../http/pagination.ts';
import type { Services } from '../services.ts';

/** The example the OpenAPI document shows. */
const EVENT_EXAMPLE = {
  id: 'evt_01JQ8Z6V8D0F2H4K6M8P0R2T4W',
  type: 'invitation.accepted' as const,
  organization_id: 'org_01JQ8Z5M4X2B7D9F3H6K8N1Q4S',
  subject_type: 'invitation',
  subject_id: 'inv_01JQ8Z6V7C4T2N9W3X5Y8K1M0P',
  invitation_id: 'inv_01JQ8Z6V7C4T2N9W3X5Y8K1M0P',
  from_status: 'pending',
  to_status: 'accepted',
  actor_user_id: 'usr_01JQ8Z4K2M7P3R5T9V1X3Z6B8D',
  actor_api_key_id: null,
  actor_email: 'grace@example.com',
  actor_name: 'Grace Hopper',
  actor_ip: '203.0.113.7',
  actor_user_agent: 'Mozilla/5.0',
  data: {},
  create_time: '2025-07-01T09:31:00.000Z',
};

const EventSchema = z
  .object({
    id: z.string().describe('`evt_…`; ids increase with time.'),
    type: z.enum(EVENT_TYPES),
    organization_id: z.string().nullable().describe('Null for events outside any organization.'),
    subject_type: z.string().describe('`invitation`, `membership`, `organization`, `resource`, `api_key`, …'),
    subject_id: z.string(),
    invitation_id: z.string().nullable(),
    from_status: z.string().nullable(),
    to_status: z.string().nullable(),
    actor_user_id: z.string().nullable().describe('Null when rsvp itself acted (expiry).'),
    actor_email: z
      .string()
      .nullable()
      .describe(
        "The acting user's email when you may see it: yours, a current member of the event's " +
          'organization, or anyone for an instance admin. Null otherwise.',
      ),
    actor_name: z.string().nullable().describe("The acting user's display name, under the same rule."),
    actor_api_key_id: z.string().nullable(),
    actor_ip: z.string().nullable().describe('Client address of the request, behind trusted proxies only.'),
    actor_user_agent: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    create_time: z.iso.datetime(),
  })
  .meta({ id: 'Event', examples: [EVENT_EXAMPLE] });

export function eventRoutes(app: App, services: Services) {
  app.get('/v1/events', {
    config: { auth: { scope: 'events:read' } },
    schema: {
      tags: ['Events'],
      operationId: 'listEvents',
      summary: 'The audit trail: invitation transitions and administrative actions',
      description:
        'Append-only, oldest first, across the organizations you administer. Keep the last ' +
        '`next_page_token` to continue where you stopped.',
      querystring: z.object({
        organization_id: z.string().optional(),
        invitation_id: z.string().optional(),
        subject_type: z.string().max(64).optional(),
        subject_id: z.string().max(200).optional(),
        actor_user_id: z.string().max(200).optional(),
        since: z.iso.datetime({ offset: true }).optional().describe('Events at or after this time.'),
        until: z.iso.datetime({ offset: true }).optional().describe('Events before this time.'),
        type: z
          .string()
          .transform((value) => value.split(',').map((item) => item.trim()))
          .pipe(z.array(z.enum(EVENT_TYPES)))
          .optional()
          .describe('One type or several, comma-separated.'),
        page_size: PageSize,
        page_token: PageToken,
      }),
      response: {
        200: z
          .object({ events: z.array(EventSchema), next_page_token: z.string().nullable() })
          .meta({ id: 'EventList', examples: [{ events: [EVENT_EXAMPLE], next_page_token: null }] })
          .describe('A page of events.'),
        ...problems(400, 401, 403, 404),
      },
    },
    handler: async (request) => {
      const { page_size, page_token, ...filters } = request.query;
      const after = decodePageToken(page_token, filters);
      const { events, actors } = await services.events.list(request.principal!, {
        organizationRef: filters.organization_id,
        invitationId: filters.invitation_id,
        subjectType: filters.subject_type,
        subjectId: filters.subject_id,
        actorUserId: filters.actor_user_id,
        since: filters.since ? new Date(filters.since) : undefined,
        until: filters.until ? new Date(filters.until) : undefined,
        types: filters.type,
        afterId: after?.[0] as string | undefined,
        limit: page_size,
      });
      return {
        events: events.map((event) => ({
          id: event.id,
          type: event.type,
          organization_id: event.organizationId,
          subject_type: event.subjectType,
          subject_id: event.subjectId,
          invitation_id: event.invitationId,
          from_status: event.fromStatus,
          to_status: event.toStatus,
          actor_user_id: event.actorUserId,
          actor_email: actors.get(event.id)?.email ?? null,
          actor_name: actors.get(event.id)?.displayName ?? null,
          actor_api_key_id: event.actorApiKeyId,
          actor_ip: event.actorIp,
          actor_user_agent: event.actorUserAgent,
          data: event.data,
          create_time: event.createdAt.toISOString(),
        })),
        // Always a token, even at the end: the log grows, and a follower resumes from here.
        next_page_token: encodePageToken([events.at(-1)?.id ?? (after?.[0] as string) ?? ''], filters),
      };
    },
  });
}
