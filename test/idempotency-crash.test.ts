import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapShared, ENGINE, freePort, freshDatabase, waitUntilReady } from './helpers.ts';

const ROWS = 400;
/**
 * When to kill -9, as a fraction of how long the previous identical request took: before,
 * during and around its commit (the answer goes out right after it).
 */
const KILL_AT = [0.05, 0.3, 0.6, 0.9, 1, 1.05, 1.2, 2];

describe('Idempotency-Key across kill -9 of the serving process', () => {
  let shared: Awaited<ReturnType<typeof freshDatabase>>;
  let adminKey: string;
  const children = new Set<ChildProcess>();

  async function startServer(): Promise<{ child: ChildProcess; url: string }> {
    const port = await freePort();
    const child = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
      env: {
        ...process.env,
        DATABASE_URL: shared.url,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        RSVP_PUBLIC_URL: 'http://rsvp.test',
        OUTBOX_POLL_MS: '60000',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.add(child);
    child.once('exit', () => children.delete(child));
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady(url);
    return { child, url };
  }

  const batch = (url: string, key: string, prefix: string) =>
    fetch(`${url}/v1/organizations/acme/invitations/batch`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${adminKey}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({
        invitations: Array.from({ length: ROWS }, (_, i) => ({ email: `${prefix}${i}@example.com` })),
        send_email: false,
      }),
    });

  beforeAll(async () => {
    shared = await freshDatabase({ shared: true });
    adminKey = await bootstrapShared(shared.database);
  });
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL');
    await shared.drop();
  });

  it('replays the committed answer or runs a request that never committed: never 409, never twice', async () => {
    let server = await startServer();
    const outcomes: string[] = [];
    const warmStart = Date.now();
    await (await batch(server.url, 'warm-up', 'warm-')).json();
    let took = Date.now() - warmStart;
    for (const [round, fraction] of KILL_AT.entries()) {
      const delay = Math.round(took * fraction);
      const prefix = `crash${round}-`;
      const key = `crash-round-${round}`;
      const first = batch(server.url, key, prefix).then(
        (response) => response.status,
        () => 'cut',
      );
      await new Promise((resolve) => setTimeout(resolve, delay));
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGKILL');
      await exited;
      const firstOutcome = await first;
      server = await startServer();
      const started = Date.now();
      const retry = await batch(server.url, key, prefix);
      took = Date.now() - started;
      const body = (await retry.json()) as { code?: string; results?: { status: number }[] };
      const replayed = retry.headers.get('idempotent-replayed') === 'true';
      outcomes.push(`${delay}ms:${firstOutcome}→${retry.status}${replayed ? ' replayed' : ''} in ${took}ms`);
      expect(retry.status, JSON.stringify(body).slice(0, 300)).toBe(200);
      expect(body.results!.map((row) => row.status)).toEqual(Array(ROWS).fill(201));
      const stored = await shared.database.db
        .selectFrom('invitations')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('email_canonical', 'like', `${prefix}%`)
        .executeTakeFirstOrThrow();
      expect(Number(stored.n)).toBe(ROWS);
    }
    console.log(`[${ENGINE}] kill -9 then retry: ${outcomes.join(', ')}`);
    server.child.kill('SIGKILL');
  }, 600_000);
});
