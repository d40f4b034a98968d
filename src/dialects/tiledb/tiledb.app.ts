import { unauthenticated } from '../../auth/authenticator.ts';
import type { App } from '../../http/app-types.ts';
import type { Services } from '../../services.ts';
import { createDialectApp, type DialectOptions } from '../dialect-app.ts';
import { TILEDB_DOCUMENT } from './tiledb.document.ts';
import { tiledbErrorBody } from './tiledb.errors.ts';
import { tiledbV1Routes } from './tiledb-v1.routes.ts';
import { tiledbV4Routes } from './tiledb-v4.routes.ts';

/**
 * TileDB Cloud's invitation APIs, v1 and v4 side by side, root-mounted: TileDB's JavaScript
 * client resets its base path to the origin after the first response, so no prefix survives.
 * Credentials: `X-TILEDB-REST-API-KEY`, HTTP Basic, or a bearer token.
 */
export function buildTiledbApp(services: Services, options: DialectOptions = {}): App {
  const app = createDialectApp({
    ...options,
    document: TILEDB_DOCUMENT,
    errorBody: (error, request) =>
      tiledbErrorBody(error, request, request.url.startsWith('/v4/') ? 'v4' : 'v1'),
    async authenticate(request) {
      const apiKey = request.headers['x-tiledb-rest-api-key'];
      request.principal = await services.authenticator.authenticate({
        authorization: request.headers.authorization,
        apiKey: typeof apiKey === 'string' && apiKey !== '' ? apiKey : undefined,
        clientIp: request.ip,
      });
      if (!request.principal) {
        throw unauthenticated('Send X-TILEDB-REST-API-KEY, Basic credentials or a bearer token.');
      }
    },
  });
  // Inside a plugin, so that the listener's OpenAPI document (registered first) sees them.
  app.register((scoped, _options, done) => {
    tiledbV1Routes(scoped as App, services);
    tiledbV4Routes(scoped as App, services);
    done();
  });
  return app;
}
