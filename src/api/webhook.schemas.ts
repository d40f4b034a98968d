import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from '../events/event.repository.ts';
import type { AttemptRecord, DeliveryRecord, WebhookEndpointRecord } from '../webhooks/webhook.repository.ts';

/** The webhook routes' shapes (one zod schema each: validation, types and OpenAPI) and views. */
export const TAGS = ['Webhooks'];

export const EventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length)
  .describe('The events this endpoint receives.');

/** The examples the OpenAPI document shows. */
export const ENDPOINT_EXAMPLE = {
  id: 'whe_01JQ8Z8B3D5F7H9K1M3P5R7T9V',
  organization_id: 'org_01JQ8Z5M4X2B7D9F3H6K8N1Q4S',
  url: 'https://hooks.acme.com/rsvp',
  description: 'Provision accounts on acceptance',
  event_types: ['invitation.accepted', 'membership.created'],
  enabled: true,
  create_time: '2025-06-30T11:00:00.000Z',
  update_time: '2025-06-30T11:00:00.000Z',
};
export const SECRET_EXAMPLE = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
export const DELIVERY_EXAMPLE = {
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

export const WebhookEndpointSchema = z
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

export const WebhookEndpointWithSecretSchema = WebhookEndpointSchema.extend({
  secret: z
    .string()
    .describe('`whsec_…`: verify signatures with it (Standard Webhooks). Shown only now; store it.'),
}).meta({ id: 'WebhookEndpointWithSecret', examples: [{ ...ENDPOINT_EXAMPLE, secret: SECRET_EXAMPLE }] });

export const EndpointCreateSchema = z
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

export const EndpointUpdateSchema = z
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

export const AttemptSchema = z.object({
  id: z.string(),
  status_code: z.number().nullable().describe("The receiver's HTTP status; null when no answer came."),
  error: z.string().nullable(),
  duration_ms: z.number(),
  create_time: z.iso.datetime(),
});

export const DeliverySchema = z
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

export const EndpointParams = z.object({ org_id: z.string(), endpoint_id: z.string() });

export function endpointView(endpoint: WebhookEndpointRecord, counts?: Record<string, number>) {
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

export function deliveryView(delivery: DeliveryRecord, attempts: AttemptRecord[]) {
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
