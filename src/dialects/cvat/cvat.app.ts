import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { unauthenticated } from '../../auth/authenticator.ts';
import type { App } from '../../http/app-types.ts';
import { registerMultipartFields } from '../../http/multipart.ts';
import type { Clock } from '../../lib/clock.ts';
import { AppError, ValidationError } from '../../lib/errors.ts';
import { constantTimeEqual } from '../../lib/secrets.ts';
import type { Services } from '../../services.ts';
import { BrowserSessions, parseCookies } from '../../web/browser-session.ts';
import { createDialectApp, type DialectOptions } from '../dialect-app.ts';
import { CVAT_DOCUMENT } from './cvat.document.ts';
import { CvatError, detail } from './cvat.mapping.ts';
import { cvatRoutes } from './cvat.routes.ts';

const CONTENT_TYPE = 'application/vnd.cvat+json';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** DRF's shapes: the body a CvatError carries, `{field: [messages]}` for bad input, `{detail}` otherwise. */
function errorBody(error: AppError) {
  if (error instanceof CvatError) return error.body;
  if (error instanceof ValidationError) {
    const fields: Record<string, string[]> = {};
    for (const item of error.errors) {
      const field = item.pointer.split('/').filter(Boolean).slice(1).join('.') || 'non_field_errors';
      fields[field] = [...(fields[field] ?? []), item.detail];
    }
    return fields;
  }
  if (error.status === 401) return { detail: 'Authentication credentials were not provided.' };
  return { detail: error.message };
}

const LoginBody = z.object({
  username: z.string().max(320).optional(),
  email: z.string().max(320).optional(),
  password: z.string().max(256),
});

/**
 * CVAT's invitation API, root-mounted. Credentials: `Authorization: Token <key>` (an rsvp API key
 * or access token), HTTP Basic, or the `sessionid` cookie from `/api/auth/login`, which needs
 * the `csrftoken` cookie echoed in `X-CSRFToken` on unsafe methods.
 */
export function buildCvatApp(
  services: Services,
  /** `listenerUrl`: this listener's public URL, the base of every absolute link it answers. */
  deps: { keyMac: Buffer; sessionKey: Buffer; clock: Clock; publicUrl: string; listenerUrl: string },
  options: DialectOptions = {},
): App {
  const sessions = new BrowserSessions({
    key: deps.sessionKey,
    store: services.sessions,
    publicUrl: deps.publicUrl,
    sessionCookie: 'sessionid',
  });
  const app = createDialectApp({
    ...options,
    document: CVAT_DOCUMENT,
    errorBody,
    errorContentType: CONTENT_TYPE,
    async authenticate(request: FastifyRequest) {
      const authorization = request.headers.authorization?.trim();
      if (authorization) {
        const token = /^token\s+(\S+)$/i.exec(authorization);
        request.principal = await services.authenticator.authenticate({
          authorization: token ? `Bearer ${token[1]}` : authorization,
          clientIp: request.ip,
        });
      } else {
        const userId = await sessions.read(request);
        if (userId) {
          if (!SAFE_METHODS.has(request.method)) {
            const cookie = parseCookies(request.headers.cookie).get('csrftoken');
            const header = request.headers['x-csrftoken'];
            if (!cookie || typeof header !== 'string' || !constantTimeEqual(cookie, header)) {
              throw detail(403, 'CSRF Failed: CSRF token missing or incorrect.');
            }
          }
          request.principal = await services.authenticator.sessionPrincipal(userId);
        }
      }
      if (!request.principal) throw unauthenticated('Authentication credentials were not provided.');
    },
  });
  registerMultipartFields(app);
  app.addHook('onSend', async (request, reply, payload) => {
    const type = reply.getHeader('content-type');
    // The OpenAPI document is not a CVAT body: it stays application/json.
    if (request.routeOptions.url === '/openapi.json') return payload;
    if (typeof type === 'string' && type.startsWith('application/json')) reply.type(CONTENT_TYPE);
    return payload;
  });

  // Inside a plugin, so that the listener's OpenAPI document (registered first) sees them.
  app.register((scoped, _options, done) => {
    authRoutes(scoped as App, services, sessions);
    done();
  });
  app.register((scoped, _options, done) => {
    cvatRoutes(scoped as App, services, { keyMac: deps.keyMac, listenerUrl: deps.listenerUrl });
    done();
  });
  return app;
}

/** CVAT's session sign-in and sign-out. */
function authRoutes(app: App, services: Services, sessions: BrowserSessions) {
  app.post('/api/auth/login', {
    config: { auth: 'public' },
    schema: { body: LoginBody },
    handler: async (request, reply) => {
      const login = request.body.email ?? request.body.username;
      if (!login) throw new CvatError(400, { non_field_errors: ['Must include "username" and "password".'] });
      const principal = await services.authenticator
        .signInWithPassword(login, request.body.password, request.ip)
        .catch((error: unknown) => {
          if (!(error instanceof AppError) || error.status !== 401) throw error;
          for (const [name, value] of Object.entries(error.headers))
            if (name.startsWith('ratelimit-')) reply.header(name, value);
          throw new CvatError(400, { non_field_errors: ['Unable to log in with provided credentials.'] });
        });
      await sessions.create(request, reply, principal.user.id);
      reply.header(
        'set-cookie',
        `csrftoken=${randomBytes(24).toString('base64url')}; Path=/; SameSite=Lax; Max-Age=31449600`,
      );
      const { token } = await services.authenticator.mintAccessToken(principal);
      return { key: token };
    },
  });

  app.post('/api/auth/logout', {
    config: { auth: 'public' },
    handler: async (request, reply) => {
      await sessions.end(request, reply);
      return { detail: 'Successfully logged out.' };
    },
  });
}
