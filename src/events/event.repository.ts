import { inChunks } from '../db/chunks.ts';
import type { Executor } from '../db/database.ts';
import { toDate } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';

/** What happened to invitations; these are also webhook event types. */
export const INVITATION_EVENT_TYPES = [
  'invitation.created',
  'invitation.updated',
  'invitation.sent',
  'invitation.delivery_failed',
  'invitation.resent',
  'invitation.reminded',
  'invitation.revoked',
  'invitation.accepted',
  'invitation.declined',
  'invitation.expired',
] as const;

/** Administrative actions, recorded for the audit trail. */
export const ADMIN_EVENT_TYPES = [
  'membership.created',
  'membership.role_changed',
  'membership.removed',
  'organization.created',
  'organization.updated',
  'resource.created',
  'resource.deleted',
  'grant.updated',
  'grant.deleted',
  'api_key.created',
  'api_key.revoked',
  'user.created',
  'user.password_set',
  'webhook_endpoint.created',
  'webhook_endpoint.updated',
  'webhook_endpoint.deleted',
  'webhook.test_sent',
  'email_template.updated',
  'email_template.deleted',
  'email_template.test_sent',
  'email_branding.updated',
  'email_branding.deleted',
  'join_link.created',
  'join_link.rotated',
  'join_link.revoked',
  'join_request.created',
  'join_request.approved',
  'join_request.rejected',
  'domain.added',
  'domain.updated',
  'domain.verified',
  'domain.removed',
] as const;

export const EVENT_TYPES = [...INVITATION_EVENT_TYPES, ...ADMIN_EVENT_TYPES] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const WEBHOOK_EVENT_TYPES = [
  'invitation.created',
  'invitation.sent',
  'invitation.delivery_failed',
  'invitation.resent',
  'invitation.accepted',
  'invitation.declined',
  'invitation.revoked',
  'invitation.expired',
  'membership.created',
  'join_link.created',
  'join_link.rotated',
  'join_link.revoked',
  'join_request.created',
  'join_request.approved',
  'join_request.rejected',
  'domain.added',
  'domain.updated',
  'domain.verified',
  'domain.removed',
] as const satisfies readonly EventType[];

/** Who acted, and from where; null when rsvp itself acted (expiry, delivery). */
export interface Actor {
  user: { id: string };
  apiKeyId: string | null;
  client?: { ip: string; userAgent: string | null } | undefined;
}

export interface EventRecord {
  id: string;
  organizationId: string | null;
  subjectType: string;
  subjectId: string;
  invitationId: string | null;
  type: EventType;
  fromStatus: string | null;
  toStatus: string | null;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  actorIp: string | null;
  actorUserAgent: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
  /** The subject as it stood after the event: the webhook payload, not stored in the history. */
  snapshot?: Record<string, unknown>;
}

export interface InvitationSnapshotSource {
  id: string;
  organizationId: string;
  email: string;
  role: string | null;
  actions: string[] | null;
  resourceId: string | null;
  status: string;
  deliveryState: string;
  deliveryError: string | null;
  sendCount: number;
  expiresAt: Date;
  createdAt: Date;
  metadata: Record<string, string>;
  publicMetadata?: Record<string, unknown>;
  privateMetadata?: Record<string, unknown>;
  redirectUrl?: string | null;
  grants?: { resourceId: string; actions: string[] }[] | null;
}

/** The newer fields, only when set: snapshots of invitations without them keep their shape. */
function extendedSnapshot(invitation: InvitationSnapshotSource) {
  const { publicMetadata, privateMetadata, redirectUrl, grants } = invitation;
  return {
    ...(grants ? { grants: grants.map((g) => ({ resource_id: g.resourceId, actions: g.actions })) } : {}),
    ...(publicMetadata && Object.keys(publicMetadata).length ? { public_metadata: publicMetadata } : {}),
    ...(privateMetadata && Object.keys(privateMetadata).length ? { private_metadata: privateMetadata } : {}),
    ...(redirectUrl ? { redirect_url: redirectUrl } : {}),
  };
}

function actorColumns(actor: Actor | null) {
  return {
    actorUserId: actor?.user.id ?? null,
    actorApiKeyId: actor?.apiKeyId ?? null,
    actorIp: actor?.client?.ip ?? null,
    actorUserAgent: actor?.client?.userAgent ?? null,
  };
}

