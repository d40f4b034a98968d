import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapShared, ENGINE, freePort, freshDatabase, waitUntilReady } from './helpers.ts';

// Several rsvp processes share one PostgreSQL: they must agree on every compare-and-set.
describe.runIf(ENGINE === 'postgres')('two rsvp processes on one PostgreSQL', () => {
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let adminKey: string;

  beforeAll(async () => {
    fresh = await freshDatabase();
    adminKey = await bootstrapShared(fresh.database);
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const child = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
        env: {
          ...process.env,
          DATABASE_URL: fresh.url,
          PORT: String(port),
          LOG_LEVEL: 'warn',
          RSVP_PUBLIC_URL: 'http://rsvp.test',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      children.push(child);
      urls.push(`http://127.0.0.1:${port}`);
    }
    await Promise.all(urls.map((url) => waitUntilReady(url)));
  });

  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => new Promise((resolve) => child.once('exit', resolve))));
    await fresh.drop();
  });

  it('serves the same data from both, and 50 accepts split across them give one success', async () => {
    const call = async (base: string, method: string, path: string, auth: string, body?: unknown) => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: response.status, body: (await response.json()) as Record<string, string> };
    };
    const admin = `Bearer ${adminKey}`;
    const [first, second] = urls as [string, string];
    const created = await call(first, 'POST', '/v1/organizations/acme/invitations', admin, {
      email: 'race@example.com',
    });
    const seen = await call(second, 'GET', `/v1/organizations/acme/invitations/${created.body.id}`, admin);
    expect(seen.body.id).toBe(created.body.id);
    const password = 'correct horse battery';
    const user = await call(second, 'POST', '/v1/users', admin, { email: 'race@example.com', password });
    const basic = `Basic ${Buffer.from(`race@example.com:${password}`).toString('base64')}`;
    const key = await call(first, 'POST', '/v1/api-keys', basic, { name: 'race' });
    const statuses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(
          urls[i % 2]!,
          'POST',
          `/v1/invitations/${created.body.id}/accept`,
          `Bearer ${key.body.secret}`,
        ).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const memberships = await fresh.database.db
      .selectFrom('memberships')
      .selectAll()
      .where('user_id', '=', user.body.id!)
      .execute();
    expect(memberships).toHaveLength(1);
  });
});
