import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './helpers.ts';

// What the admin console needed from the native API, added for every integrator: the instance's
// user list, actors' emails in the audit trail, the webhook test in it, and sign-in rotation.

describe('GET /v1/users: every user of the instance, for instance admins', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());

  it('lists, searches and pages for an instance admin; refuses an organization admin and another tenant', async () => {
    const ada = await h.user('ada@acme.test', 'admin');
    const grace = await h.user('grace@elsewhere.test');
    expect(
      (await h.call('POST', '/v1/organizations', { key: grace.key, body: { slug: 'other', name: 'Other' } }))
        .status,
    ).toBe(201);

    const all = await h.call('GET', '/v1/users');
    expect(all.status).toBe(200);
    expect(all.body.users.map((u: { email: string }) => u.email)).toEqual([
      'owner@acme.test',
      'ada@acme.test',
      'grace@elsewhere.test',
    ]);
    expect(all.body.users[0]).toMatchObject({ instance_admin: true, display_name: 'Olive Owner' });
    expect(all.body.next_page_token).toBeNull();

    // Search within email, username or name, case-insensitively; wildcards are plain text.
    const search = async (q: string) =>
      (await h.call('GET', `/v1/users?q=${encodeURIComponent(q)}`)).body.users.map(
        (u: { email: string }) => u.email,
      );
    expect(await search('ELSEWHERE')).toEqual(['grace@elsewhere.test']);
    expect(await search('olive')).toEqual(['owner@acme.test']);
    expect(await search('%')).toEqual([]);

    // Keyset pages: two, then the rest; a token replayed with another search is refused.
    const first = await h.call('GET', '/v1/users?page_size=2');
    expect(first.body.users).toHaveLength(2);
    const second = await h.call('GET', `/v1/users?page_size=2&page_token=${first.body.next_page_token}`);
    expect(second.body.users.map((u: { email: string }) => u.email)).toEqual(['grace@elsewhere.test']);
    expect(second.body.next_page_token).toBeNull();
    const replayed = await h.call('GET', `/v1/users?q=a&page_token=${first.body.next_page_token}`);
    expect(replayed.status).toBe(400);
    expect(replayed.body.code).toBe('page_token_mismatch');

    // An organization admin, and the owner of another organization, are not instance admins.
    for (const key of [ada.key, grace.key]) {
      const refused = await h.call('GET', '/v1/users', { key });
      expect(refused.status).toBe(403);
      expect(refused.body.code).toBe('instance_admin_required');
    }
    expect((await h.call('GET', '/v1/users?page_size=0')).status).toBe(400);
  });
});

describe('the audit trail names people the reader may see', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());

  const invitationEvents = async (key: string) =>
    (
      await h.call('GET', `/v1/events?organization_id=${h.org.slug}&type=invitation.created`, { key })
    ).body.events.map((e: { actor_email: string | null; actor_name: string | null }) => [
      e.actor_email,
      e.actor_name,
    ]);

  it("gives members' emails to an organization admin, former members' only to instance admins", async () => {
    const ada = await h.user('ada@acme.test', 'admin');
    const bob = await h.user('bob@acme.test', 'admin');
    const invitations = `/v1/organizations/${h.org.slug}/invitations`;
    expect(
      (await h.call('POST', invitations, { body: { email: 'x@example.com', role: 'member' } })).status,
    ).toBe(201);
    expect(
      (await h.call('POST', invitations, { key: ada.key, body: { email: 'y@example.com', role: 'member' } }))
        .status,
    ).toBe(201);
    const both = [
      ['owner@acme.test', 'Olive Owner'],
      ['ada@acme.test', null],
    ];
    expect(await invitationEvents(bob.key)).toEqual(both);

    // Ada leaves: to Bob she is an id again; the instance admin still sees who she was.
    expect((await h.call('DELETE', `/v1/organizations/${h.org.slug}/members/${ada.id}`)).status).toBe(204);
    expect(await invitationEvents(bob.key)).toEqual([both[0], [null, null]]);
    expect(await invitationEvents(h.adminKey)).toEqual(both);
  });

  it('records the webhook test event, and shows instance-wide events to instance admins only', async () => {
    const created = await h.call('POST', `/v1/organizations/${h.org.slug}/webhooks`, {
      body: { url: 'https://hooks.example.com/rsvp', event_types: ['invitation.created'] },
    });
    const test = await h.call('POST', `/v1/organizations/${h.org.slug}/webhooks/${created.body.id}/test`);
    expect(test.status).toBe(202);
    const audit = await h.call('GET', `/v1/events?organization_id=${h.org.slug}&type=webhook.test_sent`);
    expect(audit.body.events).toHaveLength(1);
    expect(audit.body.events[0]).toMatchObject({
      subject_type: 'webhook_endpoint',
      subject_id: created.body.id,
      actor_email: 'owner@acme.test',
      data: { delivery_id: test.body.delivery_id },
    });
    // The test message carries its audit event's id, as every webhook message carries its event's.
    const queued = await h.database.db
      .selectFrom('outbox')
      .select('payload')
      .where('id', '=', test.body.delivery_id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(queued.payload)).toMatchObject({
      type: 'webhook.test',
      data: { event_id: audit.body.events[0].id, organization_id: h.org.id, endpoint_id: created.body.id },
    });

    // Events outside any organization (a key, a user) reach instance admins without a filter.
    const carol = await h.user('carol@acme.test', 'admin');
    const everything = await h.call('GET', '/v1/events?type=api_key.created,user.created&page_size=100');
    expect(
      everything.body.events.some((e: { organization_id: string | null }) => e.organization_id === null),
    ).toBe(true);
    const carols = await h.call('GET', '/v1/events?type=api_key.created,user.created', { key: carol.key });
    expect(carols.status).toBe(200);
    expect(carols.body.events).toEqual([]);
  });
});

