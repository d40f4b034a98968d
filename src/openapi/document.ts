import type {
  FastifyDynamicSwaggerOptions,
  SwaggerTransform,
  SwaggerTransformObject,
} from '@fastify/swagger';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { addSharedBehaviour, HEADERS, IDEMPOTENCY_KEY_PARAMETER, RESPONSES } from './problems.ts';
import { webhookDocument } from './webhooks.ts';

export const API_VERSION = '1.0.0';

/** The sections of the reference, in reading order. */
export const TAGS = [
  {
    name: 'Organizations',
    description:
      'The tenant: members with roles, resources, invitations, webhooks. Referenced by id (`org_…`) or slug.',
  },
  { name: 'Members', description: 'Who belongs to an organization, and with which role.' },
  {
    name: 'Invitations',
    description:
      'Invite an email address into an organization (with a role) or onto a resource (with actions); list, change, resend and revoke.',
  },
  {
    name: 'Invitee',
    description:
      'The invited person’s side: preview an invitation from its link token, accept or decline it, list your own.',
  },
  {
    name: 'Join links',
    description:
      'Shareable links that let people join without a personal invitation, with or without approval.',
  },
  { name: 'Join requests', description: 'Joins waiting for an admin, and the decisions on them.' },
  {
    name: 'Domains',
    description:
      'Verified email domains whose people may join (offered or automatically), and your suggestions.',
  },
  { name: 'Resources', description: 'Things inside an organization that people can be granted actions on.' },
  { name: 'Users', description: 'Accounts, and who you are.' },
  { name: 'API keys', description: 'Keys for programs, each limited to the scopes it was given.' },
  { name: 'OAuth', description: 'Trade credentials for a short-lived access token.' },
  {
    name: 'Sessions',
    description: 'Browser sign-in for the admin console: a session cookie and its CSRF token.',
  },
  {
    name: 'Email templates',
    description: 'An organization’s own invitation emails (Liquid) per locale, and its branding.',
  },
  {
    name: 'Webhooks',
    description:
      'Endpoints that receive signed event messages (Standard Webhooks), their deliveries, and the messages themselves.',
  },
  { name: 'Events', description: 'The audit trail: every invitation transition and administrative action.' },
  { name: 'Operations', description: 'Liveness, readiness and metrics, for load balancers and monitoring.' },
];

const DESCRIPTION = [
  'Invitations into organizations (with a role) and onto shared resources (with actions).',
  '',
  '**Authentication.** Send an API key (`Authorization: Bearer rsvp_sk_…` or `X-API-Key`), Basic',
  'credentials, or an access token from `POST /oauth/token`. Each operation names the scope it needs',
  '(`x-required-scope`); a few are public.',
  '',
  '**Errors** are RFC 9457 `application/problem+json` with a stable `code` (listed in the `Problem` schema)',
  'and the `request_id` that the `X-Request-Id` header also carries.',
  '',
  '**Retries.** Every POST and PATCH honours `Idempotency-Key`. 429 and 503 answers carry `Retry-After`;',
  'throttled answers carry the `RateLimit-*` headers.',
].join('\n');

/** Document-level parts of the native API's OpenAPI document. */
export function nativeDocument(publicUrl: string): NonNullable<FastifyDynamicSwaggerOptions['openapi']> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'rsvp API',
      version: API_VERSION,
      description: DESCRIPTION,
      contact: { name: 'The operators of this rsvp instance', url: `${publicUrl.replace(/\/$/, '')}/docs` },
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative: the instance that serves this document (and /docs) is the one it describes.
    servers: [{ url: '/', description: 'The rsvp instance serving this document' }],
    tags: TAGS,
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key (`rsvp_sk_…`) or an access token from `POST /oauth/token`.',
        },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key (`rsvp_sk_…`).' },
        basic: {
          type: 'http',
          scheme: 'basic',
          description: 'Email or username and password, or an API key’s id and secret.',
        },
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }, { basic: [] }],
  };
}

type Auth = 'public' | { scope: string } | undefined;

/**
 * Per route: zod to JSON Schema, then the route's auth declaration in the document: public
 * routes need no credentials (`security: []`), the others name their scope.
 */
