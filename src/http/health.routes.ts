import { sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { outboxBacklog } from '../delivery/outbox.repository.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import type { App } from './app-types.ts';

export function healthRoutes(app: App, database: Database, clock: Clock = systemClock) {
  app.get('/healthz', {
    config: { auth: 'public' },
    schema: { hide: true, response: { 200: z.object({ status: z.literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    config: { auth: 'public' },
    schema: { hide: true },
    handler: async (_request, reply) => {
      try {
        await sql`select 1`.execute(database.db);
        const outbox = await outboxBacklog(database.db, clock.now());
        return { status: 'ready', database: database.engine, outbox };
      } catch {
        return reply
          .code(503)
          .header('retry-after', '5')
          .send({ status: 'unavailable', database: database.engine });
      }
    },
  });
}
