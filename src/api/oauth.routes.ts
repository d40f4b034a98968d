import type { FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SCOPES, type Scope } from '../access/principal.ts';
import { REALM } from '../auth/authenticator.ts';
import type { App } from '../http/app-types.ts';
import { AppError } from '../lib/errors.ts';
import type { Services } from '../services.ts';

const TokenRequestSchema = z
  .object({
    grant_type: z.string().describe('Only `client_credentials`.'),
    client_id: z.string().optional().describe('The API key id (or send it with the secret as HTTP Basic).'),
    client_secret: z.string().optional().describe('The API key secret.'),
    scope: z.string().optional().describe('Space-separated subset of the key’s scopes.'),
  })
  .meta({
    id: 'TokenRequest',
    examples: [
      {
        grant_type: 'client_credentials',
        client_id: 'key_01JQ8Z4P7T2W6Y0A4C8E2G6J9L',
        client_secret: 'rsvp_sk_4f9aT3mQ8xZ2vK7pL1wN5bR9cY6dH0jE',
        scope: 'invitations:read',
      },
    ],
  });

const TokenResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.int(),
    scope: z.string(),
  })
  .meta({
    id: 'TokenResponse',
    examples: [
      {
        access_token: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJrZXlfMDFKUThaNFA3VCJ9.c2lnbmF0dXJl',
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'invitations:read',
      },
    ],
  });

const OAuthErrorSchema = z.object({ error: z.string(), error_description: z.string().optional() }).meta({
  id: 'OAuthError',
  examples: [{ error: 'invalid_client', error_description: 'Unknown client or wrong secret.' }],
});

class OAuthError extends Error {
  readonly error: string;
  readonly status: number;
  constructor(status: number, error: string, description: string) {
    super(description);
    this.status = status;
    this.error = error;
  }
}

/** RFC 6749 §5.2 error bodies: this endpoint speaks OAuth, not problem+json. */
function sendOAuthError(reply: FastifyReply, error: unknown) {
  let failure: OAuthError;
  // Retry-After and the RateLimit headers of a counted or refused attempt go out as they are.
  if (error instanceof AppError)
    for (const [name, value] of Object.entries(error.headers))
      if (name === 'retry-after' || name.startsWith('ratelimit-')) reply.header(name, value);
  if (error instanceof OAuthError) failure = error;
  else if (error instanceof AppError && error.status === 429)
    failure = new OAuthError(429, 'slow_down', error.message);
  else if (error instanceof AppError && error.status === 401)
    failure = new OAuthError(401, 'invalid_client', error.message);
  else if (error instanceof AppError && error.status < 500)
    failure = new OAuthError(400, 'invalid_request', error.message);
  else if (hasZodFastifySchemaValidationErrors(error as Error)) {
    failure = new OAuthError(400, 'invalid_request', 'grant_type is required.');
  } else throw error;
  if (failure.status === 401) reply.header('www-authenticate', `Basic realm="${REALM}", charset="UTF-8"`);
  return reply
    .code(failure.status)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ error: failure.error, error_description: failure.message }));
}

/** The client-credentials token endpoint, at `/oauth/token` or where a dialect's clients expect it. */
export function oauthRoutes(app: App, services: Services, path = '/oauth/token') {
  app.post(path, {
    config: { auth: 'public' },
    errorHandler: (error, _request, reply) => sendOAuthError(reply, error),
    schema: {
      tags: ['OAuth'],
      operationId: 'createAccessToken',
      summary: 'Exchange an API key for an access token',
      description:
        'OAuth 2.0 client-credentials grant: the API key id is the client_id and its secret the ' +
        'client_secret (in the form body or as HTTP Basic). The token is a JWT valid for one hour and dies ' +
        'with its key.',
      body: TokenRequestSchema,
      response: {
        200: TokenResponseSchema.describe('An access token for `Authorization: Bearer`.'),
        400: OAuthErrorSchema.describe(
          'The request is not a valid client-credentials grant (RFC 6749 error).',
        ),
        401: OAuthErrorSchema.describe('Unknown client or wrong secret (RFC 6749 error).'),
        429: OAuthErrorSchema.describe('Too many failed attempts (`slow_down`); wait `Retry-After` seconds.'),
      },
    },
    handler: async (request, reply) => {
      const body = request.body;
      if (body.grant_type !== 'client_credentials') {
        throw new OAuthError(400, 'unsupported_grant_type', 'Only client_credentials is supported.');
      }
      let clientId = body.client_id;
      let clientSecret = body.client_secret;
      const authorization = request.headers.authorization;
      if (authorization?.toLowerCase().startsWith('basic ')) {
        const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        // RFC 6749 §2.3.1: both parts are form-encoded; a malformed escape is the client's error.
        try {
          clientId = decodeURIComponent(decoded.slice(0, colon));
          clientSecret = decodeURIComponent(decoded.slice(colon + 1));
        } catch {
          throw new OAuthError(401, 'invalid_client', 'The Basic credentials are not validly form-encoded.');
        }
      }
      if (!clientId || !clientSecret)
        throw new OAuthError(401, 'invalid_client', 'Client credentials are missing.');
      const principal = await services.authenticator.verifyKeyIdAndSecret(clientId, clientSecret, request.ip);
      if (body.scope) {
        const requested = body.scope.split(' ').filter(Boolean);
        const unknown = requested.filter((scope) => !(SCOPES as readonly string[]).includes(scope));
        const held = principal.scopes;
        const notHeld = held === 'all' ? [] : requested.filter((scope) => !held.has(scope as Scope));
        if (unknown.length > 0 || notHeld.length > 0) {
          throw new OAuthError(400, 'invalid_scope', `Not available: ${[...unknown, ...notHeld].join(' ')}.`);
        }
        principal.scopes = new Set(requested as Scope[]);
      }
      const { token, expiresIn, scope } = await services.authenticator.mintAccessToken(principal);
      reply.header('cache-control', 'no-store');
      return { access_token: token, token_type: 'Bearer' as const, expires_in: expiresIn, scope };
    },
  });
}
