import type { Executor } from '../db/database.ts';

/** What fan-out needs of a webhook endpoint: where it belongs and which event types it takes. */
export interface Subscription {
  endpointId: string;
  organizationId: string;
  eventTypes: ReadonlySet<string>;
}

/**
 * Enabled webhook endpoints of these organizations, read by the recorder in the transaction that
 * records the events, so that a new event's webhooks are queued with it. `webhooks/` owns the
 * endpoints; this is the one read the records layer makes of them.
 */
export async function subscriptionsOf(db: Executor, organizationIds: string[]): Promise<Subscription[]> {
  if (organizationIds.length === 0) return [];
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(['id', 'organization_id', 'event_types'])
    .where('organization_id', 'in', organizationIds)
    .where('enabled', '=', true)
    .execute();
  return rows.map((row) => ({
    endpointId: row.id,
    organizationId: row.organization_id,
    eventTypes: new Set(JSON.parse(row.event_types) as string[]),
  }));
}