describe('signing in again in the same browser', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());

  it('ends the session the browser held and hands out a new one', async () => {
    const cookies = new Map<string, string>();
    const send = async (
      method: string,
      url: string,
      headers: Record<string, string> = {},
      body?: unknown,
    ) => {
      const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      const answer = await h.call(method, url, { key: null, headers: { cookie, ...headers }, body });
      for (const line of ([] as string[]).concat(
        (answer.headers['set-cookie'] as string[] | undefined) ?? [],
      )) {
        const [pair] = line.split(';');
        const at = pair!.indexOf('=');
        cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
      }
      return answer;
    };
    const csrf = { 'x-csrf-token': (await send('GET', '/v1/session')).body.csrf_token };
    const owner = { email: 'owner@acme.test', password: 'owner-password' };
    const rows = () => h.database.db.selectFrom('browser_sessions').select('user_id').execute();

    expect((await send('POST', '/v1/session', csrf, owner)).status).toBe(200);
    const first = cookies.get('rsvp_session')!;
    expect((await send('POST', '/v1/session', csrf, owner)).status).toBe(200);
    const second = cookies.get('rsvp_session')!;
    expect(second).not.toBe(first);
    expect(await rows()).toHaveLength(1);

    // The earlier cookie, kept by someone who copied it, no longer works.
    const stale = await h.call('GET', '/v1/me', { key: null, headers: { cookie: `rsvp_session=${first}` } });
    expect(stale.status).toBe(401);
    expect((await send('GET', '/v1/me')).body.email).toBe('owner@acme.test');

    // Another person signing in on the same browser ends the owner's session too.
    await h.user('ada@acme.test', 'member');
    const ada = { email: 'ada@acme.test', password: 'correct horse battery' };
    expect((await send('POST', '/v1/session', csrf, ada)).status).toBe(200);
    expect((await rows()).map((r) => r.user_id)).toHaveLength(1);
    const secondNow = await h.call('GET', '/v1/me', {
      key: null,
      headers: { cookie: `rsvp_session=${second}` },
    });
    expect(secondNow.status).toBe(401);
  });
});

describe('the invitation list filters the console offers: by inviter and by resource', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());

  it('keeps the invitations one person sent, or onto one resource, and pages within the filter', async () => {
    const ada = await h.user('ada@acme.test', 'admin');
    const url = `/v1/organizations/${h.org.slug}/invitations`;
    const resource = await h.call('POST', `/v1/organizations/${h.org.slug}/resources`, {
      body: { type: 'project', name: 'Apollo' },
    });
    for (const email of ['a1@example.com', 'a2@example.com'])
      expect((await h.call('POST', url, { key: ada.key, body: { email, role: 'member' } })).status).toBe(201);
    await h.call('POST', url, { body: { email: 'o1@example.com', role: 'member' } });
    await h.call('POST', url, {
      body: { email: 'r1@example.com', resource_id: resource.body.id, actions: ['view'] },
    });
    const emails = async (query: string) =>
      (await h.call('GET', `${url}?${query}`)).body.invitations.map((i: { email: string }) => i.email).sort();

    expect(await emails(`inviter_id=${ada.id}`)).toEqual(['a1@example.com', 'a2@example.com']);
    expect(await emails(`resource_id=${resource.body.id}`)).toEqual(['r1@example.com']);
    expect(await emails(`inviter_id=${ada.id}&resource_id=${resource.body.id}`)).toEqual([]);
    const first = await h.call('GET', `${url}?inviter_id=${ada.id}&page_size=1`);
    const second = await h.call(
      'GET',
      `${url}?inviter_id=${ada.id}&page_size=1&page_token=${first.body.next_page_token}`,
    );
    expect([first.body.invitations[0].email, second.body.invitations[0].email].sort()).toEqual([
      'a1@example.com',
      'a2@example.com',
    ]);
    expect(second.body.next_page_token).toBeNull();
  });
});
