import type { DialectDocument } from '../../openapi/dialect.ts';
import type { DocumentedOperation, DocumentedResponse } from '../../openapi/dialect-transform.ts';
import { basic, bearer, ref, stringField } from '../dialect-documents.ts';
import { TILEDB_SCHEMAS, V1_INVITATION, V4_INVITATION } from './tiledb.document-schemas.ts';

const V1 = 'Invitations (v1)';
const V4 = 'Invitations (v4)';

/** The parameters' meanings, by name: the same in every operation that has them. */
const PARAMETERS = {
  organization: 'The organization: its name or UUID.',
  namespace: 'The owning namespace: an organization’s name or UUID (or a `ws_` workspace id).',
  workspace: 'The workspace: its `ws_` id, name or UUID.',
  teamspace: 'The teamspace within the workspace.',
  array: 'The array: its name or `tiledb://namespace/name` URI, URL-encoded.',
  group: 'The group: its name or `tiledb://namespace/name` URI, URL-encoded.',
  name: 'The array’s or group’s name or URI, URL-encoded.',
  invitation: 'The invitation’s UUID.',
  target: 'The namespace the payment method was shared with.',
  invitation_id: 'The invitation’s id (`inv_…`).',
  start: 'Only invitations created at or after this time (epoch seconds).',
  end: 'Only invitations created at or before this time (epoch seconds).',
  page: 'The page, from 1.',
  per_page: 'Invitations per page.',
  type: 'Only invitations of this type.',
  status: 'Only invitations in this status.',
  orderby: 'The order: `timestamp` (newest first), `array_name` or `organization_name`.',
};

const FAILED = { failed_recipients: ['nobody@example.com'] };
const SENT: Record<string, DocumentedResponse> = {
  '204': { description: 'Every recipient was invited and emailed.' },
  '207': {
    description: 'Some recipients could not be invited: these.',
    schema: ref('InvitationFailedRecipients'),
    example: FAILED,
  },
  '500': {
    description: 'No recipient could be invited.',
    schema: ref('InvitationFailedRecipients'),
    example: FAILED,
  },
};
const NO_CONTENT = (description: string) => ({ '204': { description } });

type Parts = [operationId: string, summary: string, description: string];
const v1 = (
  [operationId, summary, description]: Parts,
  responses: Record<string, DocumentedResponse>,
  example?: unknown,
): DocumentedOperation => ({
  operationId,
  summary,
  description,
  tag: V1,
  parameters: PARAMETERS,
  ...(example ? { requestBody: { example } } : {}),
  responses,
});
const v4 = (parts: Parts, responses: Record<string, DocumentedResponse>, example?: unknown) => ({
  ...v1(parts, responses, example),
  tag: V4,
});

const ARRAY_SHARE = { invitee_email: ['grace@example.com'], actions: ['read', 'write'] };
const GROUP_SHARE = {
  invitee_email_or_name: ['grace@example.com'],
  array_actions: ['read'],
  group_actions: ['read'],
};
const PAYMENT_SHARE = { namespaces: ['grace'] };
const TEAMSPACE = ' (the path names a workspace and a teamspace)';

const PAGINATION = { page: 1, per_page: 20, total_pages: 1, total_items: 1 };
const V4_PAGE: Record<string, DocumentedResponse> = {
  '200': {
    description: 'A page of pending invitations.',
    schema: ref('InvitationsListResponse'),
    example: { data: [V4_INVITATION], pagination_metadata: PAGINATION },
  },
};
const V4_CREATED = { '201': { description: 'Created (no body): the invitees are emailed.' } };