export const routeTransform: SwaggerTransform = (input) => {
  const { schema = {}, url } = jsonSchemaTransform(input as Parameters<typeof jsonSchemaTransform>[0]);
  const config = input.route.config as { auth?: Auth; responseHeaders?: unknown } | undefined;
  const auth = config?.auth;
  if (!auth || schema.hide) return { schema, url };
  return {
    url,
    schema: {
      ...schema,
      // Public unless the route names the credentials it checks itself (/metrics).
      ...(auth === 'public' && !schema.security ? { security: [] } : {}),
      'x-required-scope': auth === 'public' ? 'public' : auth.scope,
      ...(config.responseHeaders ? { 'x-response-headers': config.responseHeaders } : {}),
      ...requestExamples(input.schema?.body),
      ...(acceptsNoBody(input.schema?.body) ? { 'x-optional-body': true } : {}),
    } as typeof schema,
  };
};

/**
 * The body schema's examples, carried to the request body: zod leaves `examples` out of the input
 * JSON Schema of anything that transforms (a trimmed, lower-cased domain list, say).
 */
function requestExamples(body: unknown): { 'x-request-examples'?: unknown[] } {
  if (!(body instanceof z.ZodType)) return {};
  const examples = z.globalRegistry.get(unwrapped(body))?.examples;
  return Array.isArray(examples) && examples.length > 0 ? { 'x-request-examples': examples } : {};
}

/** The schema inside `optionalBody(…)` (nullish), which carries the examples. */
function unwrapped(schema: z.ZodType): z.ZodType {
  let inner = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable)
    inner = inner.unwrap() as z.ZodType;
  return inner;
}

/** A body declared with `optionalBody`: the request may have none. */
function acceptsNoBody(body: unknown): boolean {
  return body instanceof z.ZodType && unwrapped(body) !== body;
}

/** Paths whose unauthenticated calls are counted per client address (app.ts, `isApiPath`). */
const isThrottledPath = (path: string) => path.startsWith('/v1') || path.startsWith('/oauth');

type Document = {
  paths?: Record<string, Record<string, Record<string, unknown>>>;
  components?: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
};

/**
 * The whole document: zod's component schemas, the shared behaviour on every operation,
 * webhooks, and no component that nothing references.
 */
export const documentTransform: SwaggerTransformObject = (input) => {
  const document = jsonSchemaTransformObject(input) as Document;
  const webhooks = webhookDocument();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, operation] of Object.entries(item)) {
      const auth = operation['x-required-scope'];
      if (auth === 'public') delete operation['x-required-scope'];
      addSharedBehaviour(
        path,
        method,
        operation as Parameters<typeof addSharedBehaviour>[2],
        auth === 'public' ? 'public' : String(auth),
        isThrottledPath(path),
      );
    }
  }
  const components = document.components ?? {};
  components.schemas = { ...components.schemas, ...webhooks.schemas };
  components.responses = RESPONSES;
  components.parameters = { IdempotencyKey: IDEMPOTENCY_KEY_PARAMETER };
  components.headers = HEADERS;
  document.webhooks = webhooks.webhooks;
  document.components = components;
  return withoutUnusedSchemas(document) as ReturnType<SwaggerTransformObject>;
};

/**
 * zod's registry yields an input and an output variant of every named schema; keep those that
 * the document references (directly or through other schemas).
 */
function withoutUnusedSchemas(document: Document): Document {
  const schemas = (document.components?.schemas ?? {}) as Record<string, unknown>;
  const used = new Set<string>();
  const visit = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        if (key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')) {
          const name = child.slice('#/components/schemas/'.length);
          if (!used.has(name)) {
            used.add(name);
            visit(schemas[name]);
          }
        } else visit(child);
      }
    }
  };
  const { components, ...rest } = document;
  visit(rest);
  visit({ ...components, schemas: undefined });
  // In name order: zod registers schemas in module-load order, which would make the document
  // (and the SDK types generated from it) change whenever a file moves.
  const kept = Object.fromEntries(
    Object.entries(schemas)
      .filter(([name]) => used.has(name))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
  return { ...document, components: { ...components, schemas: kept } };
}
