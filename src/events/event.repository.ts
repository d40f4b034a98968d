import type { Executor } from '../db/database.ts';
import { toDate } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';

export const EVENT_TYPES = [
  'invitation.created',
  'invitation.updated',
  'invitation.resent',
  'invitation.revoked',
  'invitation.accepted',
  'invitation.declined',
  'invitation.expired',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface EventRecord {
  id: string;
  invitationId: string;
  organizationId: string;
  type: EventType;
  fromStatus: string | null;
  toStatus: string | null;
  actorUserId: string | null;
  actorApiKeyId: string | null;
  data: Record<string, unknown>;
  createdAt: Date;
}

/** An event for a transition of `invitation`, by `actor` (null when rsvp itself acted). */
export function transitionEvent(
  invitation: { id: string; organizationId: string },
  type: EventType,
  fromStatus: string | null,
  toStatus: string | null,
  actor: { user: { id: string }; apiKeyId: string | null } | null,
  now: Date,
  data: Record<string, unknown> = {},
): EventRecord {
  return {
    id: newId('evt', now),
    invitationId: invitation.id,
    organizationId: invitation.organizationId,
    type,
    fromStatus,
    toStatus,
    actorUserId: actor?.user.id ?? null,
    actorApiKeyId: actor?.apiKeyId ?? null,
    data,
    createdAt: now,
  };
}

/** Append-only: there is no update or delete for events anywhere in the code. */
export async function appendEvents(db: Executor, events: EventRecord[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('invitation_events')
    .values(
      events.map((event) => ({
        id: event.id,
        invitation_id: event.invitationId,
        organization_id: event.organizationId,
        type: event.type,
        from_status: event.fromStatus,
        to_status: event.toStatus,
        actor_user_id: event.actorUserId,
        actor_api_key_id: event.actorApiKeyId,
        data: JSON.stringify(event.data),
        created_at: event.createdAt,
      })),
    )
    .execute();
}

export async function listEvents(
  db: Executor,
  options: {
    organizationIds: string[] | 'all';
    invitationId?: string | undefined;
    types?: string[] | undefined;
    afterId?: string | undefined;
    limit: number;
  },
): Promise<EventRecord[]> {
  if (options.organizationIds !== 'all' && options.organizationIds.length === 0) return [];
  let query = db.selectFrom('invitation_events').selectAll().orderBy('id').limit(options.limit);
  if (options.organizationIds !== 'all')
    query = query.where('organization_id', 'in', options.organizationIds);
  if (options.invitationId) query = query.where('invitation_id', '=', options.invitationId);
  if (options.types?.length) query = query.where('type', 'in', options.types);
  if (options.afterId) query = query.where('id', '>', options.afterId);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    invitationId: row.invitation_id,
    organizationId: row.organization_id,
    type: row.type as EventType,
    fromStatus: row.from_status,
    toStatus: row.to_status,
    actorUserId: row.actor_user_id,
    actorApiKeyId: row.actor_api_key_id,
    data: JSON.parse(row.data) as Record<string, unknown>,
    createdAt: toDate(row.created_at),
  }));
}
