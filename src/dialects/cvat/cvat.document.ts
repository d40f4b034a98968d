import type { DialectDocument } from '../../openapi/dialect.ts';
import type { DocumentedOperation } from '../../openapi/dialect-transform.ts';
import {
  arrayOf,
  basic,
  dateTime,
  enumOf,
  nullable,
  object,
  ref,
  stringField,
} from '../dialect-documents.ts';
import { CVAT_ROLES } from './cvat.mapping.ts';

const KEY = 'q8gwtpir1vz9ddo6mqo1B6pUBzW9GjDb6AUQPziAV62jD7OpCLZji0GS66C48wRX';
const TAG = 'Invitations';
const user = (id: number, username: string, first = '', last = '') => ({
  url: `https://cvat.example.com/api/users/${id}`,
  id,
  username,
  first_name: first,
  last_name: last,
});
const INVITATION = {
  key: KEY,
  created_date: '2026-03-02T09:15:00.000Z',
  owner: user(1, 'ada', 'Ada', 'Lovelace'),
  role: 'worker',
  user: user(7, 'grace@example.com'),
  organization: 3,
  expired: false,
  organization_info: { id: 3, slug: 'acme' },
};
const WRITE_TYPES = ['application/json', 'application/x-www-form-urlencoded', 'multipart/form-data'];
const KEY_PARAMETERS = {
  key: 'The invitation’s key: 64 letters and digits.',
  org: 'The organization context, by slug (or send `X-Organization`).',
  org_id: 'The organization context, by numeric id.',
};
const invitation = (status: string, description: string) => ({
  [status]: { description, schema: ref('InvitationRead'), example: INVITATION },
});
const noContent = (description: string) => ({ '204': { description } });

const operation = (
  operationId: string,
  summary: string,
  description: string,
  rest: Partial<DocumentedOperation> & Pick<DocumentedOperation, 'responses'>,
): DocumentedOperation => ({
  operationId,
  summary,
  description,
  tag: TAG,
  parameters: KEY_PARAMETERS,
  ...rest,
});

