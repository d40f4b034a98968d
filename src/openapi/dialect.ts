import type { FastifyDynamicSwaggerOptions, SwaggerTransformObject } from '@fastify/swagger';
import fastifySwagger from '@fastify/swagger';
import { jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import type { App } from '../http/app-types.ts';
import { API_VERSION, routeTransform } from './document.ts';
import { referencePageRoutes } from './reference-page.ts';

/** What a dialect listener says about itself in its own OpenAPI document. */
export interface DialectDocument {
  title: string;
  description: string;
  securitySchemes: Record<string, Record<string, unknown>>;
  /** The error body the dialect answers with, and its media type. */
  error: { mediaType: string; schema: Record<string, unknown>; example: unknown };
}

type Operation = { responses?: Record<string, unknown>; [key: string]: unknown };

function documentTransform(error: DialectDocument['error']): SwaggerTransformObject {
  return (input) => {
    const document = jsonSchemaTransformObject(input) as {
      paths?: Record<string, Record<string, Operation>>;
      components?: Record<string, unknown>;
    };
    for (const item of Object.values(document.paths ?? {})) {
      for (const operation of Object.values(item)) {
        if (operation['x-required-scope'] === 'public') delete operation['x-required-scope'];
        // The routes declare no response schemas (they answer in the foreign API's shapes).
        for (const response of Object.values(operation.responses ?? {}) as { description?: string }[])
          if (response.description === 'Default Response')
            response.description = 'Success, in this API’s own format.';
        operation.responses = {
          ...operation.responses,
          default: {
            description: 'An error, in this API’s own error format.',
            content: {
              [error.mediaType]: { schema: { $ref: '#/components/schemas/Error' }, example: error.example },
            },
          },
        };
      }
    }
    document.components = {
      ...document.components,
      schemas: { ...(document.components?.schemas as object), Error: error.schema },
    };
    return document as ReturnType<SwaggerTransformObject>;
  };
}

/**
 * The listener's OpenAPI 3.1 document at GET /openapi.json and its reference at /docs, both
 * public, generated from the zod schemas of the routes it serves (so clients can be generated
 * against rsvp in that API's wire format). Register before the routes.
 */
export function registerDialectDocument(app: App, document: DialectDocument) {
  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: document.title,
        version: API_VERSION,
        description: document.description,
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
      },
      servers: [{ url: '/', description: 'The rsvp listener serving this document' }],
      components: {
        securitySchemes: document.securitySchemes as NonNullable<
          NonNullable<FastifyDynamicSwaggerOptions['openapi']>['components']
        >['securitySchemes'],
      },
      security: Object.keys(document.securitySchemes).map((name) => ({ [name]: [] })),
    },
    transform: routeTransform,
    transformObject: documentTransform(document.error),
  });
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
  referencePageRoutes(app, { title: `${document.title} (rsvp)` });
}
