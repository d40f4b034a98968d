import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { bootstrap } from '../src/bootstrap.ts';
import { type Database, openDatabase } from '../src/db/database.ts';
import { loadInstanceKeys } from '../src/instance/instance-keys.ts';
import { systemClock } from '../src/lib/clock.ts';
import { insertMembership } from '../src/memberships/membership.repository.ts';
import { ENGINE, freshDatabase, request } from './helpers.ts';

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

  // An API key's organization access is kept between its requests (migration 015, the access
  // epoch); a change by any instance, or by hand, must still count on the very next request.
  it('ends or narrows a member’s access on the other instance on the first request after the change', async () => {
    const [first, other] = apps as [(typeof apps)[number], (typeof apps)[number]];
    const owner = { authorization: `Bearer ${adminKey}` };
    const { userId, organizationId, headers: key } = await warmAdmin('admin2@acme.test');
    const invitations = (app: (typeof apps)[number]) =>
      request(app, 'GET', '/v1/organizations/acme/invitations', { headers: key });
    const byId = (app: (typeof apps)[number]) =>
      request(app, 'GET', `/v1/organizations/${organizationId}/invitations`, { headers: key });
    for (let i = 0; i < 3; i++) {
      for (const app of apps) {
        expect((await invitations(app)).status).toBe(200);
        expect((await byId(app)).status).toBe(200);
      }
    }

    // Demoted through the API on one instance: refused as a member on both, by slug and by id.
    const demoted = await request(first, 'PATCH', `/v1/organizations/acme/members/${userId}`, {
      headers: owner,
      body: { role: 'member' },
    });
    expect(demoted.status).toBe(200);
    for (const app of [other, first]) {
      expect((await invitations(app)).body.code).toBe('admin_role_required');
      expect((await byId(app)).status).toBe(403);
    }

    // Promoted again by hand in the database: admin again on both.
    await fresh.database.db
      .updateTable('memberships')
      .set({ role: 'admin' })
      .where('user_id', '=', userId)
      .execute();
    for (const app of [other, first]) expect((await invitations(app)).status).toBe(200);

    // Removed: the organization is no longer there for them, on either instance.
    const removed = await request(other, 'DELETE', `/v1/organizations/acme/members/${userId}`, {
      headers: owner,
    });
    expect(removed.status).toBeLessThan(300);
    for (const app of [first, other]) {
      expect((await invitations(app)).status).toBe(404);
      expect((await byId(app)).status).toBe(404);
    }
    // The owner's own access, kept on both instances, still answers.
    for (const app of apps) {
      expect(
        (await request(app, 'GET', '/v1/organizations/acme/invitations', { headers: owner })).status,
      ).toBe(200);
    }
  });

  it('sees a renamed slug and a deleted organization on the next request, on both instances', async () => {
    const owner = { authorization: `Bearer ${adminKey}` };
    const made = await request(apps[0]!, 'POST', '/v1/organizations', {
      headers: owner,
      body: { slug: 'shortlived', name: 'Short-lived' },
    });
    expect(made.status).toBe(201);
    for (const app of apps) {
      expect(
        (await request(app, 'GET', '/v1/organizations/shortlived/invitations', { headers: owner })).status,
      ).toBe(200);
    }
    await fresh.database.db
      .updateTable('organizations')
      .set({ slug: 'renamed' })
      .where('id', '=', made.body.id)
      .execute();
    for (const app of apps) {
      expect(
        (await request(app, 'GET', '/v1/organizations/shortlived/invitations', { headers: owner })).status,
      ).toBe(404);
      expect(
        (await request(app, 'GET', '/v1/organizations/renamed/invitations', { headers: owner })).status,
      ).toBe(200);
    }
    await fresh.database.db.deleteFrom('memberships').where('organization_id', '=', made.body.id).execute();
    await fresh.database.db.deleteFrom('organizations').where('id', '=', made.body.id).execute();
    for (const app of apps) {
      expect(
        (await request(app, 'GET', `/v1/organizations/${made.body.id}/invitations`, { headers: owner }))
          .status,
      ).toBe(404);
      expect(
        (await request(app, 'GET', '/v1/organizations/renamed/invitations', { headers: owner })).status,
      ).toBe(404);
    }
  });

  /** A user who is an admin of acme (not an instance admin) and their API key, warm on both instances. */
  async function warmAdmin(email: string) {
    const owner = { authorization: `Bearer ${adminKey}` };
    const user = await request(apps[0]!, 'POST', '/v1/users', {
      headers: owner,
      body: { email, password: 'correct horse battery' },
    });
    const organization = await request(apps[0]!, 'GET', '/v1/organizations/acme', { headers: owner });
    await insertMembership(fresh.database.db, {
      organizationId: organization.body.id,
      userId: user.body.id,
      role: 'admin',
      createdAt: new Date(),
      updatedAt: new Date(),
    });
    const basic = `Basic ${Buffer.from(`${email}:correct horse battery`).toString('base64')}`;
    const created = await request(apps[0]!, 'POST', '/v1/api-keys', {
      headers: { authorization: basic },
      body: { name: 'k' },
    });
    const headers = { authorization: `Bearer ${created.body.secret as string}` };
    const list = (app: (typeof apps)[number]) =>
      request(app, 'GET', '/v1/organizations/acme/invitations', { headers });
    for (let i = 0; i < 3; i++) for (const app of apps) expect((await list(app)).status).toBe(200);
    return { userId: user.body.id as string, organizationId: organization.body.id as string, headers, list };
  }

  it('never meets a remembered access again after the access epoch is set back, as by a restored backup', async () => {
    const { userId, organizationId, list } = await warmAdmin('restored@acme.test');
    const epoch = async () =>
      Number(
        (
          await fresh.database.db
            .selectFrom('auth_epoch')
            .select('version')
            .where('id', '=', 2)
            .executeTakeFirstOrThrow()
        ).version,
      );
    const remembered = await epoch();
    // The counter goes back two steps; then two changes move it on. Counted up by one each, it
    // would land on the very value both instances remembered this admin's access at.
    await fresh.database.db
      .updateTable('auth_epoch')
      .set({ version: remembered - 2 })
      .where('id', '=', 2)
      .execute();
    await fresh.database.db.deleteFrom('memberships').where('user_id', '=', userId).execute();
    await fresh.database.db
      .updateTable('organizations')
      .set({ name: 'Acme again' })
      .where('id', '=', organizationId)
      .execute();
    expect(await epoch()).not.toBe(remembered);
    for (const app of apps) expect((await list(app)).status).toBe(404);
  });

  // Last: it empties tables the other tests use. TRUNCATE fires no row trigger on PostgreSQL.
  it.skipIf(ENGINE !== 'postgres')(
    'counts a TRUNCATE of memberships or API keys on the next request',
    async () => {
      const { list } = await warmAdmin('truncated@acme.test');
      await fresh.database.db.executeQuery(sql`truncate memberships`.compile(fresh.database.db));
      for (const app of apps) expect((await list(app)).status).toBe(404);
      for (const app of apps) expect((await me(app, adminKey)).status).toBe(200);
      await fresh.database.db.executeQuery(sql`truncate api_keys cascade`.compile(fresh.database.db));
      for (const app of apps) expect((await me(app, adminKey)).status).toBe(401);
    },
  );
});