/** An event for a transition of `invitation`. */
export function transitionEvent(
  invitation: InvitationSnapshotSource,
  type: EventType,
  fromStatus: string | null,
  toStatus: string | null,
  actor: Actor | null,
  now: Date,
  data: Record<string, unknown> = {},
): EventRecord {
  return {
    id: newId('evt', now),
    organizationId: invitation.organizationId,
    subjectType: 'invitation',
    subjectId: invitation.id,
    invitationId: invitation.id,
    type,
    fromStatus,
    toStatus,
    ...actorColumns(actor),
    data,
    createdAt: now,
    snapshot: {
      invitation: {
        id: invitation.id,
        organization_id: invitation.organizationId,
        email: invitation.email,
        role: invitation.role,
        actions: invitation.actions,
        resource_id: invitation.resourceId,
        status: invitation.status,
        delivery_state: invitation.deliveryState,
        delivery_error: invitation.deliveryError,
        send_count: invitation.sendCount,
        metadata: invitation.metadata,
        expire_time: invitation.expiresAt.toISOString(),
        create_time: invitation.createdAt.toISOString(),
        ...extendedSnapshot(invitation),
      },
    },
  };
}

/** An administrative action on `subject`; `data` says what changed. */
export function auditEvent(options: {
  type: EventType;
  organizationId: string | null;
  subject: { type: string; id: string };
  actor: Actor | null;
  now: Date;
  data?: Record<string, unknown>;
  invitationId?: string | null;
  snapshot?: Record<string, unknown>;
}): EventRecord {
  return {
    id: newId('evt', options.now),
    organizationId: options.organizationId,
    subjectType: options.subject.type,
    subjectId: options.subject.id,
    invitationId: options.invitationId ?? null,
    type: options.type,
    fromStatus: null,
    toStatus: null,
    ...actorColumns(options.actor),
    data: options.data ?? {},
    createdAt: options.now,
    ...(options.snapshot ? { snapshot: options.snapshot } : {}),
  };
}

/** Append-only: there is no update or delete for events anywhere in the code. */
export async function insertEvents(db: Executor, events: EventRecord[]): Promise<void> {
  await inChunks(events, (slice) =>
    db
      .insertInto('events')
      .values(
        slice.map((event) => ({
          id: event.id,
          organization_id: event.organizationId,
          subject_type: event.subjectType,
          subject_id: event.subjectId,
          invitation_id: event.invitationId,
          type: event.type,
          from_status: event.fromStatus,
          to_status: event.toStatus,
          actor_user_id: event.actorUserId,
          actor_api_key_id: event.actorApiKeyId,
          actor_ip: event.actorIp,
          actor_user_agent: event.actorUserAgent,
          data: JSON.stringify(event.data),
          created_at: event.createdAt,
        })),
      )
      .execute(),
  );
}

export interface EventQuery {
  /** 'all' for an instance admin; organization-less events are visible only to them. */
  organizationIds: string[] | 'all';
  invitationId?: string | undefined;
  subjectType?: string | undefined;
  subjectId?: string | undefined;
  actorUserId?: string | undefined;
  types?: string[] | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
  afterId?: string | undefined;
  limit: number;
}

export async function listEvents(db: Executor, options: EventQuery): Promise<EventRecord[]> {
  if (options.organizationIds !== 'all' && options.organizationIds.length === 0) return [];
  let query = db.selectFrom('events').selectAll().orderBy('id').limit(options.limit);
  if (options.organizationIds !== 'all')
    query = query.where('organization_id', 'in', options.organizationIds);
  if (options.invitationId) query = query.where('invitation_id', '=', options.invitationId);
  if (options.subjectType) query = query.where('subject_type', '=', options.subjectType);
  if (options.subjectId) query = query.where('subject_id', '=', options.subjectId);
  if (options.actorUserId) query = query.where('actor_user_id', '=', options.actorUserId);
  if (options.types?.length) query = query.where('type', 'in', options.types);
  if (options.since) query = query.where('created_at', '>=', options.since);
  if (options.until) query = query.where('created_at', '<', options.until);
  if (options.afterId) query = query.where('id', '>', options.afterId);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    organizationId: row.organization_id,
    subjectType: row.subject_type,
    subjectId: row.subject_id,
    invitationId: row.invitation_id,
    type: row.type as EventType,
    fromStatus: row.from_status,
    toStatus: row.to_status,
    actorUserId: row.actor_user_id,
    actorApiKeyId: row.actor_api_key_id,
    actorIp: row.actor_ip,
    actorUserAgent: row.actor_user_agent,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: toDate(row.created_at),
  }));
}
