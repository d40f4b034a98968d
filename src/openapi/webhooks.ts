import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../events/event.repository.ts';

/**
 * The webhook messages rsvp POSTs to an organization's endpoints, for the OpenAPI `webhooks`
 * section: the Standard Webhooks body (`type`, `timestamp`, `data`) that events/event.recorder.ts
 * builds, and the headers webhooks/webhook.handler.ts signs it with.
 */

const invitation = {
  id: 'inv_01JQ8Z6V7C4T2N9W3X5Y8K1M0P',
  organization_id: 'org_01JQ8Z5M4X2B7D9F3H6K8N1Q4S',
  email: 'ada@example.com',
  role: 'member',
  actions: null,
  resource_id: null,
  status: 'pending',
  delivery_state: 'sent',
  delivery_error: null,
  send_count: 1,
  metadata: { team: 'research' },
  expire_time: '2025-07-08T09:30:00.000Z',
  create_time: '2025-07-01T09:30:00.000Z',
};

const InvitationSnapshot = z
  .object({
    id: z.string(),
    organization_id: z.string(),
    email: z.string(),
    role: z.string().nullable().describe('Offered organization role; null for a resource invitation.'),
    actions: z.array(z.string()).nullable().describe('Offered resource actions; null for a role invitation.'),
    resource_id: z.string().nullable(),
    status: z.enum(['pending', 'accepted', 'declined', 'revoked', 'expired']),
    delivery_state: z.string().describe('`queued`, `sent`, `failed`, …'),
    delivery_error: z.string().nullable(),
    send_count: z.int(),
    metadata: z.record(z.string(), z.string()),
    expire_time: z.iso.datetime(),
    create_time: z.iso.datetime(),
  })
  .describe('The invitation as it stood after the event.');

const MembershipSnapshot = z
  .object({
    organization_id: z.string(),
    user_id: z.string(),
    email: z.string(),
    role: z.string(),
  })
  .describe('The new membership.');

const Common = {
  event_id: z.string().describe('`evt_…`: the event in `GET /v1/events`.'),
  organization_id: z.string().nullable(),
  from_status: z.string().nullable(),
  to_status: z.string().nullable(),
  actor: z
    .object({ user_id: z.string(), api_key_id: z.string().nullable() })
    .nullable()
    .describe('Who acted; null when rsvp itself acted (delivery, expiry).'),
};

function payload(type: string, data: z.ZodObject, example: Record<string, unknown>) {
  return z
    .object({
      type: z.literal(type),
      timestamp: z.iso.datetime().describe('When the event happened.'),
      data,
    })
    .meta({ examples: [{ type, timestamp: '2025-07-01T09:30:00.000Z', data: example }] });
}

const actor = { user_id: 'usr_01JQ8Z4K2M', api_key_id: 'key_01JQ8Z4P7T' };
const base = { event_id: 'evt_01JQ8Z6V8D', organization_id: invitation.organization_id };

type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Per event type: its extra `data` fields and an example body. */
function invitationPayload(type: WebhookEventType) {
  const transitions: Record<string, [string | null, string | null, Record<string, unknown>]> = {
    'invitation.created': [null, 'pending', {}],
    'invitation.sent': [null, null, { send_number: 1, message_id: '<inv_01JQ8Z6V7C.1@rsvp.example.com>' }],
    'invitation.delivery_failed': [
      null,
      null,
      { send_number: 1, message_id: '<inv_01JQ8Z6V7C.1@rsvp.example.com>', error: '550 mailbox unavailable' },
    ],
    'invitation.resent': ['pending', 'pending', {}],
    'invitation.accepted': ['pending', 'accepted', {}],
    'invitation.declined': ['pending', 'declined', {}],
    'invitation.revoked': ['pending', 'revoked', {}],
    'invitation.expired': ['pending', 'expired', {}],
  };
  const [from, to, extra] = transitions[type]!;
  const byRsvp =
    type === 'invitation.sent' || type === 'invitation.delivery_failed' || type === 'invitation.expired';
  const status = to ?? 'pending';
  return payload(
    type,
    z
      .object({ ...Common, invitation: InvitationSnapshot })
      .catchall(z.unknown())
      .describe('Event fields, fields particular to this event type, and the invitation.'),
    {
      ...base,
      from_status: from,
      to_status: to,
      actor: byRsvp ? null : actor,
      ...extra,
      invitation: {
        ...invitation,
        status,
        ...(type === 'invitation.delivery_failed'
          ? { delivery_state: 'failed', delivery_error: extra.error }
          : {}),
      },
    },
  );
}

