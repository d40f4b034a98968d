import type { DialectDocument } from '../../openapi/dialect.ts';
import type { DocumentedOperation } from '../../openapi/dialect-transform.ts';
import { arrayOf, object, ref, stringField } from '../dialect-documents.ts';

const TAG = 'Invitation';
const ORGANIZATION = '7d3b9a52-4c1e-4f0a-9b6d-2e8f5a1c3d47';
const naive = { ...stringField, description: 'UTC, without a zone: `YYYY-MM-DDTHH:MM:SS.ffffff`.' };
const INVITATION = {
  id: '0f6c2d1e-8a4b-4c3d-9e5f-6a7b8c9d0e1f',
  email: 'grace@example.com',
  organization_id: ORGANIZATION,
  used: false,
  created_at: '2026-03-02T09:15:00.123000',
  updated_at: '2026-03-02T09:15:00.123000',
  role: 0,
  scopes: null,
};
const list = (operationId: string, summary: string, description: string): DocumentedOperation => ({
  operationId,
  summary,
  description,
  tag: TAG,
  parameters: { organization_id: 'The organization’s UUID.' },
  responses: {
    '200': {
      description: 'The organization’s invitations, pending and used.',
      schema: arrayOf(ref('Invitation')),
      example: [INVITATION],
    },
  },
});

const OPERATIONS: Record<string, DocumentedOperation> = {
  'POST /api/invitation': {
    operationId: 'post_invitation',
    summary: 'Invite someone into the organization',
    description:
      'An admin of the organization in `TR-Organization` invites an email address with a role (0 user, 1 admin, 2 owner). The emailed link goes to `app_url`, then on to `redirect_uri`; both must be origins the organization allows.',
    tag: TAG,
    requestBody: {
      example: {
        email: 'grace@example.com',
        user_role: 0,
        app_url: 'https://dashboard.example.com',
        redirect_uri: 'https://dashboard.example.com/welcome',
        scopes: null,
      },
    },
    responses: { '204': { description: 'Invited: the invitee is emailed.' } },
  },
  'GET /api/invitations/{organization_id}': list(
    'get_invitations',
    'List the organization’s invitations',
    'Every invitation of the organization, oldest first; admins only.',
  ),
  'GET /api/invitation/{organization_id}': list(
    'get_invitations_legacy',
    'List the organization’s invitations (legacy path)',
    'The same list under the singular path Trieve also answers.',
  ),
  'DELETE /api/invitation/{invitation_id}': {
    operationId: 'delete_invitation',
    summary: 'Delete an invitation',
    description: 'An admin of the invitation’s organization deletes it, if it has not been used.',
    tag: TAG,
    parameters: { invitation_id: 'The invitation’s UUID.' },
    responses: { '204': { description: 'Deleted.' } },
  },
  'GET /api/auth': {
    operationId: 'invitation_link',
    summary: 'Follow an emailed invitation link',
    description:
      'Where the emailed link lands (`inv_code`, `organization_id`, `redirect_uri`, `token`): it redirects to rsvp’s invitation page, where the invitee signs in or up and joins.',
    tag: TAG,
    parameters: {
      inv_code: 'The invitation’s UUID.',
      organization_id: 'The organization’s UUID.',
      redirect_uri: 'Where the dashboard goes after joining.',
      token: 'The invitation link’s secret.',
    },
    responses: {
      '303': {
        description: 'To the invitation page.',
        headers: { Location: { description: 'rsvp’s invitation page.', schema: { type: 'string' } } },
      },
    },
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
  mediaType: 'application/json',
  tags: [{ name: TAG, description: 'Invite people into an organization; list and delete invitations.' }],
  schemas: {
    Invitation: object({
      id: { ...stringField, format: 'uuid' },
      email: stringField,
      organization_id: { ...stringField, format: 'uuid' },
      used: { type: 'boolean' },
      created_at: naive,
      updated_at: naive,
      role: { type: 'integer', description: '0 user, 1 admin, 2 owner.' },
      scopes: { type: ['array', 'null'], items: stringField },
    }),
  },
  operations: OPERATIONS,
};
