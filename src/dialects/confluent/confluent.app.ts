import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { principalId } from '../../access/principal.ts';
import { oauthRoutes } from '../../api/oauth.routes.ts';
import { unauthenticated } from '../../auth/authenticator.ts';
import type { App } from '../../http/app-types.ts';
import { type AppError, ValidationError } from '../../lib/errors.ts';
import { type RateDecision, tooManyRequests } from '../../lib/rate-limiter.ts';
import type { Services } from '../../services.ts';
import { createDialectApp, type DialectOptions } from '../dialect-app.ts';
import { CONFLUENT_DOCUMENT } from './confluent.document.ts';
import { confluentRoutes } from './confluent.routes.ts';
import { confluentUserRoutes } from './confluent-users.routes.ts';

/** Confluent's error `code`s, by HTTP status, where rsvp's own code has no closer match. */
const CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'user_unauthenticated',
  402: 'quota_exceeded',
  403: 'user_unauthorized',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'resource_already_exists',
  410: 'gone',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_configuration',
  429: 'rate_limit_exceeded',
};

/**
 * Where a validation error points: into the body (`pointer`, a JSON Pointer), or at a query or
 * path parameter by name (`parameter`), as Confluent's `Failure.source` does.
 */
function sourceOf(pointer: string): { pointer: string } | { parameter: string } {
  const parameter = /^\/(?:querystring|params)\/([^/]+)/.exec(pointer);
  if (parameter) return { parameter: parameter[1]! };
  return { pointer: pointer.replace(/^\/body/, '') || '/' };
}

/** `{errors: [{id, status, code, title, detail, source}]}`: Confluent's Failure; `id` a UUID. */
function failure(error: AppError) {
  const pointers = error instanceof ValidationError ? error.errors.map((item) => sourceOf(item.pointer)) : [];
  const source =
    pointers[0] ??
    (typeof error.extras.parameter === 'string'
      ? { parameter: error.extras.parameter }
      : error.code === 'invalid_email'
        ? { pointer: '/email' }
        : undefined);
  const code =
    error.status === 422 ? 'invalid_configuration' : (CODES[error.status] ?? 'internal_server_error');
  return {
    errors: [
      {
        id: randomUUID(),
        status: String(error.status),
        code:
          error.code === 'resource_already_exists' || error.code === 'invalid_page_token' ? error.code : code,
        title: error.title,
        detail: error.message,
        ...(source ? { source } : {}),
      },
    ],
  };
}

declare module 'fastify' {
  interface FastifyRequest {
    rateDecision?: RateDecision;
  }
}

/**
 * Confluent Cloud IAM v2 invitations, root-mounted. Credentials: HTTP Basic with an API key's id
 * and secret, or a bearer token from `/sts/v1/oauth2/token` (client credentials). Every
 * authenticated request counts against the caller's quota, reported in `X-RateLimit-*`.
 */
export function buildConfluentApp(
  services: Services,
  /** `listenerUrl`: this listener's public URL, the base of every absolute link it answers. */
  deps: { pageTokenKey: Buffer; listenerUrl: string },
  options: DialectOptions = {},
): App {
  const rule = services.abuseLimits.perPrincipal;
  const app = createDialectApp({
    ...options,
    document: CONFLUENT_DOCUMENT,
    errorBody: (error) => failure(error),
    async authenticate(request: FastifyRequest) {
      const hadCredentials = Boolean(request.headers.authorization);
      try {
        request.principal = await services.authenticator.authenticate({
          authorization: request.headers.authorization,
          clientIp: request.ip,
        });
      } catch (error) {
        if ((error as AppError).status === 401)
          (error as AppError).headers['www-authenticate'] =
            'Basic error="invalid_key", error_description="The API Key is invalid"';
        throw error;
      }
      if (!request.principal) {
        const error = unauthenticated(
          hadCredentials ? 'The API Key is invalid.' : 'Send an API key as HTTP Basic, or a bearer token.',
        );
        error.headers['www-authenticate'] = 'Basic realm="Confluent Cloud"';
        throw error;
      }
      const decision = await services.rateLimiter.consume(
        `principal:${principalId(request.principal)}`,
        rule,
      );
      request.rateDecision = decision;
      if (!decision.allowed)
        throw tooManyRequests(decision, rule, 'Too many requests; retry after the window resets.');
    },
  });
  app.addHook('onSend', async (request, reply) => {
    const decision = request.rateDecision;
    const status = reply.statusCode;
    if (!decision || !((status >= 200 && status < 300) || status === 429)) return;
    reply.header('x-ratelimit-limit', String(decision.limit));
    reply.header('x-ratelimit-remaining', String(decision.remaining));
    reply.header('x-ratelimit-reset', String(decision.resetSeconds));
    if (status === 429) reply.header('retry-after', String(decision.resetSeconds));
  });
  // Inside a plugin, so that the listener's OpenAPI document (registered first) sees them.
  app.register((scoped, _options, done) => {
    oauthRoutes(scoped as App, services, '/sts/v1/oauth2/token');
    confluentRoutes(scoped as App, services, deps);
    confluentUserRoutes(scoped as App, services, deps);
    done();
  });
  return app;
}
