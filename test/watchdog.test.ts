import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OutboxHandler, OutboxWorker } from '../src/delivery/outbox.worker.ts';
import { systemClock } from '../src/lib/clock.ts';
import { AppError } from '../src/lib/errors.ts';
import { newId } from '../src/lib/ids.ts';
import { RedisRateLimiter } from '../src/lib/rate-limiter.ts';
import { enqueue } from '../src/outbox/outbox.repository.ts';
import { freePort, freshDatabase, type Harness, harness, quietLogger } from './helpers.ts';

async function until(what: string, check: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the outbox worker cannot be stopped by a call that never returns', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    fresh = await freshDatabase();
  });
  afterAll(async () => {
    await fresh.drop();
  });

  it('abandons a batch at its deadline and keeps delivering what comes after', {
    timeout: 40_000,
  }, async () => {
    const delivered: string[] = [];
    // A delivery that hangs for good, as a half-open connection would without timeouts.
    const handler: OutboxHandler = {
      maxAttempts: 10,
      backoffMs: () => 60_000,
      deliver: (message) =>
        message.dedupeKey.startsWith('stuck')
          ? new Promise(() => {})
          : Promise.resolve().then(() => {
              delivered.push(message.dedupeKey);
              return { ok: true as const };
            }),
      settled: async () => {},
    };
    const worker = new OutboxWorker({
      database: fresh.database,
      clock: systemClock,
      logger: quietLogger,
      handlers: { email: handler, webhook: handler },
      leaseMs: 1_000,
      pollMs: 50,
    });
    const message = (key: string) => ({
      id: newId('obx', new Date()),
      kind: 'email' as const,
      topic: 'test',
      organizationId: null,
      invitationId: null,
      dedupeKey: key,
      payload: {},
      createdAt: new Date(),
    });
    await enqueue(fresh.database.db, [message('stuck-1')]);
    worker.start();
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await enqueue(fresh.database.db, [message('later-1'), message('later-2')]);
      worker.nudge();
      await until('the later messages', () => delivered.length === 2, 20_000);
      expect(delivered.sort()).toEqual(['later-1', 'later-2']);
      expect(worker.loop.stats.abandoned).toBeGreaterThan(0);
    } finally {
      await worker.stop();
    }
  });
});

describe('a live worker keeps its claims', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => {
    fresh = await freshDatabase();
  });
  afterAll(async () => {
    await fresh.drop();
  });

  it('renews the lease of a delivery slower than the lease, so a second worker never sends it again', {
    timeout: 40_000,
  }, async () => {
    const sends: string[] = [];
    const slow: OutboxHandler = {
      maxAttempts: 10,
      backoffMs: () => 60_000,
      deliver: async (message) => {
        sends.push(message.dedupeKey);
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        return { ok: true as const };
      },
      settled: async () => {},
    };
    const workers = [1, 2].map(
      () =>
        new OutboxWorker({
          database: fresh.database,
          clock: systemClock,
          logger: quietLogger,
          handlers: { email: slow, webhook: slow },
          leaseMs: 600,
          pollMs: 50,
        }),
    );
    await enqueue(fresh.database.db, [
      {
        id: newId('obx', new Date()),
        kind: 'email' as const,
        topic: 'test',
        organizationId: null,
        invitationId: null,
        dedupeKey: 'slow-1',
        payload: {},
        createdAt: new Date(),
      },
    ]);
    for (const worker of workers) worker.start();
    try {
      await until('the slow delivery to settle', () => sends.length > 0, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect(sends).toEqual(['slow-1']);
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
    }
  });
});

describe('rate limits while Redis is unreachable', () => {
  it('count in this process for most uses, refuse sign-in with 503, and answer at once', async () => {
    const limiter = new RedisRateLimiter(`redis://127.0.0.1:${await freePort()}`, { clock: systemClock });
    try {
      const rule = { limit: 2, windowMs: 60_000 };
      // The first call waits for the first connection, briefly (2 s); later calls not at all.
      await limiter.consume('warm-up', rule);
      const started = Date.now();
      const decisions = [];
      for (let i = 0; i < 3; i++) decisions.push(await limiter.consume('recipient:x', rule));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, false]);
      const refused = await limiter.consume('sign-in:x', { ...rule, onOutage: 'refuse' }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(AppError);
      expect((refused as AppError).status).toBe(503);
      expect((refused as AppError).headers['retry-after']).toBeDefined();
      expect(await limiter.ready()).toBe(false);
      // Five calls to an unreachable Redis; generous for a loaded CI machine, far below the
      // 10 s a call waited before.
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await limiter.close();
    }
  });
});

describe('signing in while Redis is unreachable', () => {
  let h: Harness;
  let limiter: RedisRateLimiter;
  beforeAll(async () => {
    limiter = new RedisRateLimiter(`redis://127.0.0.1:${await freePort()}`, { clock: systemClock });
    h = await harness({ deps: { rateLimiter: limiter } });
  });
  afterAll(async () => {
    await h?.close();
    await limiter?.close();
  });

  it('refuses password checks with 503 and Retry-After, and still takes a key id with its secret', {
    timeout: 30_000,
  }, async () => {
    const basic = (user: string, secret: string) =>
      `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
    const key = await h.call('POST', '/v1/api-keys', { body: { name: 'while-redis-is-down' } });
    expect(key.status).toBe(201);
    const byKey = await h.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: basic(key.body.id, key.body.secret) },
    });
    expect(byKey.statusCode).toBe(200);
    const byPassword = await h.app.inject({
      method: 'GET',
      url: '/v1/me',
      headers: { authorization: basic('owner@acme.test', 'owner-password') },
    });
    expect(byPassword.statusCode).toBe(503);
    expect(byPassword.headers['retry-after']).toBeDefined();
    expect(byPassword.headers['content-type']).toContain('application/problem+json');
  });
});
