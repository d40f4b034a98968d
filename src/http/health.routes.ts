import { sql } from 'kysely';
import { z } from 'zod';
import type { Database } from '../db/database.ts';
import { type Clock, systemClock } from '../lib/clock.ts';
import { UNAVAILABLE_RETRY_AFTER_SECONDS } from '../lib/errors.ts';
import type { RateLimiter } from '../lib/rate-limiter.ts';
import { outboxBacklog } from '../outbox/outbox.repository.ts';
import { type App, problems } from './app-types.ts';

/** Backstop: the connect, statement and Redis command timeouts normally answer well before. */
const READY_TIMEOUT_MS = 10_000;

function withinReadyTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error('readiness check timed out')), READY_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const ReadySchema = z
  .object({
    status: z.literal('ready'),
    database: z.enum(['sqlite', 'postgres']),
    outbox: z
      .object({ due: z.int(), retrying: z.int(), dead: z.int() })
      .describe('Outbox messages due now, waiting to retry, and given up on.'),
  })
  .meta({
    examples: [{ status: 'ready', database: 'postgres', outbox: { due: 0, retrying: 1, dead: 0 } }],
  });

const NotReadySchema = z
  .object({
    status: z.literal('unavailable'),
    database: z.enum(['sqlite', 'postgres']),
    checks: z.object({ database: z.enum(['ok', 'unavailable']), rate_limits: z.enum(['ok', 'unavailable']) }),
  })
  .meta({
    examples: [
      { status: 'unavailable', database: 'postgres', checks: { database: 'unavailable', rate_limits: 'ok' } },
    ],
  });

export function healthRoutes(
  app: App,
  database: Database,
  rateLimiter: RateLimiter,
  clock: Clock = systemClock,
) {
  app.get('/healthz', {
    config: { auth: 'public' },
    schema: {
      tags: ['Operations'],
      operationId: 'getHealth',
      summary: 'Liveness',
      description:
        'Answers 200 while the process serves requests, whatever its dependencies; for restarts, not for routing.',
      response: {
        200: z
          .object({ status: z.literal('ok') })
          .meta({ examples: [{ status: 'ok' }] })
          .describe('The process is up.'),
        ...problems(400),
      },
    },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    config: { auth: 'public', responseHeaders: { 503: ['Retry-After'] } },
    schema: {
      tags: ['Operations'],
      operationId: 'getReadiness',
      summary: 'Readiness',
      description:
        'Answers 200 when the database and the rate-limit store answer, with the outbox backlog; 503 ' +
        '(with `Retry-After`) otherwise, so a load balancer stops routing here.',
      response: {
        200: ReadySchema.describe('Ready to serve.'),
        ...problems(400),
        503: NotReadySchema.describe('Not ready.'),
      },
    },
    handler: async (_request, reply) => {
      const [outbox, rateLimits] = await Promise.all([
        withinReadyTimeout(
          sql`select 1`.execute(database.db).then(() => outboxBacklog(database.db, clock.now())),
        ).catch(() => undefined),
        withinReadyTimeout(rateLimiter.ready()).catch(() => false),
      ]);
      if (outbox && rateLimits) return { status: 'ready' as const, database: database.engine, outbox };
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
