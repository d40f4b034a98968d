import type { Executor } from '../db/database.ts';
import { newId } from '../lib/ids.ts';
import { enqueue, type OutboxMessage } from '../outbox/outbox.repository.ts';
import { auditEvent, type EventRecord, insertEvents, WEBHOOK_EVENT_TYPES } from './event.repository.ts';
import { subscriptionsOf } from './subscriptions.repository.ts';

const WEBHOOK_TYPES: ReadonlySet<string> = new Set(WEBHOOK_EVENT_TYPES);

/**
 * Appends events to the history and, in the same transaction, queues one webhook message per
 * subscribed endpoint: an event is never recorded without its webhooks, nor sent without
 * being recorded.
 */
export async function recordEvents(db: Executor, events: EventRecord[]): Promise<void> {
  if (events.length === 0) return;
  await insertEvents(db, events);
  const hooked = events.filter((event) => event.organizationId && WEBHOOK_TYPES.has(event.type));
  if (hooked.length === 0) return;
  const endpoints = await subscriptionsOf(db, [...new Set(hooked.map((event) => event.organizationId!))]);
  if (endpoints.length === 0) return;
  const messages: OutboxMessage[] = [];
  for (const event of hooked) {
    for (const endpoint of endpoints) {
      if (endpoint.organizationId !== event.organizationId) continue;
      if (!endpoint.eventTypes.has(event.type)) continue;
      messages.push({
        id: newId('msg', event.createdAt),
        kind: 'webhook',
        topic: event.type,
        organizationId: event.organizationId,
        invitationId: event.invitationId,
        endpointId: endpoint.endpointId,
        dedupeKey: `webhook:${event.id}:${endpoint.endpointId}`,
        payload: webhookPayload(event),
        createdAt: event.createdAt,
      });
    }
  }
  await enqueue(db, messages);
}

/** Records one administrative action (and its webhooks, when it has any). */
export function recordAudit(db: Executor, action: Parameters<typeof auditEvent>[0]): Promise<void> {
  return recordEvents(db, [auditEvent(action)]);
}

/**
 * The Standard Webhooks body: `type`, `timestamp` and `data`. `as` sends an event under another
 * type with its own data (the webhook test, which carries its audit event's id).
 */
export function webhookPayload(
  event: EventRecord,
  as: { type: string; data: Record<string, unknown> } = { type: event.type, data: event.data },
): Record<string, unknown> {
  return {
    type: as.type,
    timestamp: event.createdAt.toISOString(),
    data: {
      event_id: event.id,
      organization_id: event.organizationId,
      from_status: event.fromStatus,
      to_status: event.toStatus,
      actor: event.actorUserId ? { user_id: event.actorUserId, api_key_id: event.actorApiKeyId } : null,
      ...as.data,
      ...event.snapshot,
    },
  };
}
