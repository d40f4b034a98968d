import { z } from 'zod';
import { type App, COMMON, problems } from '../http/app-types.ts';
import { decodePageToken, encodePageToken, PageSize, PageToken } from '../http/pagination.ts';
import type { Services } from '../services.ts';

import {
  DELIVERY_EXAMPLE,
  DeliverySchema,
  deliveryView,
  ENDPOINT_EXAMPLE,
  EndpointCreateSchema,
  EndpointParams,
  EndpointUpdateSchema,
  endpointView,
  SECRET_EXAMPLE,
  TAGS,
  WebhookEndpointSchema,
  WebhookEndpointWithSecretSchema,
} from './webhook.schemas.ts';

export function webhookRoutes(app: App, services: Services) {
  registerCreate(app, services.webhooks);
  registerList(app, services.webhooks);
  registerGet(app, services.webhooks);
  registerUpdate(app, services.webhooks);
  registerDelete(app, services.webhooks);
  registerDeliveries(app, services.webhooks);
  registerRetry(app, services.webhooks);
  registerTestEvent(app, services.webhooks);
}

function registerCreate(app: App, webhooks: Services['webhooks']) {
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
}

function registerList(app: App, webhooks: Services['webhooks']) {
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
}

function registerGet(app: App, webhooks: Services['webhooks']) {
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
}

function registerUpdate(app: App, webhooks: Services['webhooks']) {
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
}

function registerDelete(app: App, webhooks: Services['webhooks']) {
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
}

function registerDeliveries(app: App, webhooks: Services['webhooks']) {
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
}

function registerRetry(app: App, webhooks: Services['webhooks']) {
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
}

function registerTestEvent(app: App, webhooks: Services['webhooks']) {
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
