import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import fastifySwagger from '@fastify/swagger';
import type { App } from '../http/app-types.ts';
import { type DialectOperations, dialectTransform } from './dialect-transform.ts';
import { API_VERSION, routeTransform } from './document.ts';
import { referencePageRoutes } from './reference-page.ts';

/** What a dialect listener says about itself in its own OpenAPI document. */
export interface DialectDocument extends DialectOperations {
  title: string;
  description: string;
  securitySchemes: Record<string, Record<string, unknown>>;
}

/**
 * The listener's OpenAPI 3.1 document at GET /openapi.json and its reference at /docs, both
 * public: the routes' parameters (from their zod schemas) with what `document.operations` says of
 * each (its bodies and statuses), so clients can be generated against rsvp in that API's wire
 * format. Register before the routes.
 */
export function registerDialectDocument(app: App, document: DialectDocument) {
  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: document.title,
        version: API_VERSION,
        description: document.description,
        contact: { name: 'The operators of this rsvp instance' },
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
    transformObject: dialectTransform(document),
  });
  app.get('/openapi.json', { config: { auth: 'public' }, schema: { hide: true } }, async () => app.swagger());
  referencePageRoutes(app, { title: `${document.title} (rsvp)` });
}
