import type { DialectDocument } from '../openapi/dialect.ts';

/**
 * How each dialect listener describes itself in its OpenAPI document (GET /openapi.json on that
 * listener): its credentials and its error body. The operations come from the routes' schemas.
 */

const basic = {
  type: 'http',
  scheme: 'basic',
  description: 'An rsvp API key’s id and secret, or email and password.',
};
const bearer = {
  type: 'http',
  scheme: 'bearer',
  description: 'An rsvp API key (`rsvp_sk_…`) or access token.',
};
const stringField = { type: 'string' };

export const TILEDB_DOCUMENT: DialectDocument = {
  title: 'TileDB Cloud invitations API (v1 and v4)',
  description:
    'rsvp answering in TileDB Cloud’s wire format: v1 organization, array and group invitations and v4 workspace invitations. Point a TileDB client at this listener.',
  securitySchemes: {
    apiKey: { type: 'apiKey', in: 'header', name: 'X-TILEDB-REST-API-KEY', description: 'An rsvp API key.' },
    basic,
    bearer,
  },
  error: {
    mediaType: 'application/json',
    schema: {
      type: 'object',
      required: ['code', 'message', 'request_id'],
      properties: {
        code: { type: 'integer', description: 'TileDB’s numeric error code.' },
        message: stringField,
        request_id: stringField,
        validation_error: {
          type: 'object',
          description: 'v4 only: the fields that failed validation.',
          properties: {
            fields: {
              type: 'array',
              items: { type: 'object', properties: { field: stringField, message: stringField } },
            },
          },
        },
      },
    },
    example: { code: 4004, message: 'invitation not found', request_id: 'req_01JQ8Z6V7C4T2N9W3X5Y8K1M0P' },
  },
};

export const TRIEVE_DOCUMENT: DialectDocument = {
  title: 'Trieve invitations API',
  description:
    'rsvp answering in Trieve’s wire format. The organization goes in the `TR-Organization` header (its UUID).',
  securitySchemes: {
    authorization: {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: 'An rsvp API key, bare or as `Bearer <key>`.',
    },
    apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An rsvp API key.' },
  },
  error: {
    mediaType: 'application/json',
    schema: { type: 'object', required: ['message'], properties: { message: stringField } },
    example: { message: 'Unauthorized' },
  },
};

export const CVAT_DOCUMENT: DialectDocument = {
  title: 'CVAT invitations API',
  description:
    'rsvp answering in CVAT’s wire format (Django REST framework shapes). Sign in with `Authorization: Token <key>`, Basic credentials, or the `sessionid` cookie from `POST /api/auth/login` (echo the `csrftoken` cookie in `X-CSRFToken` on unsafe methods).',
  securitySchemes: {
    token: {
      type: 'apiKey',
      in: 'header',
      name: 'Authorization',
      description: '`Token <key>` with an rsvp API key or access token.',
    },
    basic,
    session: { type: 'apiKey', in: 'cookie', name: 'sessionid', description: 'From `POST /api/auth/login`.' },
  },
  error: {
    mediaType: 'application/vnd.cvat+json',
    schema: {
      type: 'object',
      description: '`{detail}`, or `{field: [messages]}` for invalid input.',
      properties: { detail: stringField },
      additionalProperties: { type: 'array', items: stringField },
    },
    example: { detail: 'Authentication credentials were not provided.' },
  },
};

export const CONFLUENT_DOCUMENT: DialectDocument = {
  title: 'Confluent Cloud IAM v2 invitations API',
  description:
    'rsvp answering in Confluent Cloud’s IAM v2 wire format. Every authenticated request counts against the caller’s quota, reported in the `X-RateLimit-*` headers.',
  securitySchemes: {
    basic,
    bearer: { ...bearer, description: 'A token from `POST /sts/v1/oauth2/token` (client credentials).' },
  },
  error: {
    mediaType: 'application/json',
    schema: {
      type: 'object',
      required: ['errors'],
      properties: {
        errors: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: stringField,
              status: stringField,
              code: stringField,
              title: stringField,
              detail: stringField,
              source: { type: 'object', properties: { pointer: stringField, parameter: stringField } },
            },
          },
        },
      },
    },
    example: {
      errors: [
        {
          id: '5b7c0f8e-2f5e-4d39-9a55-1f7e3f0b9c21',
          status: '404',
          code: 'not_found',
          title: 'Not found',
          detail: 'Invitation not found.',
        },
      ],
    },
  },
};
