import type { Executor } from '../db/database.ts';
import type { EventType } from './event.repository.ts';

/**
 * How many events of each of `types` were ever recorded. Events are append-only and written in
 * the transaction of the change they describe, so a rolled-back change is never counted.
 */
export async function countEventsByType(
  db: Executor,
  types: readonly string[],
): Promise<Map<EventType, number>> {
  const rows = await db
    .selectFrom('events')
    .select(['type', (eb) => eb.fn.countAll<number>().as('n')])
    .where('type', 'in', types as EventType[])
    .groupBy('type')
    .execute();
  return new Map(rows.map((row) => [row.type as EventType, Number(row.n)]));
}
