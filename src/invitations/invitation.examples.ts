/** The examples the OpenAPI document shows for the invitation schemas (the reference and generated clients). */
export const INVITATION_EXAMPLE = {
  id: 'inv_01JQ8Z6V7C4T2N9W3X5Y8K1M0P',
  organization_id: 'org_01JQ8Z5M4X2B7D9F3H6K8N1Q4S',
  target_type: 'organization' as const,
  role: 'member',
  resource_id: null,
  actions: null,
  email: 'ada@example.com',
  invitee_user_id: null,
  inviter_user_id: 'usr_01JQ8Z4K2M7P3R5T9V1X3Z6B8D',
  inviter_api_key_id: 'key_01JQ8Z4P7T2W6Y0A4C8E2G6J9L',
  message: 'Welcome to the research team!',
  locale: 'en',
  metadata: { team: 'research' },
  public_metadata: { team: 'research' },
  private_metadata: { crm_id: '00Q5e00000Abc12' },
  redirect_url: null,
  grants: null,
  status: 'pending' as const,
  delivery_state: 'sent' as const,
  delivery_error: null,
  send_count: 1,
  create_time: '2025-07-01T09:30:00.000Z',
  update_time: '2025-07-01T09:30:02.000Z',
  expire_time: '2025-07-08T09:30:00.000Z',
  last_send_time: '2025-07-01T09:30:02.000Z',
  respond_time: null,
  responded_by_user_id: null,
  etag: '"b5e2c1f0"',
};
export const CREATE_EXAMPLE = {
  email: 'ada@example.com',
  role: 'member',
  ttl_seconds: 604_800,
  message: 'Welcome to the research team!',
  metadata: { team: 'research' },
};
export const RECEIVED_EXAMPLE = {
  id: INVITATION_EXAMPLE.id,
  organization: { id: INVITATION_EXAMPLE.organization_id, slug: 'acme', name: 'Acme Corp' },
  target_type: 'organization' as const,
  role: 'member',
  resource: null,
  actions: null,
  grants: null,
  public_metadata: { team: 'research' },
  inviter_name: 'Grace Hopper',
  message: INVITATION_EXAMPLE.message,
  status: 'pending' as const,
  create_time: INVITATION_EXAMPLE.create_time,
  expire_time: INVITATION_EXAMPLE.expire_time,
};

export const BATCH_RESULT_EXAMPLE = {
  results: [
    { index: 0, status: 201, invitation: { ...INVITATION_EXAMPLE, delivery_state: 'queued' } },
    {
      index: 1,
      status: 409,
      error: {
        type: '/problems/invitation_already_pending',
        title: 'Invitation already pending',
        status: 409,
        detail: 'alan@example.com already has a pending invitation to this organization.',
        code: 'invitation_already_pending',
      },
    },
  ],
  created: 1,
  failed: 1,
};

export const PREVIEW_EXAMPLE = {
  organization_name: 'Acme Corp',
  inviter_name: 'Grace Hopper',
  role: 'member',
  resource: null,
  actions: null,
  expire_time: INVITATION_EXAMPLE.expire_time,
};

export const BATCH_CREATE_EXAMPLE = {
  invitations: [CREATE_EXAMPLE, { email: 'alan@example.com', role: 'admin' }],
  send_email: true,
};
