import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { hasScope } from './access/principal.ts';
import { apiKeyRoutes } from './api/api-key.routes.ts';
import { eventRoutes } from './api/event.routes.ts';
import { Metrics, metricsRoutes } from './api/metrics.ts';
import { oauthRoutes } from './api/oauth.routes.ts';
import { unauthenticated } from './auth/authenticator.ts';
import { countEventsByType } from './events/event-counts.ts';
import { AllowedMethods, requestIdFor } from './http/allowed-methods.ts';
import type { App } from './http/app-types.ts';
import { registerContentTypes } from './http/content-types.ts';
import { healthRoutes } from './http/health.routes.ts';
import { checkHostHeader } from './http/host.ts';
import { registerIdempotency } from './http/idempotency.ts';
import { redactUrl } from './http/log-redaction.ts';
import { logFailure, sendProblem, toAppError } from './http/problem.ts';
import { requestScoped, runInRequestScope } from './http/request-transaction.ts';
import { declareRoute, insufficientScope } from './http/route-auth.ts';
import { secureRequest } from './http/security-headers.ts';
import { serializerCompiler } from './http/serializer.ts';
import { addressBucket } from './lib/client-address.ts';
import './http/types.ts';
import { emailTemplateRoutes } from './api/email-template.routes.ts';
import { invitationRoutes } from './api/invitation.routes.ts';
import { joiningRoutes } from './api/joining.routes.ts';
import { membershipRoutes } from './api/membership.routes.ts';
import { organizationRoutes } from './api/organization.routes.ts';
import { resourceRoutes } from './api/resource.routes.ts';
import { sessionRoutes } from './api/session.routes.ts';
import { userRoutes } from './api/user.routes.ts';
import { webhookRoutes } from './api/webhook.routes.ts';
import { tooManyRequests } from './lib/rate-limiter.ts';
import { documentTransform, nativeDocument, routeTransform } from './openapi/document.ts';
import { referencePageRoutes } from './openapi/reference-page.ts';
import { createServices, type Deps, type Services } from './services.ts';
import { BrowserSessions } from './web/browser-session.ts';
import { consoleRoutes } from './web/console.routes.ts';
import { devMailboxRoutes, MAILBOX_SESSION_COOKIE } from './web/dev-mailbox.routes.ts';
import { inviteeRoutes } from './web/invitee.routes.ts';
import { joinPageRoutes } from './web/join.routes.ts';
import { registerPageErrors } from './web/page-errors.ts';
import { CSRF_HEADER, sessionPrincipal, sessionRequired } from './web/session-auth.ts';
import { signUpRoutes } from './web/sign-up.routes.ts';

export interface AppOptions {
  logger?: FastifyServerOptions['logger'];
  bodyLimit?: number;
  trustProxy?: string | undefined;
  /** Serve the capture transport's mailbox at /dev/mailbox (when no SMTP is configured). */
  devMailbox?: boolean;
  /** Bearer token a Prometheus scraper sends to read /metrics; instance admins may always. */
  metricsToken?: string | undefined;
  /** The registry /metrics serves; pass one to share it with the outbox worker's counters. */
  metrics?: Metrics;
}

/** Paths of the API proper: auth declared on every route, never cached, never framed. */
const isApiPath = (url: string) => url.startsWith('/v1') || url.startsWith('/oauth');

/** Log options: credentials never reach the log, not in headers and not in query strings. */
export function loggerOptions(level: string) {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method: string; url: string; id: string }) {
        return {
          method: request.method,
          url: redactUrl(request.url),
          id: request.id,
        };
      },
    },
  };
}

/** The Fastify app without listening: tests inject into it, main.ts listens. */
export async function buildApp(
  deps: Deps,
  options: AppOptions = {},
): Promise<{ app: App; services: Services }> {
  // Services see the request's own transaction when it has one (idempotent requests).
  const unscoped = deps.database;
  deps = { ...deps, database: requestScoped(unscoped) };
  const services = createServices(deps);
  const app = createFastify(options);

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  app.decorateRequest('idempotency', undefined);
  registerContentTypes(app);
  // First hook: everything after it in the request can join the request's transaction.
  // It also sets the security headers, so that every answer has them, errors and 404s included.
  app.addHook('onRequest', (request, reply, done) => {
    const refused = secureRequest(request, reply);
    if (refused) return done(refused);
    runInRequestScope(done);
  });

  // One browser session for the invitee pages, the console and the native API's session auth.
  const sessions = new BrowserSessions({
    key: deps.keys.sessionSigning,
    store: services.sessions,
    publicUrl: deps.publicUrl,
  });

  const allowed = new AllowedMethods();
  // Default-deny: a route that does not declare 'public' or its scope is refused at startup.
  app.addHook('onRoute', (route) => {
    allowed.add(route.method, route.url);
    declareRoute(app, route);
  });

  registerAuthentication(app as App, services, sessions, deps.publicUrl);

  registerIdempotency(app, { ...deps, database: unscoped });
  const metrics = options.metrics ?? new Metrics();
  metrics.register(app);

  app.setErrorHandler((error, request, reply) => {
    const problem = toAppError(error);
    logFailure(request, problem, error);
    return sendProblem(request, reply, problem);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, allowed.noRoute(request.method, request.url)),
  );

  await app.register(fastifySwagger, {
    openapi: nativeDocument(deps.publicUrl),
    transform: routeTransform,
    transformObject: documentTransform,
  });

  await app.register((scoped, _options, done) => {
    nativeApiRoutes(scoped.withTypeProvider<ZodTypeProvider>() as App, services, {
      deps,
      options,
      sessions,
      metrics,
    });
    done();
  });
  await app.register((scoped, _options, done) => {
    browserPages(scoped.withTypeProvider<ZodTypeProvider>() as App, services, { deps, options, sessions });
    done();
  });

  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
  referencePageRoutes(app as App, { title: 'rsvp API reference' });
  return { app: app as App, services };
}

