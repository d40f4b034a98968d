import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../events/event.repository.ts';
import { type App, COMMON, problems } from '../http/app-types.ts';
import { decodePageToken, encodePageToken, PageSize, PageToken } from '../http/pagination.ts';
import type { Services } from '../services.ts';
import type { AttemptRecord, DeliveryRecord, WebhookEndpointRecord } from '../webhooks/webhook.repository.ts';

const TAGS = ['Webhooks'];

const EventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .describe('The events this endpoint receives.');

/** The examples the OpenAPI document shows. */
const ENDPOINT_EXAMPLE = {
  id: 'whe_01JQ8Z8B3D5F7H9K1M3P5R7T9V',
  organization_id: 'org_01JQ8Z5M4X2B7D9F3H6K8N1Q4S',
  url: 'https://hooks.acme.com/rsvp',
  description: 'Provision accounts on acceptance',
  event_types: ['invitation.accepted', 'membership.created'],
  enabled: true,
  create_time: '2025-06-30T11:00:00.000Z',
  update_time: '2025-06-30T11:00:00.000Z',
};
const SECRET_EXAMPLE = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const DELIVERY_EXAMPLE = {
  id: 'msg_01JQ8Z6V9E1G3J5L7N9Q1S3U5W',
  endpoint_id: ENDPOINT_EXAMPLE.id,
  event_type: 'invitation.accepted',
  status: 'done' as const,
  attempts: [
    {
      id: 'att_01JQ8Z6VA0',
      status_code: 503,
      error: 'HTTP 503',
      duration_ms: 212,
      create_time: '2025-07-01T09:31:00.000Z',
    },
    {
      id: 'att_01JQ8Z6VB1',
      status_code: 200,
      error: null,
      duration_ms: 95,
      create_time: '2025-07-01T09:31:05.000Z',
    },
  ],
  next_attempt_time: null,
  last_error: null,
  delivered_time: '2025-07-01T09:31:05.000Z',
  payload: { type: 'invitation.accepted', timestamp: '2025-07-01T09:31:00.000Z', data: {} },
  create_time: '2025-07-01T09:31:00.000Z',
};

const WebhookEndpointSchema = z
  .object({
    id: z.string().describe('`whe_…`'),
    organization_id: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    event_types: z.array(z.string()),
    enabled: z.boolean(),
    deliveries: z
      .record(z.string(), z.number())
      .optional()
      .describe('Deliveries by status (pending, processing, done, dead); on single reads only.'),
    create_time: z.iso.datetime(),
    update_time: z.iso.datetime(),
  })
  .meta({ id: 'WebhookEndpoint', examples: [{ ...ENDPOINT_EXAMPLE, deliveries: { done: 41, dead: 1 } }] });

const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z
    .string()
    .describe('`whsec_…`: verify signatures with it (Standard Webhooks). Shown only now; store it.'),
}).meta({ id: 'WebhookEndpointWithSecret', examples: [{ ...ENDPOINT_EXAMPLE, secret: SECRET_EXAMPLE }] });

const EndpointCreateSchema = z
  .strictObject({
    url: z.string().max(2000).describe('https URL that receives POSTs.'),
    description: z.string().max(500).nullish(),
    event_types: EventTypes,
    enabled: z.boolean().optional(),
  })
  .meta({
    id: 'WebhookEndpointCreate',
    examples: [
      {
        url: ENDPOINT_EXAMPLE.url,
        description: ENDPOINT_EXAMPLE.description,
        event_types: ['invitation.accepted', 'membership.created'],
      },
    ],
  });

const EndpointUpdateSchema = z
  .strictObject({
    url: z.string().max(2000).optional(),
    description: z.string().max(500).nullish(),
    event_types: EventTypes.optional(),
    enabled: z.boolean().optional(),
    rotate_secret: z
      .boolean()
      .optional()
      .describe('Issue a new secret (returned once); the old one stops at once.'),
  })
  .meta({ id: 'WebhookEndpointUpdate', examples: [{ enabled: false }, { rotate_secret: true }] });

const AttemptSchema = z.object({
  id: z.string(),
  status_code: z.number().nullable().describe("The receiver's HTTP status; null when no answer came."),
  error: z.string().nullable(),
  duration_ms: z.number(),
  create_time: z.iso.datetime(),
});

const DeliverySchema = z
  .object({
    id: z.string().describe('`msg_…`, sent as `webhook-id`: the same on every attempt.'),
    endpoint_id: z.string(),
    event_type: z.string(),
    status: z.enum(['pending', 'processing', 'done', 'dead']),
    attempts: z.array(AttemptSchema),
    next_attempt_time: z.iso.datetime().nullable(),
    last_error: z.string().nullable(),
    delivered_time: z.iso.datetime().nullable(),
    payload: z.record(z.string(), z.unknown()),
    create_time: z.iso.datetime(),
  })
  .meta({ id: 'WebhookDelivery', examples: [DELIVERY_EXAMPLE] });

