import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { bootstrap } from '../src/bootstrap.ts';
import { type Database, openDatabase } from '../src/db/database.ts';
import { loadInstanceKeys } from '../src/instance/instance-keys.ts';
import { systemClock } from '../src/lib/clock.ts';
import { freshDatabase, request } from './helpers.ts';

// API keys are cached per process; what a key grants must still change everywhere at once.
describe('API keys seen by two app instances sharing one database', () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let second: Database;
  const apps: Awaited<ReturnType<typeof buildApp>>['app'][] = [];
  let adminKey: string;

  beforeAll(async () => {
    fresh = await freshDatabase({ shared: true });
    second = openDatabase({ url: fresh.url });
    for (const database of [fresh.database, second]) {
      const keys = await loadInstanceKeys(database, 'cache-test-secret-cache-test-secret-0123456789');
      const { app, services } = await buildApp({
        database,
        keys,
        clock: systemClock,
        publicUrl: 'http://rsvp.test',
      });
      await app.ready();
      apps.push(app);
      if (database === fresh.database) {
        const boot = await bootstrap(database, services, {
          email: 'owner@acme.test',
          organizationSlug: 'acme',
          organizationName: 'Acme',
        });
        adminKey = boot.secret;
      }
    }
  });

  afterAll(async () => {
    for (const app of apps) await app.close();
    await second.close();
    await fresh.drop();
  });

  const me = (app: (typeof apps)[number], key: string) =>
    request(app, 'GET', '/v1/me', { headers: { authorization: `Bearer ${key}` } });

  it('refuses a key on the other instance on the first request after its revocation', async () => {
    const [first, other] = apps as [(typeof apps)[number], (typeof apps)[number]];
    const created = await request(first, 'POST', '/v1/api-keys', {
      headers: { authorization: `Bearer ${adminKey}` },
      body: { name: 'short-lived' },
    });
    const key = created.body.secret as string;
    // Warm both caches.
    for (let i = 0; i < 3; i++) {
      expect((await me(first, key)).status).toBe(200);
      expect((await me(other, key)).status).toBe(200);
    }
    const revoked = await request(first, 'DELETE', `/v1/api-keys/${created.body.id}`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(revoked.status).toBe(200);
    expect((await me(other, key)).status).toBe(401);
    expect((await me(first, key)).status).toBe(401);
    expect((await me(other, adminKey)).status).toBe(200);
  });

  it('refuses the keys of a user deactivated straight in the database, on both instances', async () => {
    const [first, other] = apps as [(typeof apps)[number], (typeof apps)[number]];
    const user = await request(first, 'POST', '/v1/users', {
      headers: { authorization: `Bearer ${adminKey}` },
      body: { email: 'leaver@acme.test', password: 'correct horse battery' },
    });
    const basic = `Basic ${Buffer.from('leaver@acme.test:correct horse battery').toString('base64')}`;
    const created = await request(other, 'POST', '/v1/api-keys', {
      headers: { authorization: basic },
      body: { name: 'leaver' },
    });
    const key = created.body.secret as string;
    expect((await me(first, key)).status).toBe(200);
    expect((await me(other, key)).status).toBe(200);
    await fresh.database.db
      .updateTable('users')
      .set({ status: 'deactivated' })
      .where('id', '=', user.body.id)
      .execute();
    expect((await me(other, key)).status).toBe(401);
    expect((await me(first, key)).status).toBe(401);
  });
});
