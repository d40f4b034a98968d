import { sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '../lib/errors.ts';
import type { RateLimiter } from '../lib/rate-limiter.ts';
import { outboxBacklog } from '../outbox/outbox.repository.ts';
import type { App } from './app-types.ts';

/** Backstop: the connect, statement and Redis command timeouts normally answer well before. */
const READY_TIMEOUT_MS = 10_000;

function withinReadyTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('readiness check timed out')), READY_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function healthRoutes(
  app: App,
  database: Database,
  rateLimiter: RateLimiter,
  clock: Clock = systemClock,
) {
  app.get('/healthz', {
    config: { auth: 'public' },
    schema: { hide: true, response: { 200: z.object({ status: z.literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    config: { auth: 'public' },
    schema: { hide: true },
    handler: async (_request, reply) => {
      const [outbox, rateLimits] = await Promise.all([
        withinReadyTimeout(
          sql`select 1`.execute(database.db).then(() => outboxBacklog(database.db, clock.now())),
        ).catch(() => undefined),
        withinReadyTimeout(rateLimiter.ready()).catch(() => false),
      ]);
      if (outbox && rateLimits) return { status: 'ready', database: database.engine, outbox };
      return reply
        .code(503)
        .header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS))
        .send({
          status: 'unavailable',
          database: database.engine,
          checks: { database: outbox ? 'ok' : 'unavailable', rate_limits: rateLimits ? 'ok' : 'unavailable' },
        });
    },
  });
}