const OPERATIONS: Record<string, DocumentedOperation> = {
  'POST /api/auth/login': {
    operationId: 'auth_create_login',
    summary: 'Sign in',
    description:
      'Trades a username (or email) and password for a `sessionid` cookie, a `csrftoken` cookie and a token key for `Authorization: Token <key>`.',
    tag: 'Authentication',
    responses: {
      '200': {
        description: 'Signed in: the token key (the cookies come in `Set-Cookie`).',
        schema: object({ key: stringField }),
        example: { key: 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ1c3JfMDEifQ.c2lnbmF0dXJl' },
      },
    },
  },
  'POST /api/auth/logout': {
    operationId: 'auth_create_logout',
    summary: 'Sign out',
    description: 'Ends the browser session named by the `sessionid` cookie, if any.',
    tag: 'Authentication',
    responses: {
      '200': {
        description: 'Signed out.',
        schema: object({ detail: stringField }),
        example: { detail: 'Successfully logged out.' },
      },
    },
  },
  'POST /api/invitations': operation(
    'invitations_create',
    'Invite someone into the organization',
    'Staff invite an email address with a CVAT role: a maintainer may invite workers and supervisors, the owner up to maintainer. The invitee is emailed. The body may be JSON, form-encoded or multipart.',
    {
      requestBody: {
        schema: ref('InvitationWriteRequest'),
        example: { role: 'worker', email: 'grace@example.com' },
        mediaTypes: WRITE_TYPES,
      },
      responses: invitation('201', 'Created: the invitation.'),
    },
  ),
  'GET /api/invitations': operation(
    'invitations_list',
    'List invitations',
    'The invitations the caller may see in the organization context (or, without one, their own), newest first by default, a page at a time.',
    {
      parameters: {
        ...KEY_PARAMETERS,
        filter: 'A JSON logic filter over `owner`, `user_id` and `accepted`.',
        search: 'Invitations whose inviter’s name contains this.',
        owner: 'Invitations sent by this username.',
        sort: '`owner`, `user_id`, `accepted` or `created_date`, `-` first to reverse.',
        page: 'The page, from 1.',
        page_size: 'Invitations per page (10 by default), or `all`.',
      },
      responses: {
        '200': {
          description: 'A page of invitations.',
          schema: ref('PaginatedInvitationReadList'),
          example: { count: 1, next: null, previous: null, results: [INVITATION] },
        },
      },
    },
  ),
  'GET /api/invitations/{key}': operation(
    'invitations_retrieve',
    'Get an invitation',
    'One invitation the caller may see; others answer 404.',
    { responses: invitation('200', 'The invitation.') },
  ),
  'PATCH /api/invitations/{key}': operation(
    'invitations_partial_update',
    'Change an invitation’s role, or accept it',
    'With `?accepted`, the invitee accepts. Otherwise staff change a pending invitation’s role; its email cannot change. The body may be JSON, form-encoded or multipart.',
    {
      parameters: { ...KEY_PARAMETERS, accepted: 'Present: the invitee accepts the invitation.' },
      requestBody: {
        schema: ref('PatchedInvitationWriteRequest'),
        example: { role: 'supervisor' },
        mediaTypes: WRITE_TYPES,
      },
      responses: invitation('200', 'The invitation as it is now.'),
    },
  ),
  'DELETE /api/invitations/{key}': operation(
    'invitations_destroy',
    'Delete an invitation',
    'Staff or the inviter delete an invitation that has not been accepted.',
    { responses: noContent('Deleted.') },
  ),
  'POST /api/invitations/{key}/accept': operation(
    'invitations_accept',
    'Accept an invitation',
    'The invitee joins the organization with the invitation’s role.',
    {
      responses: {
        '200': {
          description: 'Accepted: the organization joined.',
          schema: ref('AcceptInvitationRead'),
          example: { organization_slug: 'acme' },
        },
      },
    },
  ),
  'POST /api/invitations/{key}/decline': operation(
    'invitations_decline',
    'Decline an invitation',
    'The invitee turns the invitation down.',
    { responses: noContent('Declined.') },
  ),
  'POST /api/invitations/{key}/resend': operation(
    'invitations_resend',
    'Email an invitation again',
    'Staff or the inviter send a pending or expired invitation again; five resends an hour per user.',
    { responses: noContent('Sent again.') },
  ),
};

const basicUser = object(
  {
    url: { ...stringField, format: 'uri' },
    id: { type: 'integer' },
    username: stringField,
    first_name: stringField,
    last_name: stringField,
  },
  [],
  'A user, as CVAT shows one. An invitee the organization does not know yet shows only their email.',
);

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
  mediaType: 'application/vnd.cvat+json',
  tags: [
    { name: 'Authentication', description: 'Browser sessions: sign in for a session cookie and a token.' },
    { name: TAG, description: 'Invite people into an organization; accept, decline, resend and delete.' },
  ],
  schemas: {
    BasicUser: basicUser,
    InvitationRead: object({
      key: stringField,
      created_date: dateTime,
      owner: nullable(ref('BasicUser')),
      role: enumOf(CVAT_ROLES),
      user: ref('BasicUser'),
      organization: { type: 'integer' },
      expired: { type: ['boolean', 'null'] },
      organization_info: object({ id: { type: 'integer' }, slug: stringField }),
    }),
    PaginatedInvitationReadList: object({
      count: { type: 'integer' },
      next: { type: ['string', 'null'], format: 'uri' },
      previous: { type: ['string', 'null'], format: 'uri' },
      results: arrayOf(ref('InvitationRead')),
    }),
    AcceptInvitationRead: object({ organization_slug: stringField }),
    InvitationWriteRequest: object({ role: enumOf(CVAT_ROLES), email: { ...stringField, format: 'email' } }),
    PatchedInvitationWriteRequest: object(
      { role: enumOf(CVAT_ROLES), email: { ...stringField, format: 'email' } },
      ['role', 'email'],
      'Only `role` changes; `email`, if sent, must be the invitation’s own.',
    ),
  },
  operations: OPERATIONS,
};