function membershipPayload() {
  return payload(
    'membership.created',
    z
      .object({
        ...Common,
        user_id: z.string(),
        role: z.string(),
        via: z.string().describe('How they joined: `invitation`, a join link or a verified domain.'),
        membership: MembershipSnapshot,
      })
      .catchall(z.unknown()),
    {
      ...base,
      from_status: null,
      to_status: null,
      actor,
      user_id: 'usr_01JQ8Z4K2M',
      role: 'member',
      via: 'invitation',
      membership: {
        organization_id: invitation.organization_id,
        user_id: 'usr_01JQ8Z4K2M',
        email: 'ada@example.com',
        role: 'member',
      },
    },
  );
}

const joinRequest = {
  id: 'jr_01JQ8ZA1B2C3D4E5F6G7H8J9K0',
  organization_id: invitation.organization_id,
  user_id: 'usr_01JQ8Z4K2M7P3R5T9V1X3Z6B8D',
  email: 'ada@acme.com',
  role: 'member',
  resource_id: null,
  actions: null,
  source: 'domain',
  join_link_id: null,
  domain: 'acme.com',
  status: 'pending',
};

function joinLinkPayload(type: WebhookEventType) {
  return payload(
    type,
    z
      .object({
        ...Common,
        role: z.string().nullable().optional(),
        resource_id: z.string().nullable().optional(),
        actions: z.array(z.string()).nullable().optional(),
        max_uses: z.int().nullable().optional(),
        requires_approval: z.boolean().optional(),
      })
      .catchall(z.unknown())
      .describe('Event fields and what the link grants; the link is `GET …/join-links/{id}`.'),
    {
      ...base,
      from_status: null,
      to_status: null,
      actor,
      role: 'member',
      resource_id: null,
      actions: null,
      max_uses: 50,
      requires_approval: true,
    },
  );
}

function joinRequestPayload(type: WebhookEventType) {
  const status = type === 'join_request.created' ? 'pending' : type.slice('join_request.'.length);
  return payload(
    type,
    z
      .object({
        ...Common,
        user_id: z.string(),
        source: z.string().describe('`link` or `domain`.'),
        reason: z.string().optional().describe('The admin’s note, on a decision.'),
        join_request: z
          .object({
            id: z.string(),
            organization_id: z.string(),
            user_id: z.string(),
            email: z.string(),
            role: z.string().nullable(),
            resource_id: z.string().nullable(),
            actions: z.array(z.string()).nullable(),
            source: z.string(),
            join_link_id: z.string().nullable(),
            domain: z.string().nullable(),
            status: z.string(),
          })
          .describe('The request as it stood after the event.'),
      })
      .catchall(z.unknown()),
    {
      ...base,
      from_status: null,
      to_status: null,
      actor: type === 'join_request.created' ? null : actor,
      user_id: joinRequest.user_id,
      source: 'domain',
      join_request: { ...joinRequest, status },
    },
  );
}

function domainPayload(type: WebhookEventType) {
  return payload(
    type,
    z
      .object({
        ...Common,
        domain: z.object({ id: z.string(), organization_id: z.string(), domain: z.string() }),
      })
      .catchall(z.unknown())
      .describe('Event fields, fields particular to this event type, and the domain.'),
    {
      ...base,
      from_status: null,
      to_status: null,
      actor,
      domain: {
        id: 'dom_01JQ8ZB2C3D4E5F6G7H8J9K0L1',
        organization_id: invitation.organization_id,
        domain: 'acme.com',
      },
    },
  );
}