const EndpointParams = z.object({ org_id: z.string(), endpoint_id: z.string() });

function endpointView(endpoint: WebhookEndpointRecord, counts?: Record<string, number>) {
  return {
    id: endpoint.id,
    organization_id: endpoint.organizationId,
    url: endpoint.url,
    description: endpoint.description,
    event_types: endpoint.eventTypes,
    enabled: endpoint.enabled,
    ...(counts ? { deliveries: counts } : {}),
    create_time: endpoint.createdAt.toISOString(),
    update_time: endpoint.updatedAt.toISOString(),
  };
}

function deliveryView(delivery: DeliveryRecord, attempts: AttemptRecord[]) {
  return {
    id: delivery.id,
    endpoint_id: delivery.endpointId,
    event_type: delivery.eventType,
    status: delivery.status,
    attempts: attempts.map((attempt) => ({
      id: attempt.id,
      status_code: attempt.statusCode,
      error: attempt.error,
      duration_ms: attempt.durationMs,
      create_time: attempt.createdAt.toISOString(),
    })),
    next_attempt_time: delivery.status === 'pending' ? delivery.nextAttemptAt.toISOString() : null,
    last_error: delivery.lastError,
    delivered_time: delivery.deliveredAt?.toISOString() ?? null,
    payload: delivery.payload,
    create_time: delivery.createdAt.toISOString(),
  };
}

