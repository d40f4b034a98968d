import type { ColumnType, Generated } from 'kysely';

/** Timestamps: `timestamptz` on PostgreSQL (read as Date), ISO-8601 UTC text on SQLite. */
export type Timestamp = Date | string;
/** Booleans: `boolean` on PostgreSQL, 0/1 on SQLite. */
export type Bool = ColumnType<boolean | number, boolean, boolean>;
/** JSON is stored as text on both engines so neither driver second-guesses it. */
export type JsonText = string;

export interface OrganizationTable {
  id: string;
  /** Integer number, for wire formats with integer ids. */
  seq: Generated<number>;
  uuid: string;
  slug: string;
  name: string;
  settings: JsonText;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UserTable {
  id: string;
  /** Integer number, for wire formats with integer ids. */
  seq: Generated<number>;
  uuid: string;
  email: string;
  email_canonical: string;
  username: string | null;
  display_name: string | null;
  password_hash: string | null;
  status: 'active' | 'placeholder' | 'deactivated';
  is_instance_admin: Bool;
  external_id: string | null;
  /** The address is proven the owner's (see migration 012). */
  email_verified: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MembershipTable {
  organization_id: string;
  user_id: string;
  role: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  public_metadata: Generated<JsonText>;
  private_metadata: Generated<JsonText>;
}

export interface ResourceTable {
  id: string;
  uuid: string;
  organization_id: string;
  type: string;
  name: string;
  created_at: Timestamp;
}

export interface ResourceGrantTable {
  resource_id: string;
  user_id: string;
  actions: JsonText;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired';
export type DeliveryState = 'queued' | 'sent' | 'failed' | 'not_sent';

export interface InvitationTable {
  id: string;
  uuid: string;
  organization_id: string;
  /** The organization id or the resource id: the scope of the one-pending-invitation rule. */
  target_key: string;
  resource_id: string | null;
  role: string | null;
  actions: JsonText | null;
  email: string;
  email_canonical: string;
  invitee_user_id: string | null;
  inviter_user_id: string;
  inviter_api_key_id: string | null;
  message: string | null;
  locale: string | null;
  metadata: JsonText;
  status: InvitationStatus;
  delivery_state: DeliveryState;
  delivery_error: string | null;
  send_count: number;
  token_hash: string;
  version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  expires_at: Timestamp;
  last_sent_at: Timestamp | null;
  responded_at: Timestamp | null;
  responded_by_user_id: string | null;
  remind_at: Timestamp | null;
  link_style: 'token' | 'jwt';
  reminder_sent_at: Timestamp | null;
  /** See migration 014: the token hash of the link only the mailbox received, if any. */
  link_proof_hash: string | null;
  redirect_url: string | null;
  public_metadata: JsonText;
  private_metadata: JsonText;
  /** A combined invitation's resource grants, `[{resource_id, actions}]`; null for the others. */
  grants: JsonText | null;
}

export interface EventTable {
  id: string;
  /** Null for events about something outside any organization, such as a user's API key. */
  organization_id: string | null;
  subject_type: string;
  subject_id: string;
  invitation_id: string | null;
  type: string;
  from_status: string | null;
  to_status: string | null;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  actor_ip: string | null;
  actor_user_agent: string | null;
  data: JsonText;
  created_at: Timestamp;
}

export interface OutboxTable {
  id: string;
  kind: 'email' | 'webhook';
  topic: string;
  organization_id: string | null;
  invitation_id: string | null;
  dedupe_key: string;
  payload: JsonText;
  status: 'pending' | 'processing' | 'done' | 'dead';
  attempts: number;
  next_attempt_at: Timestamp;
  last_error: string | null;
  locked_by: string | null;
  locked_until: Timestamp | null;
  /** Webhook messages only: the endpoint this copy goes to. */
  endpoint_id: string | null;
  delivered_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookEndpointTable {
  id: string;
  organization_id: string;
  url: string;
  description: string | null;
  event_types: JsonText;
  /** AES-GCM sealed: signing needs the secret itself, so it cannot be hashed. */
  sealed_secret: string;
  enabled: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhookAttemptTable {
  id: string;
  outbox_id: string;
  endpoint_id: string;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created_at: Timestamp;
}

export interface CapturedEmailTable {
  id: string;
  message_id: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  created_at: Timestamp;
}

export interface ApiKeyTable {
  id: string;
  user_id: string;
  name: string;
  secret_hash: string;
  /** First characters of the secret, shown in listings so people can tell keys apart. */
  secret_hint: string;
  scopes: JsonText;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface IdempotencyKeyTable {
  principal_id: string;
  key: string;
  fingerprint: string;
  state: 'in_flight' | 'done';
  status_code: number | null;
  response_headers: JsonText | null;
  response_body: string | null;
  created_at: Timestamp;
}

export interface InstanceSecretTable {
  name: string;
  value: string;
  created_at: Timestamp;
}

export interface BrowserSessionTable {
  /** SHA-256 of the cookie's secret. */
  id: string;
  user_id: string;
  credential_tag: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface InstanceSettingTable {
  name: string;
  value: string;
  updated_at: Timestamp;
}

/** An organization's own template for one locale (Liquid source; see docs/decisions.md). */
export interface EmailTemplateTable {
  organization_id: string;
  locale: string;
  subject: string;
  html: string;
  text: string;
  updated_by_user_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface JoinLinkTable {
  id: string;
  organization_id: string;
  resource_id: string | null;
  role: string | null;
  actions: JsonText | null;
  description: string | null;
  /** SHA-256 of the link's secret. */
  secret_hash: string;
  max_uses: number | null;
  use_count: number;
  allowed_domain: string | null;
  requires_approval: Bool;
  created_by_user_id: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  expires_at: Timestamp;
  rotated_at: Timestamp | null;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export type JoinRequestStatus = 'pending' | 'approved' | 'rejected' | 'joined';

export interface JoinRequestTable {
  id: string;
  organization_id: string;
  user_id: string;
  target_key: string;
  resource_id: string | null;
  role: string | null;
  actions: JsonText | null;
  source: 'link' | 'domain';
  join_link_id: string | null;
  domain: string | null;
  status: JoinRequestStatus;
  reason: string | null;
  decided_by_user_id: string | null;
  decided_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface EmailBrandingTable {
  organization_id: string;
  logo_url: string | null;
  primary_color: string | null;
  sender_name: string | null;
  updated_at: Timestamp;
}

export interface OrganizationDomainTable {
  id: string;
  organization_id: string;
  domain: string;
  verification_token: string;
  status: 'pending' | 'verified';
  join_mode: 'none' | 'offer' | 'auto_join';
  role: string;
  requires_approval: Bool;
  created_at: Timestamp;
  updated_at: Timestamp;
  verified_at: Timestamp | null;
  checked_at: Timestamp | null;
  check_error: string | null;
}

/** One row (id 1): moves with every change to what an API key grants (migration 011). */
export interface AuthEpochTable {
  id: number;
  version: number | string;
}

/** A sign-up waiting for its address to be confirmed (migration 013). */
export interface SignUpTable {
  id: string;
  email: string;
  email_canonical: string;
  /** SHA-256 of the mailed link's secret. */
  token_hash: string;
  /** The join link the sign-up started from, encrypted with the instance key. */
  sealed_join_token: string | null;
  locale: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface DB {
  organizations: OrganizationTable;
  users: UserTable;
  memberships: MembershipTable;
  resources: ResourceTable;
  resource_grants: ResourceGrantTable;
  invitations: InvitationTable;
  events: EventTable;
  webhook_endpoints: WebhookEndpointTable;
  webhook_attempts: WebhookAttemptTable;
  captured_emails: CapturedEmailTable;
  outbox: OutboxTable;
  api_keys: ApiKeyTable;
  idempotency_keys: IdempotencyKeyTable;
  instance_secrets: InstanceSecretTable;
  browser_sessions: BrowserSessionTable;
  instance_settings: InstanceSettingTable;
  email_templates: EmailTemplateTable;
  email_branding: EmailBrandingTable;
  join_links: JoinLinkTable;
  join_requests: JoinRequestTable;
  organization_domains: OrganizationDomainTable;
  auth_epoch: AuthEpochTable;
  sign_ups: SignUpTable;
}
