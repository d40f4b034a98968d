import type { DialectDocument } from '../../openapi/dialect.ts';
import type { DocumentedOperation, DocumentedResponse } from '../../openapi/dialect-transform.ts';
import {
  arrayOf,
  basic,
  bearer,
  dateTime,
  enumOf,
  nullable,
  object,
  ref,
  stringField,
} from '../dialect-documents.ts';
import { CONFLUENT_STATUSES } from './confluent.routes.ts';

const TAG = 'Invitations (iam/v2)';
const BASE = 'https://confluent.example.com';
const integerHeader = (description: string) => ({ description, schema: { type: 'integer' } });
const RATE_LIMIT = {
  'X-RateLimit-Limit': integerHeader('Requests allowed in the current window.'),
  'X-RateLimit-Remaining': integerHeader('Requests left in the current window.'),
  'X-RateLimit-Reset': integerHeader('Seconds until the window resets.'),
};
const userRef = (id: string) => ({
  api_version: 'iam/v2',
  kind: 'User',
  id,
  related: `${BASE}/iam/v2/users/${id}`,
  resource_name: `crn://confluent.cloud/user=${id}`,
});
const ID = 'i-0m4e2mr0ui3e8a215n4g';
const INVITATION = {
  api_version: 'iam/v2',
  kind: 'Invitation',
  id: ID,
  metadata: {
    self: `${BASE}/iam/v2/invitations/${ID}`,
    resource_name: `crn://confluent.cloud/organization=7d3b9a52-4c1e-4f0a-9b6d-2e8f5a1c3d47/invitation=${ID}`,
    created_at: '2026-03-02T09:15:00.000Z',
    updated_at: '2026-03-02T09:15:00.000Z',
  },
  email: 'grace@example.com',
  auth_type: 'AUTH_TYPE_LOCAL',
  status: 'INVITE_STATUS_SENT',
  accepted_at: null,
  expires_at: '2026-03-09T09:15:00.000Z',
  creator: userRef('u-0m4e2mr0ui3e8a215n4h'),
};
const ok = (description: string, schema: string, example: unknown): Record<string, DocumentedResponse> => ({
  '200': { description, schema: ref(schema), example, headers: RATE_LIMIT },
});
const byId = { id: 'The invitation’s id (`i-…`).' };

const OPERATIONS: Record<string, DocumentedOperation> = {
  'POST /sts/v1/oauth2/token': {
    operationId: 'createAccessToken',
    summary: 'Exchange an API key for an access token',
    description:
      'OAuth 2.0 client-credentials grant: an rsvp API key’s id is the client_id and its secret the client_secret (in the body or as HTTP Basic). The token is for `Authorization: Bearer`.',
    tag: 'Authentication',
    responses: {
      '200': {
        description: 'An access token.',
        schema: ref('TokenResponse'),
        example: {
          access_token: 'eyJhbGciOiJFZERTQSJ9.e30.c2ln',
          token_type: 'Bearer',
          expires_in: 3600,
          scope: 'invitations:read invitations:write',
        },
      },
    },
  },
  'POST /iam/v2/invitations': {
    operationId: 'createIamV2Invitation',
    summary: 'Invite someone into the organization',
    description: 'Invites an email address into the caller’s organization; the invitee is emailed.',
    tag: TAG,
    requestBody: { example: { email: 'grace@example.com' } },
    responses: {
      '201': {
        description: 'Created: the invitation.',
        schema: ref('iam.v2.Invitation'),
        example: INVITATION,
        headers: {
          Location: { description: 'The invitation’s URL.', schema: { type: 'string', format: 'uri' } },
          ...RATE_LIMIT,
        },
      },
    },
  },
  'GET /iam/v2/invitations': {
    operationId: 'listIamV2Invitations',
    summary: 'List invitations',
    description: 'The organization’s invitations, filtered by exact match and paginated with `page_token`.',
    tag: TAG,
    parameters: {
      email: 'Only invitations to this email.',
      status: 'Only invitations in this status.',
      user: 'Only invitations of this invitee (`u-…`).',
      creator: 'Only invitations sent by this user (`u-…`).',
      page_size: 'Invitations per page, 10 by default, at most 100.',
      page_token: 'The `next` (or `prev`, `first`, `last`) page’s token, from `metadata`.',
    },
    responses: ok('A page of invitations.', 'iam.v2.InvitationList', {
      api_version: 'iam/v2',
      kind: 'InvitationList',
      metadata: {
        first: `${BASE}/iam/v2/invitations`,
        last: `${BASE}/iam/v2/invitations`,
        prev: null,
        next: null,
        total_size: 1,
      },
      data: [INVITATION],
    }),
  },
  'GET /iam/v2/invitations/{id}': {
    operationId: 'getIamV2Invitation',
    summary: 'Get an invitation',
    description: 'One invitation of the caller’s organization; deleted ones answer 404.',
    tag: TAG,
    parameters: byId,
    responses: ok('The invitation.', 'iam.v2.Invitation', INVITATION),
  },
  'DELETE /iam/v2/invitations/{id}': {
    operationId: 'deleteIamV2Invitation',
    summary: 'Delete an invitation',
    description: 'Revokes an invitation that has not been accepted.',
    tag: TAG,
    parameters: byId,
    responses: { '204': { description: 'An Invitation is being deleted.', headers: RATE_LIMIT } },
  },
  'GET /iam/v2/users/{id}': {
    operationId: 'getIamV2User',
    summary: 'Get a user',
    description:
      'A user the caller’s organization knows: a member, an invitee or an inviter. Someone it does not know by name shows an empty `full_name`.',
    tag: 'Users (iam/v2)',
    parameters: { id: 'The user’s id (`u-…`).' },
    responses: ok('The user.', 'iam.v2.User', {
      api_version: 'iam/v2',
      kind: 'User',
      id: 'u-0m4e2mr0ui3e8a215n4h',
      metadata: {
        self: `${BASE}/iam/v2/users/u-0m4e2mr0ui3e8a215n4h`,
        resource_name: 'crn://confluent.cloud/user=u-0m4e2mr0ui3e8a215n4h',
        created_at: '2026-01-12T08:00:00.000Z',
        updated_at: '2026-01-12T08:00:00.000Z',
      },
      email: 'ada@example.com',
      full_name: 'Ada Lovelace',
      auth_type: 'AUTH_TYPE_LOCAL',
    }),
  },
};