/** The message `POST …/webhooks/{id}/test` sends to one endpoint; no endpoint subscribes to it. */
function testPayload(type: string) {
  return payload(
    type,
    z
      .object({
        ...Common,
        endpoint_id: z.string().describe('The endpoint the test was sent to.'),
        requested_by: z.string().describe('The user who asked for the test.'),
      })
      .catchall(z.unknown()),
    {
      ...base,
      from_status: null,
      to_status: null,
      actor,
      endpoint_id: 'whk_01JQ8Z6W2A',
      requested_by: actor.user_id,
    },
  );
}

/** Every event type a webhook can carry; a new one does not type-check until it is described here. */
const PAYLOADS: Record<WebhookEventType, (type: WebhookEventType) => z.ZodType> = {
  'invitation.created': invitationPayload,
  'invitation.sent': invitationPayload,
  'invitation.delivery_failed': invitationPayload,
  'invitation.resent': invitationPayload,
  'invitation.accepted': invitationPayload,
  'invitation.declined': invitationPayload,
  'invitation.revoked': invitationPayload,
  'invitation.expired': invitationPayload,
  'membership.created': membershipPayload,
  'join_link.created': joinLinkPayload,
  'join_link.rotated': joinLinkPayload,
  'join_link.revoked': joinLinkPayload,
  'join_request.created': joinRequestPayload,
  'join_request.approved': joinRequestPayload,
  'join_request.rejected': joinRequestPayload,
  'domain.added': domainPayload,
  'domain.updated': domainPayload,
  'domain.verified': domainPayload,
  'domain.removed': domainPayload,
};

const signed = (description: string, example: string) => ({
  required: true,
  description,
  schema: { type: 'string' },
  example,
});

const componentName = (type: string) =>
  `${type
    .split(/[._]/)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('')}Webhook`;

/**
 * The `webhooks` section and the payload schemas it references: one POST per event type, each
 * with the Standard Webhooks headers and the answer rsvp expects.
 */
export function webhookDocument() {
  const schemas: Record<string, unknown> = {};
  const webhooks: Record<string, unknown> = {};
  const describe = (type: string, schema: z.ZodType, sentTo: string) => {
    const { $schema: _, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' });
    const name = componentName(type);
    schemas[name] = json;
    webhooks[type] = {
      post: {
        operationId: `on${name.replace(/Webhook$/, '')}`,
        summary: `\`${type}\``,
        description:
          `${sentTo} ` +
          'Verify the signature before trusting the body (the SDK has `verifyWebhook`); the ' +
          '`webhook-id` stays the same on every retry, so process each id once. Failed deliveries ' +
          'are retried with backoff and listed under the endpoint’s deliveries.',
        tags: ['Webhooks'],
        security: [],
        parameters: [
          {
            name: 'webhook-id',
            in: 'header',
            ...signed('The message id, the same on every retry.', 'msg_01JQ8Z6V9E'),
          },
          {
            name: 'webhook-timestamp',
            in: 'header',
            ...signed('Unix time in seconds when this attempt was signed.', '1751362200'),
          },
          {
            name: 'webhook-signature',
            in: 'header',
            ...signed(
              '`v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` with the endpoint secret (after its `whsec_` prefix, base64-decoded).',
              'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
            ),
          },
        ],
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { $ref: `#/components/schemas/${name}` } } },
        },
        responses: {
          '2XX': { description: 'Any 2xx marks the delivery done; the body is ignored.' },
          '4XX': {
            description:
              'Any other status, or no answer within 15 s, is retried: after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h and 20 h.',
          },
        },
      },
    };
  };
  for (const type of WEBHOOK_EVENT_TYPES)
    describe(
      type,
      PAYLOADS[type](type),
      `Sent to every enabled endpoint of the organization subscribed to \`${type}\`.`,
    );
  describe(
    'webhook.test',
    testPayload('webhook.test'),
    'Sent to one endpoint when an admin asks for a test (`POST …/webhooks/{endpoint_id}/test`); no endpoint subscribes to it.',
  );
  return { schemas, webhooks };
}