function createFastify(options: AppOptions) {
  return Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 2 * 1024 * 1024,
    trustProxy: options.trustProxy ? options.trustProxy.split(',').map((s) => s.trim()) : false,
    requestIdHeader: false,
    genReqId: requestIdFor,
    routerOptions: { maxParamLength: 200 },
    // A URL the router cannot decode (`/v1/%c0`) is refused before any hook: as problem+json too.
    frameworkErrors: (error, request, reply) =>
      sendProblem(request, reply.header('x-request-id', request.id), toAppError(error)),
  }).withTypeProvider<ZodTypeProvider>();
}

interface SurfaceContext {
  deps: Deps;
  options: AppOptions;
  sessions: BrowserSessions;
}

/**
 * Authentication on every route that declares a scope: an API key, Basic, a bearer token, or
 * the browser session (with the CSRF check on changes); then the scope. Public API routes are
 * limited per client address instead.
 */
function registerAuthentication(app: App, services: Services, sessions: BrowserSessions, publicUrl: string) {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    checkHostHeader(request);
    const auth = request.routeOptions.config.auth;
    if (isApiPath(request.url)) {
      reply.header('cache-control', 'no-store');
      reply.header('content-security-policy', "frame-ancestors 'none'");
    }
    if (auth === 'public' && isApiPath(request.url)) {
      // Unauthenticated calls are keyed by client address, which honours only trusted proxies.
      const rule = services.abuseLimits.perClientAddress;
      const decision = await services.rateLimiter.consume(`ip:${addressBucket(request.ip)}`, rule);
      if (!decision.allowed) throw tooManyRequests(decision, rule, 'Too many requests from your address.');
    }
    if (auth === undefined || auth === 'public') return;
    const apiKey = request.headers['x-api-key'];
    request.principal =
      (await services.authenticator.authenticate({
        authorization: request.headers.authorization,
        apiKey: typeof apiKey === 'string' ? apiKey : undefined,
        clientIp: request.ip,
      })) ??
      (await sessionPrincipal(request, {
        sessions,
        authenticator: services.authenticator,
        publicUrl,
      }));
    if (!request.principal) {
      if (request.headers[CSRF_HEADER] !== undefined) throw sessionRequired();
      throw unauthenticated('Send an API key, Basic credentials, a bearer token or a session cookie.');
    }
    request.principal.client = {
      ip: request.ip,
      userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
    };
    if (!hasScope(request.principal, auth.scope)) throw insufficientScope(auth.scope);
  });
}

/** The native API (`/v1`, `/oauth`, health and metrics), each route taking the services it needs. */
function nativeApiRoutes(
  app: App,
  services: Services,
  { deps, options, sessions, metrics }: SurfaceContext & { metrics: Metrics },
) {
  organizationRoutes(app, services);
  membershipRoutes(app, services);
  userRoutes(app, services);
  resourceRoutes(app, services);
  invitationRoutes(app, services);
  apiKeyRoutes(app, services);
  eventRoutes(app, services);
  oauthRoutes(app, services);
  healthRoutes(app, deps.database, services.rateLimiter, deps.clock);
  webhookRoutes(app, services);
  joiningRoutes(app, services);
  sessionRoutes(app, services, { sessions, publicUrl: deps.publicUrl });
  emailTemplateRoutes(app, services);
  metricsRoutes(app, {
    metrics,
    database: deps.database,
    clock: deps.clock,
    services,
    token: options.metricsToken,
    countEvents: countEventsByType,
  });
}

/** The server-rendered pages and the console: invitee and join pages, the dev mailbox when on. */
function browserPages(app: App, services: Services, { deps, options, sessions }: SurfaceContext) {
  registerPageErrors(app);
  consoleRoutes(app);
  inviteeRoutes(app, services, {
    database: deps.database,
    clock: deps.clock,
    sessions,
    publicUrl: deps.publicUrl,
  });
  joinPageRoutes(app, services, {
    database: deps.database,
    sessions,
    publicUrl: deps.publicUrl,
  });
  signUpRoutes(app, services, { sessions, publicUrl: deps.publicUrl });
  if (options.devMailbox) {
    devMailboxRoutes(app, services, {
      database: deps.database,
      sessions: new BrowserSessions({
        key: deps.keys.sessionSigning,
        store: services.sessions,
        publicUrl: deps.publicUrl,
        sessionCookie: MAILBOX_SESSION_COOKIE,
      }),
      publicUrl: deps.publicUrl,
    });
  }
}