const metadata = (extra: Record<string, Record<string, unknown>> = {}, optional: string[] = []) =>
  object(
    {
      self: { ...stringField, format: 'uri' },
      resource_name: stringField,
      created_at: dateTime,
      updated_at: dateTime,
      ...extra,
    },
    optional,
  );
const kind = (name: string) => ({ type: 'string', const: name });
const apiVersion = { type: 'string', const: 'iam/v2' };

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
  mediaType: 'application/json',
  tags: [
    { name: 'Authentication', description: 'Trade an API key for a short-lived bearer token.' },
    { name: TAG, description: 'Invite people into the organization; list, read and delete invitations.' },
    { name: 'Users (iam/v2)', description: 'The people invitations name.' },
  ],
  schemas: {
    'iam.v2.UserReference': object({
      api_version: apiVersion,
      kind: kind('User'),
      id: stringField,
      related: { ...stringField, format: 'uri' },
      resource_name: stringField,
    }),
    'iam.v2.Invitation': object(
      {
        api_version: apiVersion,
        kind: kind('Invitation'),
        id: stringField,
        metadata: metadata({ deleted_at: dateTime }, ['deleted_at']),
        email: stringField,
        auth_type: enumOf(['AUTH_TYPE_LOCAL', 'AUTH_TYPE_SSO']),
        status: enumOf(CONFLUENT_STATUSES),
        accepted_at: nullable(dateTime),
        expires_at: dateTime,
        user: ref('iam.v2.UserReference'),
        creator: ref('iam.v2.UserReference'),
      },
      ['user'],
    ),
    'iam.v2.InvitationList': object({
      api_version: apiVersion,
      kind: kind('InvitationList'),
      metadata: object({
        first: { ...stringField, format: 'uri' },
        last: { ...stringField, format: 'uri' },
        prev: nullable({ ...stringField, format: 'uri' }),
        next: nullable({ ...stringField, format: 'uri' }),
        total_size: { type: 'integer' },
      }),
      data: arrayOf(ref('iam.v2.Invitation')),
    }),
    'iam.v2.User': object({
      api_version: apiVersion,
      kind: kind('User'),
      id: stringField,
      metadata: metadata(),
      email: stringField,
      full_name: stringField,
      auth_type: enumOf(['AUTH_TYPE_LOCAL', 'AUTH_TYPE_SSO']),
    }),
  },
  operations: OPERATIONS,
};
