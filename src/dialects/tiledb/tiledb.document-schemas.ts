import { arrayOf, dateTime, enumOf, nullable, object, ref, stringField } from '../dialect-documents.ts';
import { ORGANIZATION_ROLES, WORKSPACE_ROLES } from './tiledb.mapping.ts';

/** The bodies TileDB's operations answer with (tiledb.mapping.ts and the v4 routes' views), and examples. */
export const V1_INVITATION = {
  id: '0f6c2d1e-8a4b-4c3d-9e5f-6a7b8c9d0e1f',
  invitation_type: 'JOIN_ORGANIZATION',
  owner_namespace_uuid: '7d3b9a52-4c1e-4f0a-9b6d-2e8f5a1c3d47',
  inviter_uuid: '3a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  user_namespace_uuid: '',
  organization_user_uuid: '',
  organization_name: 'acme',
  organization_role: 'read_write',
  organization_uuid: '7d3b9a52-4c1e-4f0a-9b6d-2e8f5a1c3d47',
  array_uuid: '',
  group_uuid: '',
  array_name: '',
  email: 'grace@example.com',
  actions: 'read,write',
  group_actions: '',
  status: 'PENDING',
  created_at: '2026-03-02T09:15:00.000Z',
  expires_at: '2026-03-09T09:15:00.000Z',
  accepted_at: null,
  namespace_invited: '',
};
export const V4_INVITATION = {
  invitation_id: 'inv_0m4e2mr0ui3e8a215n4g',
  invitee_email: 'grace@example.com',
  created_by: {
    user_id: 'usr_0m4e2mr0ui3e8a215n4h',
    display_name: 'Ada Lovelace',
    email: 'ada@example.com',
    workspace_role: 'owner',
  },
  created_at: '2026-03-02T09:15:00.000Z',
  workspace_invitation: { workspace_id: 'ws_0m4e2mr0ui3e8a215n4i', name: 'Acme', prospective_role: 'member' },
};

const blankable = (description: string) => ({
  ...stringField,
  description: `${description} Empty when it does not apply.`,
});
const pagination = object({
  page: { type: 'integer' },
  per_page: { type: 'integer' },
  total_pages: { type: 'integer' },
  total_items: { type: 'integer' },
});
export const TILEDB_SCHEMAS = {
  InvitationFailedRecipients: object({ failed_recipients: arrayOf(stringField) }),
  Invitation: object({
    id: { ...stringField, format: 'uuid' },
    invitation_type: enumOf(['ARRAY_SHARE', 'GROUP_SHARE', 'JOIN_ORGANIZATION', 'PAYMENT_SHARE']),
    owner_namespace_uuid: stringField,
    inviter_uuid: blankable('The inviter’s UUID.'),
    user_namespace_uuid: blankable('Who accepted.'),
    organization_user_uuid: blankable('Who joined the organization.'),
    organization_name: stringField,
    organization_role: {
      ...blankable('The role an organization invitation offers.'),
      enum: [...ORGANIZATION_ROLES, ''],
    },
    organization_uuid: stringField,
    array_uuid: blankable('The shared array.'),
    group_uuid: blankable('The shared group.'),
    array_name: blankable('The shared array’s name.'),
    email: stringField,
    actions: blankable('Comma-separated actions.'),
    group_actions: blankable('Comma-separated group actions.'),
    status: enumOf(['PENDING', 'ACCEPTED']),
    created_at: dateTime,
    expires_at: dateTime,
    accepted_at: nullable(dateTime),
    namespace_invited: blankable('The namespace invited, when the organization may know it.'),
  }),
  InvitationData: object({ invitations: arrayOf(ref('Invitation')), pagination_metadata: pagination }),
  'v4.Invitation': object(
    {
      invitation_id: stringField,
      invitee_email: stringField,
      created_by: object({
        user_id: stringField,
        display_name: stringField,
        email: stringField,
        workspace_role: enumOf(WORKSPACE_ROLES),
      }),
      created_at: dateTime,
      workspace_invitation: object({
        workspace_id: stringField,
        name: stringField,
        prospective_role: enumOf(WORKSPACE_ROLES),
      }),
    },
    ['workspace_invitation'],
  ),
  InvitationsListResponse: object({ data: arrayOf(ref('v4.Invitation')), pagination_metadata: pagination }),
  InvitationRetrieveResponse: object({ data: ref('v4.Invitation') }),
};