const OPERATIONS: Record<string, DocumentedOperation> = {
  'POST /v1/invitations/{organization}/join': v1(
    [
      'join_organization',
      'Invite people into an organization',
      'Invites email addresses or usernames into the organization with a role and namespace actions.',
    ],
    SENT,
    { invitee_email: ['grace@example.com'], organization_role: 'read_write', actions: ['read'] },
  ),
  'POST /v1/invitations/{namespace}/{array}/share': v1(
    [
      'share_array_by_invite',
      'Share an array by invitation',
      'Invites email addresses or usernames onto an array with actions.',
    ],
    SENT,
    ARRAY_SHARE,
  ),
  'POST /v1/invitations/group/{namespace}/{group}/share': v1(
    [
      'share_group_by_invite',
      'Share a group by invitation',
      'Invites email addresses or usernames onto a group with group and array actions.',
    ],
    SENT,
    GROUP_SHARE,
  ),
  'POST /v1/invitations/{workspace}/{teamspace}/{array}/share': v1(
    [
      'share_array_by_invite_in_teamspace',
      'Share a teamspace’s array by invitation',
      `Invites onto an array${TEAMSPACE}.`,
    ],
    SENT,
    ARRAY_SHARE,
  ),
  'POST /v1/invitations/group/{workspace}/{teamspace}/{group}/share': v1(
    [
      'share_group_by_invite_in_teamspace',
      'Share a teamspace’s group by invitation',
      `Invites onto a group${TEAMSPACE}.`,
    ],
    SENT,
    GROUP_SHARE,
  ),
  'POST /v1/invitations/{invitation}': v1(
    [
      'accept_invitation',
      'Accept an invitation',
      'The invitee accepts: joins the organization or gets the shared actions.',
    ],
    NO_CONTENT('Accepted.'),
  ),
  'DELETE /v1/invitations/{invitation}/{organization}/join': v1(
    [
      'cancel_join_organization',
      'Cancel an organization invitation',
      'Revokes a pending invitation into the organization.',
    ],
    NO_CONTENT('Cancelled.'),
  ),
  'DELETE /v1/invitations/{invitation}/{namespace}/{name}/share': v1(
    ['cancel_share_array_by_invite', 'Cancel an array share', 'Revokes a pending invitation onto the array.'],
    NO_CONTENT('Cancelled.'),
  ),
  'DELETE /v1/invitations/group/{invitation}/{namespace}/{name}/share': v1(
    ['cancel_share_group_by_invite', 'Cancel a group share', 'Revokes a pending invitation onto the group.'],
    NO_CONTENT('Cancelled.'),
  ),
  'DELETE /v1/invitations/{invitation}/{workspace}/{teamspace}/{name}/share': v1(
    [
      'cancel_share_array_by_invite_in_teamspace',
      'Cancel a teamspace’s array share',
      `Revokes a pending invitation onto the array${TEAMSPACE}.`,
    ],
    NO_CONTENT('Cancelled.'),
  ),
  'DELETE /v1/invitations/group/{invitation}/{workspace}/{teamspace}/{name}/share': v1(
    [
      'cancel_share_group_by_invite_in_teamspace',
      'Cancel a teamspace’s group share',
      `Revokes a pending invitation onto the group${TEAMSPACE}.`,
    ],
    NO_CONTENT('Cancelled.'),
  ),
  'GET /v1/invitations': v1(
    [
      'fetch_invitations',
      'List invitations',
      'Invitations of an organization (for its admins) or, without one, those the caller administers, filtered and a page at a time.',
    ],
    {
      '200': {
        description: 'A page of invitations.',
        schema: ref('InvitationData'),
        example: { invitations: [V1_INVITATION], pagination_metadata: { ...PAGINATION, per_page: 10 } },
      },
    },
  ),
  'POST /v1/invitations/share_payment/{namespace}': v1(
    [
      'share_payment',
      'Share the payment method',
      'Invites namespaces (usernames or organizations) to use the organization’s payment method.',
    ],
    SENT,
    PAYMENT_SHARE,
  ),
  'DELETE /v1/invitations/share_payment/{namespace}/{target}': v1(
    [
      'cancel_share_payment',
      'Cancel a payment method share',
      'Revokes a pending payment method share with the target namespace.',
    ],
    NO_CONTENT('Cancelled.'),
  ),
  'POST /v1/invitations/share_payment/{workspace}/{teamspace}': v1(
    [
      'share_payment_in_teamspace',
      'Share the payment method (workspace path)',
      `Invites namespaces to use the payment method${TEAMSPACE}.`,
    ],
    SENT,
    PAYMENT_SHARE,
  ),
  'DELETE /v1/invitations/share_payment/{workspace}/{teamspace}/{target}': v1(
    [
      'cancel_share_payment_in_teamspace',
      'Cancel a payment method share (workspace path)',
      `Revokes a pending payment method share${TEAMSPACE}.`,
    ],
    NO_CONTENT('Cancelled.'),
  ),
  'POST /v4/invitations': v4(
    [
      'create_invitations',
      'Create invitations',
      'Invites email addresses into workspaces, all or none per workspace.',
    ],
    V4_CREATED,
    [
      {
        invitee_email: 'grace@example.com',
        workspace_invitation: { workspace_id: 'ws_0m4e2mr0ui3e8a215n4i', prospective_role: 'member' },
      },
    ],
  ),
  'GET /v4/invitations': v4(
    [
      'list_invitations',
      'List sent invitations',
      'The pending invitations the caller has sent, newest first.',
    ],
    V4_PAGE,
  ),
  'POST /v4/invitations/admin/{workspace}': v4(
    [
      'create_workspace_invitations',
      'Invite into a workspace',
      'Invites email addresses into the workspace in the path, all or none.',
    ],
    V4_CREATED,
    [{ invitee_email: 'grace@example.com', workspace_invitation: { prospective_role: 'member' } }],
  ),
  'GET /v4/invitations/admin/{workspace}': v4(
    [
      'list_workspace_invitations',
      'List a workspace’s invitations',
      'The workspace’s pending invitations, newest first; for its admins.',
    ],
    V4_PAGE,
  ),
  'DELETE /v4/invitations/admin/{workspace}/{invitation_id}': v4(
    [
      'revoke_workspace_invitation',
      'Revoke a workspace’s invitation',
      'An admin of the workspace revokes a pending invitation.',
    ],
    NO_CONTENT('Revoked.'),
  ),
  'POST /v4/invitations/{invitation_id}': v4(
    [
      'get_invitation',
      'Read an invitation (invitee)',
      'The invitee reads the invitation with the JWT from the emailed link (a POST, so the JWT travels in the body).',
    ],
    {
      '200': {
        description: 'The invitation.',
        schema: ref('InvitationRetrieveResponse'),
        example: { data: V4_INVITATION },
      },
    },
    { jwt: 'eyJhbGciOiJFZERTQSJ9.eyJpbnYiOiJpbnZfMCJ9.c2lnbmF0dXJl' },
  ),
  'PATCH /v4/invitations/{invitation_id}': v4(
    [
      'respond_invitation',
      'Accept or reject an invitation',
      'The invitee answers, with the JWT from the emailed link.',
    ],
    NO_CONTENT('Answered.'),
    { jwt: 'eyJhbGciOiJFZERTQSJ9.eyJpbnYiOiJpbnZfMCJ9.c2lnbmF0dXJl', response: 'accept' },
  ),
  'DELETE /v4/invitations/{invitation_id}': v4(
    ['revoke_invitation', 'Revoke an invitation', 'The inviter (or an admin) revokes a pending invitation.'],
    NO_CONTENT('Revoked.'),
  ),
};

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
  mediaType: 'application/json',
  tags: [
    {
      name: V1,
      description: 'TileDB Cloud REST API v1: organization, array, group and payment invitations.',
    },
    { name: V4, description: 'TileDB Cloud API v4: workspace invitations.' },
  ],
  schemas: TILEDB_SCHEMAS,
  operations: OPERATIONS,
};