export function webhookRoutes(app: App, services: Services) {
  const webhooks = services.webhooks;

  app.post('/v1/organizations/:org_id/webhooks', {
    config: { auth: { scope: 'webhooks:write' } },
    schema: {
      tags: TAGS,
      operationId: 'createWebhookEndpoint',
      summary: 'Register a webhook endpoint',
      description:
        'Deliveries are signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, ' +
        '`webhook-signature: v1,…`) and retried with backoff for about three days.',
      params: z.object({ org_id: z.string() }),
      body: EndpointCreateSchema,
      response: {
        201: WebhookEndpointWithSecretSchema.describe(
          'The endpoint, with its signing secret shown this once.',
        ),
        ...problems(...COMMON, 422),
      },
    },
    handler: async (request, reply) => {
      const { endpoint, secret } = await webhooks.create(
        request.principal!,
        request.params.org_id,
        request.body,
      );
      reply
        .code(201)
        .header('location', `/v1/organizations/${endpoint.organizationId}/webhooks/${endpoint.id}`);
      return { ...endpointView(endpoint), secret };
    },
  });

  app.get('/v1/organizations/:org_id/webhooks', {
    config: { auth: { scope: 'webhooks:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listWebhookEndpoints',
      summary: 'List webhook endpoints',
      description: 'Every webhook endpoint of the organization. Signing secrets are never shown again.',
      params: z.object({ org_id: z.string() }),
      response: {
        200: z
          .object({ endpoints: z.array(WebhookEndpointSchema) })
          .meta({ id: 'WebhookEndpointList', examples: [{ endpoints: [ENDPOINT_EXAMPLE] }] })
          .describe('The endpoints.'),
        ...problems(...COMMON),
      },
    },
    handler: async (request) => ({
      endpoints: (await webhooks.list(request.principal!, request.params.org_id)).map((e) => endpointView(e)),
    }),
  });

  app.get('/v1/organizations/:org_id/webhooks/:endpoint_id', {
    config: { auth: { scope: 'webhooks:read' } },
    schema: {
      tags: TAGS,
      operationId: 'getWebhookEndpoint',
      summary: 'Get a webhook endpoint with its delivery counts',
      description: 'One endpoint, with its deliveries counted by status.',
      params: EndpointParams,
      response: { 200: WebhookEndpointSchema.describe('The endpoint.'), ...problems(...COMMON) },
    },
    handler: async (request) => {
      const { endpoint, counts } = await webhooks.get(
        request.principal!,
        request.params.org_id,
        request.params.endpoint_id,
      );
      return endpointView(endpoint, counts);
    },
  });

  app.patch('/v1/organizations/:org_id/webhooks/:endpoint_id', {
    config: { auth: { scope: 'webhooks:write' } },
    schema: {
      tags: TAGS,
      operationId: 'updateWebhookEndpoint',
      summary: 'Change, enable, disable or rotate the secret of a webhook endpoint',
      description:
        'Changes the URL, description, subscribed events or enabled state. With `rotate_secret`, a new signing secret is issued and returned once; the old one stops at once.',
      params: EndpointParams,
      body: EndpointUpdateSchema,
      response: {
        200: WebhookEndpointSchema.extend({
          secret: z.string().optional().describe('The new secret, when `rotate_secret` was set.'),
        })
          .meta({ id: 'WebhookEndpointUpdated', examples: [{ ...ENDPOINT_EXAMPLE, secret: SECRET_EXAMPLE }] })
          .describe('The endpoint as changed (with `secret` when rotated).'),
        ...problems(...COMMON, 422),
      },
    },
    handler: async (request) => {
      const { endpoint, secret } = await webhooks.update(
        request.principal!,
        request.params.org_id,
        request.params.endpoint_id,
        request.body,
      );
      return { ...endpointView(endpoint), ...(secret ? { secret } : {}) };
    },
  });

  app.delete('/v1/organizations/:org_id/webhooks/:endpoint_id', {
    config: { auth: { scope: 'webhooks:write' } },
    schema: {
      tags: TAGS,
      operationId: 'deleteWebhookEndpoint',
      summary: 'Delete a webhook endpoint; its queued deliveries are dropped',
      description: 'Stops all deliveries to the endpoint and removes it; pending deliveries are dropped.',
      params: EndpointParams,
      response: { 204: z.null().describe('Deleted.'), ...problems(...COMMON) },
    },
    handler: async (request, reply) => {
      await webhooks.delete(request.principal!, request.params.org_id, request.params.endpoint_id);
      return reply.code(204).send(null);
    },
  });

  app.get('/v1/organizations/:org_id/webhooks/:endpoint_id/deliveries', {
    config: { auth: { scope: 'webhooks:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listWebhookDeliveries',
      summary: "The endpoint's delivery log, newest first, with every attempt",
      description:
        'Messages sent (or to be sent) to the endpoint, newest first, each with every attempt, its HTTP status and error.',
      params: EndpointParams,
      querystring: z.object({
        status: z.enum(['pending', 'processing', 'done', 'dead']).optional(),
        page_size: PageSize,
        page_token: PageToken,
      }),
      response: {
        200: z
          .object({ deliveries: z.array(DeliverySchema), next_page_token: z.string().nullable() })
          .meta({
            id: 'WebhookDeliveryList',
            examples: [{ deliveries: [DELIVERY_EXAMPLE], next_page_token: null }],
          })
          .describe('A page of deliveries.'),
        ...problems(...COMMON),
      },
    },
    handler: async (request) => {
      const scope = { endpoint: request.params.endpoint_id, status: request.query.status };
      const before = decodePageToken(request.query.page_token, scope);
      const { deliveries, attempts } = await webhooks.deliveries(
        request.principal!,
        request.params.org_id,
        request.params.endpoint_id,
        {
          beforeId: before?.[0] as string | undefined,
          status: request.query.status,
          limit: request.query.page_size + 1,
        },
      );
      const page = deliveries.slice(0, request.query.page_size);
      return {
        deliveries: page.map((delivery) =>
          deliveryView(
            delivery,
            attempts.filter((attempt) => attempt.outboxId === delivery.id),
          ),
        ),
        next_page_token:
          deliveries.length > request.query.page_size ? encodePageToken([page.at(-1)!.id], scope) : null,
      };
    },
  });

  app.post('/v1/organizations/:org_id/webhooks/:endpoint_id/deliveries/:delivery_id/retry', {
    config: { auth: { scope: 'webhooks:write' } },
    schema: {
      tags: TAGS,
      operationId: 'retryWebhookDelivery',
      summary: 'Send a delivery again now',
      description:
        'Delivered (`done`), given up (`dead`) or still being retried (`pending`, whose automatic ' +
        'backoff may wait hours): queued for an attempt now, with a fresh attempt budget and the ' +
        'same webhook-id. 409 while an attempt is in flight.',
      params: EndpointParams.extend({ delivery_id: z.string() }),
      response: { 202: z.null().describe('Queued.'), ...problems(...COMMON, 409) },
    },
    handler: async (request, reply) => {
      await webhooks.retry(
        request.principal!,
        request.params.org_id,
        request.params.endpoint_id,
        request.params.delivery_id,
      );
      return reply.code(202).send(null);
    },
  });

  app.post('/v1/organizations/:org_id/webhooks/:endpoint_id/test', {
    config: { auth: { scope: 'webhooks:write' } },
    schema: {
      tags: TAGS,
      operationId: 'sendWebhookTest',
      summary: 'Send a test event to this endpoint',
      description:
        'Queues one `webhook.test` event to this endpoint only, signed like every delivery and ' +
        'listed in its delivery log (a disabled endpoint logs it as failed).',
      params: EndpointParams,
      response: {
        202: z
          .object({ delivery_id: z.string().describe('`msg_…`: find it in the delivery log.') })
          .meta({ examples: [{ delivery_id: 'msg_01JQ8Z6V9E1G3J5L7N9Q1S3U5W' }] })
          .describe('Queued: a signed test message goes out as a real delivery would.'),
        ...problems(...COMMON),
      },
    },
    handler: async (request, reply) => {
      const { deliveryId } = await webhooks.sendTest(
        request.principal!,
        request.params.org_id,
        request.params.endpoint_id,
      );
      return reply.code(202).send({ delivery_id: deliveryId });
    },
  });
}
