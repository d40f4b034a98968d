import { z } from 'zod';
import type { ApiKeyRecord } from '../auth/api-key.repository.ts';
import {
  ApiKeyCreateSchema,
  ApiKeyListSchema,
  ApiKeySchema,
  ApiKeyWithSecretSchema,
} from '../auth/api-key.schemas.ts';
import { type App, problems } from '../http/app-types.ts';
import { decodePageToken, PageSize, PageToken, pageOf } from '../http/pagination.ts';
import type { Services } from '../services.ts';

const TAGS = ['API keys'];

export const apiKeyView = (key: ApiKeyRecord) => ({
  id: key.id,
  name: key.name,
  hint: key.secretHint,
  scopes: key.scopes,
  create_time: key.createdAt.toISOString(),
  expire_time: key.expiresAt?.toISOString() ?? null,
  last_use_time: key.lastUsedAt?.toISOString() ?? null,
  revoke_time: key.revokedAt?.toISOString() ?? null,
});

export function apiKeyRoutes(app: App, services: Services) {
  app.post('/v1/api-keys', {
    config: { auth: { scope: 'keys:write' } },
    schema: {
      tags: TAGS,
      operationId: 'createApiKey',
      summary: 'Create an API key',
      description:
        'The secret is in this response only; rsvp keeps its hash. Use it as `Authorization: Bearer`, ' +
        '`X-API-Key`, as the Basic password with the key id as username, or at /oauth/token.',
      body: ApiKeyCreateSchema,
      response: {
        201: ApiKeyWithSecretSchema.describe('The key, with its secret shown this once.'),
        ...problems(400, 401, 403, 422),
      },
    },
    handler: async (request, reply) => {
      const { key, secret } = await services.apiKeys.create(request.principal!, request.principal!.user.id, {
        name: request.body.name,
        scopes: request.body.scopes,
        expireTime: request.body.expire_time,
      });
      reply.code(201).header('location', `/v1/api-keys/${key.id}`);
      return { ...apiKeyView(key), secret };
    },
  });

  app.get('/v1/api-keys', {
    config: { auth: { scope: 'keys:read' } },
    schema: {
      tags: TAGS,
      operationId: 'listApiKeys',
      summary: 'List my API keys',
      description:
        'Your API keys, revoked ones included, newest first. Secrets are never shown again; `hint` tells keys apart.',
      querystring: z.object({ page_size: PageSize, page_token: PageToken }),
      response: { 200: ApiKeyListSchema.describe('A page of API keys.'), ...problems(400, 401, 403) },
    },
    handler: async (request) => {
      const scope = { keys: true };
      const after = decodePageToken(request.query.page_token, scope);
      const rows = await services.apiKeys.list(request.principal!, {
        afterId: after?.[0] as string | undefined,
        limit: request.query.page_size + 1,
      });
      const page = pageOf(rows, request.query.page_size, (row) => row.id, scope);
      return { api_keys: page.items.map(apiKeyView), next_page_token: page.next_page_token };
    },
  });

  app.delete('/v1/api-keys/:key_id', {
    config: { auth: { scope: 'keys:write' } },
    schema: {
      tags: TAGS,
      operationId: 'revokeApiKey',
      summary: 'Revoke an API key',
      description: 'The key, and every access token minted from it, stops working at once.',
      params: z.object({ key_id: z.string() }),
      response: { 200: ApiKeySchema.describe('The revoked key.'), ...problems(400, 401, 403, 404, 409) },
    },
    handler: async (request) =>
      apiKeyView(await services.apiKeys.revoke(request.principal!, request.params.key_id)),
  });
}
