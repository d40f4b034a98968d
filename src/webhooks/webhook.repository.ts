import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import { toDate } from '../lib/clock.ts';

export interface WebhookEndpointRecord {
  id: string;
  organizationId: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  sealedSecret: string;
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

type EndpointRow = {
  id: string;
  organization_id: string;
  url: string;
  description: string | null;
  event_types: string;
  sealed_secret: string;
  enabled: boolean | number;
  created_at: Date | string;
  updated_at: Date | string;
};

function toEndpoint(row: EndpointRow): WebhookEndpointRecord {
  return {
    id: row.id,
    organizationId: row.organization_id,
    url: row.url,
    description: row.description,
    eventTypes: JSON.parse(row.event_types) as string[],
    sealedSecret: row.sealed_secret,
    enabled: Boolean(row.enabled),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

export async function insertEndpoint(db: Executor, endpoint: WebhookEndpointRecord): Promise<void> {
  await db
    .insertInto('webhook_endpoints')
    .values({
      id: endpoint.id,
      organization_id: endpoint.organizationId,
      url: endpoint.url,
      description: endpoint.description,
      event_types: JSON.stringify(endpoint.eventTypes),
      sealed_secret: endpoint.sealedSecret,
      enabled: endpoint.enabled,
      created_at: endpoint.createdAt,
      updated_at: endpoint.updatedAt,
    })
    .execute();
}

export async function findEndpoint(
  db: Executor,
  organizationId: string,
  id: string,
): Promise<WebhookEndpointRecord | undefined> {
  const row = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row ? toEndpoint(row) : undefined;
}

export async function findEndpointById(db: Executor, id: string): Promise<WebhookEndpointRecord | undefined> {
  const row = await db.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toEndpoint(row) : undefined;
}

export async function listEndpoints(db: Executor, organizationId: string): Promise<WebhookEndpointRecord[]> {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('id')
    .execute();
  return rows.map(toEndpoint);
}

export async function updateEndpoint(
  db: Executor,
  id: string,
  changes: Partial<
    Pick<WebhookEndpointRecord, 'url' | 'description' | 'eventTypes' | 'enabled' | 'sealedSecret'>
  >,
  now: Date,
): Promise<void> {
  await db
    .updateTable('webhook_endpoints')
    .set({
      updated_at: now,
      ...(changes.url !== undefined ? { url: changes.url } : {}),
      ...(changes.description !== undefined ? { description: changes.description } : {}),
      ...(changes.eventTypes !== undefined ? { event_types: JSON.stringify(changes.eventTypes) } : {}),
      ...(changes.enabled !== undefined ? { enabled: changes.enabled } : {}),
      ...(changes.sealedSecret !== undefined ? { sealed_secret: changes.sealedSecret } : {}),
    })
    .where('id', '=', id)
    .execute();
}

export async function deleteEndpoint(db: Executor, id: string): Promise<void> {
  await db.deleteFrom('webhook_endpoints').where('id', '=', id).execute();
}

export interface DeliveryRecord {
  id: string;
  endpointId: string;
  eventType: string;
  payload: Record<string, unknown>;
  status: 'pending' | 'processing' | 'done' | 'dead';
  attempts: number;
  nextAttemptAt: Date;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
}

/** The endpoint's delivery log, newest first. */
export async function listDeliveries(
  db: Executor,
  endpointId: string,
  options: { beforeId?: string | undefined; status?: string | undefined; limit: number },
): Promise<DeliveryRecord[]> {
  let query = db
    .selectFrom('outbox')
    .selectAll()
    .where('endpoint_id', '=', endpointId)
    .orderBy('id', 'desc')
    .limit(options.limit);
  if (options.beforeId) query = query.where('id', '<', options.beforeId);
  if (options.status) query = query.where('status', '=', options.status as DeliveryRecord['status']);
  const rows = await query.execute();
  return rows.map((row) => ({
    id: row.id,
    endpointId: row.endpoint_id!,
    eventType: row.topic,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: toDate(row.next_attempt_at),
    lastError: row.last_error,
    deliveredAt: row.delivered_at === null ? null : toDate(row.delivered_at),
    createdAt: toDate(row.created_at),
  }));
}

export interface AttemptRecord {
  id: string;
  outboxId: string;
  endpointId: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  createdAt: Date;
}

export async function insertAttempt(db: Executor, attempt: AttemptRecord): Promise<void> {
  await db
    .insertInto('webhook_attempts')
    .values({
      id: attempt.id,
      outbox_id: attempt.outboxId,
      endpoint_id: attempt.endpointId,
      status_code: attempt.statusCode,
      error: attempt.error,
      duration_ms: attempt.durationMs,
      created_at: attempt.createdAt,
    })
    .execute();
}

export async function attemptsFor(db: Executor, outboxIds: string[]): Promise<AttemptRecord[]> {
  if (outboxIds.length === 0) return [];
  const rows = await db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where('outbox_id', 'in', outboxIds)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    id: row.id,
    outboxId: row.outbox_id,
    endpointId: row.endpoint_id,
    statusCode: row.status_code,
    error: row.error,
    durationMs: row.duration_ms,
    createdAt: toDate(row.created_at),
  }));
}

/**
 * Queues a delivery of the endpoint again, now, with a fresh attempt budget. A delivery being
 * attempted right now is left alone: it has a worker.
 */
export async function requeueDelivery(
  db: Executor,
  endpointId: string,
  id: string,
  now: Date,
): Promise<boolean> {
  const result = await db
    .updateTable('outbox')
    .set({
      status: 'pending',
      attempts: 0,
      next_attempt_at: now,
      updated_at: now,
      locked_by: null,
      locked_until: null,
    })
    .where('id', '=', id)
    .where('endpoint_id', '=', endpointId)
    .where('status', 'in', ['done', 'dead', 'pending'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Counts, for an endpoint's health at a glance. */
export async function deliveryCounts(db: Executor, endpointId: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('outbox')
    .select(['status', sql<number>`count(*)`.as('n')])
    .where('endpoint_id', '=', endpointId)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((row) => [row.status, Number(row.n)]));
}
