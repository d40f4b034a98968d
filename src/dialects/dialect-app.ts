import Fastify, {
  type FastifyBaseLogger,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { hasScope } from '../access/principal.ts';
import { AllowedMethods, requestIdFor } from '../http/allowed-methods.ts';
import type { App } from '../http/app-types.ts';
import { registerContentTypes } from '../http/content-types.ts';
import { checkHostHeader } from '../http/host.ts';
import { logFailure, toAppError } from '../http/problem.ts';
import { declareRoute, insufficientScope } from '../http/route-auth.ts';
import { registerSecurityHeaders } from '../http/security-headers.ts';
import '../http/types.ts';
import type { AppError } from '../lib/errors.ts';
import { type DialectDocument, registerDialectDocument } from '../openapi/dialect.ts';

export interface DialectOptions {
  logger?: FastifyServerOptions['logger'];
  /** A logger to share (the main app's child), instead of `logger` options. */
  loggerInstance?: FastifyBaseLogger;
  bodyLimit?: number;
  trustProxy?: string | undefined;
}

/**
 * A Fastify app for one foreign wire format: same content-type policy, request ids, default-deny
 * auth declarations and logging as the native API, but errors in the dialect's own body.
 */
export function createDialectApp(
  options: DialectOptions & {
    /** The dialect's error body for a failure. */
    errorBody: (error: AppError, request: FastifyRequest) => unknown;
    /** Content type of error bodies; JSON by default. */
    errorContentType?: string;
    /** Authenticates a request whose route is not public; sets `request.principal` or throws. */
    authenticate: (request: FastifyRequest) => Promise<void>;
    /** The listener's own OpenAPI document (GET /openapi.json) and reference (/docs). */
    document: DialectDocument;
  },
): App {
  const app = Fastify({
    ...(options.loggerInstance
      ? { loggerInstance: options.loggerInstance }
      : { logger: options.logger ?? false }),
    bodyLimit: options.bodyLimit ?? 2 * 1024 * 1024,
    trustProxy: options.trustProxy ? options.trustProxy.split(',').map((s) => s.trim()) : false,
    requestIdHeader: false,
    genReqId: requestIdFor,
    routerOptions: { maxParamLength: 500 },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  registerContentTypes(app);
  registerSecurityHeaders(app);

  const allowed = new AllowedMethods();
  // Default-deny: a route that does not declare 'public' or its scope is refused at startup.
  app.addHook('onRoute', (route) => {
    allowed.add(route.method, route.url);
    declareRoute(app, route);
  });
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    checkHostHeader(request);
    reply.header('cache-control', 'no-store');
    const auth = request.routeOptions.config.auth;
    if (auth === undefined || auth === 'public') return;
    await options.authenticate(request);
    // `authenticate` sets a principal or throws; no principal here is a bug, never a pass.
    if (!request.principal) throw new Error('dialect authenticate() returned without a principal');
    if (!hasScope(request.principal, auth.scope)) throw insufficientScope(auth.scope);
    request.principal.client = {
      ip: request.ip,
      userAgent: request.headers['user-agent']?.slice(0, 512) ?? null,
    };
  });

  const send = (request: FastifyRequest, reply: FastifyReply, error: AppError) => {
    for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
    return reply
      .code(error.status)
      .type(options.errorContentType ?? 'application/json')
      .send(JSON.stringify(options.errorBody(error, request)));
  };
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    logFailure(request, appError, error);
    return send(request, reply, appError);
  });
  app.setNotFoundHandler((request, reply) =>
    send(request, reply, allowed.noRoute(request.method, request.url)),
  );
  registerDialectDocument(app as App, options.document);
  return app as App;
}
