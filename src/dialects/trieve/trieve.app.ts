import type { FastifyRequest } from 'fastify';
import type { App } from '../../http/app-types.ts';
import { type AppError, ValidationError } from '../../lib/errors.ts';
import type { Services } from '../../services.ts';
import { createDialectApp, type DialectOptions } from '../dialect-app.ts';
import { TRIEVE_DOCUMENT } from './trieve.document.ts';
import { trieveError, trieveRoutes } from './trieve.routes.ts';

/** `{message}`, worded as Trieve words its errors. */
function errorBody(error: AppError) {
  if (error instanceof ValidationError) {
    const detail = error.errors.map(
      (item) => `${item.pointer.replace(/^\/body\/?/, '') || 'body'}: ${item.detail}`,
    );
    return { message: `Json Deserialization Error: ${detail.join(' | ')}` };
  }
  if (error.code === 'malformed_json') return { message: `Json Deserialization Error: ${error.message}` };
  if (error.status === 401) return { message: 'Unauthorized' };
  return { message: error.message };
}

/**
 * Trieve's invitation API, root-mounted (it shares `/api/invitations/…` with CVAT, so it has a
 * listener of its own). The API key goes in `Authorization` (bare or `Bearer`) or `x-api-key`;
 * the organization in `TR-Organization`.
 */
export function buildTrieveApp(
  services: Services,
  deps: { publicUrl: string },
  options: DialectOptions = {},
): App {
  const app = createDialectApp({
    ...options,
    document: TRIEVE_DOCUMENT,
    errorBody,
    async authenticate(request: FastifyRequest) {
      const authorization = request.headers.authorization?.trim();
      const apiKey = request.headers['x-api-key'];
      // Trieve accepts the bare key in Authorization as well as `Bearer <key>`.
      const bare = authorization && !/^(bearer|basic)\s/i.test(authorization) ? authorization : undefined;
      request.principal = await services.authenticator.authenticate({
        authorization: bare ? undefined : authorization,
        apiKey: bare ?? (typeof apiKey === 'string' && apiKey ? apiKey : undefined),
        clientIp: request.ip,
      });
      if (!request.principal) throw trieveError(401, 'Unauthorized');
    },
  });
  // Inside a plugin, so that the listener's OpenAPI document (registered first) sees them.
  app.register((scoped, _options, done) => {
    trieveRoutes(scoped as App, services, { publicOrigin: new URL(deps.publicUrl).origin });
    done();
  });
  return app;
}
