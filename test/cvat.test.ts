import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/app-types.ts';
import { DAY } from '../src/lib/clock.ts';
import { cvatAppFor, type Harness, harness, request } from './helpers.ts';

const KEY = /^[0-9A-Za-z]{64}$/;

describe('CVAT dialect', () => {
  let h: Harness;
  let cvat: App;
  let otto: Awaited<ReturnType<Harness['user']>>; // owner
  let mara: Awaited<ReturnType<Harness['user']>>; // maintainer
  let sue: Awaited<ReturnType<Harness['user']>>; // worker
  let orgSeq: number;

  beforeAll(async () => {
    h = await harness();
    cvat = cvatAppFor(h);
    await cvat.ready();
    otto = await h.user('otto@acme.test', 'owner');
    mara = await h.user('mara@acme.test', 'admin');
    sue = await h.user('sue@acme.test', 'member');
    orgSeq = h.org.seq;
  });
  afterAll(async () => {
    await cvat.close();
    await h.close();
  });

  async function call(
    method: string,
    url: string,
    options: {
      key?: string | null;
      org?: string | null;
      body?: unknown;
      headers?: Record<string, string>;
    } = {},
  ) {
    const key = options.key === undefined ? otto.key : options.key;
    const org = options.org === undefined ? 'acme' : options.org;
    return request(cvat, method, url, {
      headers: {
        ...(key ? { authorization: `Token ${key}` } : {}),
        ...(org ? { 'x-organization': org } : {}),
        ...options.headers,
      },
      body: options.body,
    });
  }

  const invite = (email: string, role = 'worker', key?: string) =>
    call('POST', '/api/invitations', { key, body: { role, email } });

  it('creates an invitation (201) in CVAT’s shape, with integer ids and a placeholder invitee', async () => {
    const created = await invite('wendy@example.com');
    expect(created.status).toBe(201);
    expect(created.headers['content-type']).toContain('application/vnd.cvat+json');
    expect(created.body).toEqual({
      key: expect.stringMatching(KEY),
      created_date: '2026-11-23T12:00:00.000Z',
      owner: {
        url: expect.stringMatching(/^https:\/\/cvat\.rsvp\.test\/api\/users\/\d+$/),
        id: expect.any(Number),
        username: 'otto@acme.test',
        first_name: '',
        last_name: '',
      },
      role: 'worker',
      user: {
        url: expect.any(String),
        id: expect.any(Number),
        username: 'wendy@example.com',
        first_name: '',
        last_name: '',
      },
      organization: orgSeq,
      expired: false,
      organization_info: { id: orgSeq, slug: 'acme' },
    });
    const native = await h.call('GET', '/v1/organizations/acme/invitations?email=wendy@example.com');
    expect(native.body.invitations[0]).toMatchObject({
      role: 'member',
      metadata: { cvat_role: 'worker' },
      status: 'pending',
    });
  });

  it('applies CVAT’s rules on who may invite whom, and its error shapes', async () => {
    expect((await invite('max@example.com', 'maintainer', mara.key)).status).toBe(403);
    expect((await invite('sup@example.com', 'supervisor', mara.key)).status).toBe(201);
    const owner = await invite('own@example.com', 'owner');
    expect(owner).toMatchObject({
      status: 403,
      body: { detail: 'You do not have permission to perform this action.' },
    });
    expect((await invite('mx@example.com', 'maintainer')).status).toBe(201);
    expect((await invite('w@example.com', 'worker', sue.key)).status).toBe(403);
    expect(await invite('sue@acme.test')).toMatchObject({
      status: 400,
      body: ['The user is a member of the organization already.'],
    });
    expect(await invite('wendy@example.com')).toMatchObject({
      status: 400,
      body: ['The user is a member of the organization already.'],
    });
    expect(await invite('not-an-email')).toMatchObject({
      status: 400,
      body: { email: ['Enter a valid email address.'] },
    });
    expect(await invite('x@example.com', 'boss')).toMatchObject({
      status: 400,
      body: { role: ['"boss" is not a valid choice.'] },
    });
    expect(
      (
        await call('POST', '/api/invitations', {
          org: null,
          body: { role: 'worker', email: 'y@example.com' },
        })
      ).status,
    ).toBe(403);

    const form = await cvat.inject({
      method: 'POST',
      url: '/api/invitations',
      headers: {
        authorization: `Token ${otto.key}`,
        'x-organization': 'acme',
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'role=worker&email=form%40example.com',
    });
    expect(form.statusCode).toBe(201);
    const boundary = 'XyZ';
    const multipart = await cvat.inject({
      method: 'POST',
      url: '/api/invitations',
      headers: {
        authorization: `Token ${otto.key}`,
        'x-organization': 'acme',
        'content-type': `multipart/form-data; boundary=${boundary}`,
      },
      payload: [
        `--${boundary}`,
        'Content-Disposition: form-data; name="role"',
        '',
        'supervisor',
        `--${boundary}`,
        'Content-Disposition: form-data; name="email"',
        '',
        'multi@example.com',
        `--${boundary}--`,
        '',
      ].join('\r\n'),
    });
    expect(multipart.statusCode).toBe(201);
    expect(JSON.parse(multipart.body).role).toBe('supervisor');
    const headers = { authorization: `Token ${otto.key}`, 'x-organization': 'acme' };
    const broken = {
      'no boundary': ['multipart/form-data', `--${boundary}--\r\n`],
      'no closing boundary': [`multipart/form-data; boundary=${boundary}`, `--${boundary}\r\n\r\nx`],
      'a file': [
        `multipart/form-data; boundary=${boundary}`,
        `--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="a.csv"\r\n\r\nx\r\n--${boundary}--\r\n`,
      ],
      'a part without a name': [
        `multipart/form-data; boundary=${boundary}`,
        `--${boundary}\r\nContent-Disposition: form-data\r\n\r\nx\r\n--${boundary}--\r\n`,
      ],
    };
    for (const [, [contentType, payload]] of Object.entries(broken)) {
      const response = await cvat.inject({
        method: 'POST',
        url: '/api/invitations',
        headers: { ...headers, 'content-type': contentType! },
        payload: payload!,
      });
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body)).toEqual({ detail: expect.any(String) });
    }
  });

  it('takes the organization from X-Organization, ?org or ?org_id, and refuses contradictions', async () => {
    expect((await call('GET', `/api/invitations?org_id=${orgSeq}`, { org: null })).status).toBe(200);
    expect((await call('GET', '/api/invitations?org=acme', { org: null })).status).toBe(200);
    expect((await call('GET', `/api/invitations?org_id=${orgSeq}`)).status).toBe(400);
    expect((await call('GET', '/api/invitations?org=other', { org: 'acme' })).status).toBe(400);
    expect(await call('GET', '/api/invitations', { org: 'nope' })).toMatchObject({
      status: 404,
      body: { detail: 'nope organization does not exist.' },
    });
    expect((await call('GET', '/api/invitations?org_id=999')).status).toBe(400);
    expect((await call('GET', '/api/invitations?org_id=999', { org: null })).status).toBe(404);
  });

  it('lists with count, next/previous links, sort, owner, search and JSON-Logic filters', async () => {
    const all = await call('GET', '/api/invitations?page_size=all');
    expect(all.body.count).toBe(5);
    expect(all.body.next).toBeNull();
    const page1 = await call('GET', '/api/invitations?page_size=2');
    expect(page1.body).toMatchObject({ count: 5, previous: null });
    expect(page1.body.results).toHaveLength(2);
    expect(page1.body.next).toBe('https://cvat.rsvp.test/api/invitations?page_size=2&page=2');
    const page3 = await call('GET', '/api/invitations?page_size=2&page=3');
    expect(page3.body.previous).toBe('https://cvat.rsvp.test/api/invitations?page_size=2&page=2');
    expect(page3.body.next).toBeNull();
    expect(await call('GET', '/api/invitations?page=9')).toMatchObject({
      status: 404,
      body: { detail: 'Invalid page.' },
    });
    const newest = (await call('GET', '/api/invitations')).body.results[0];
    const oldest = (await call('GET', '/api/invitations?sort=created_date')).body.results[0];
    expect(oldest.user.username).toBe('wendy@example.com');
    expect(newest.key).not.toBe(oldest.key);
    const byOwner = await call('GET', '/api/invitations?owner=mara@acme.test');
    expect(byOwner.body.results.map((inv: { user: { username: string } }) => inv.user.username)).toEqual([
      'sup@example.com',
    ]);
    expect((await call('GET', '/api/invitations?search=MARA')).body.count).toBe(1);
    expect((await call('GET', '/api/invitations?sort=-owner')).body.results[0].owner.username).toBe(
      'otto@acme.test',
    );
    const filter = JSON.stringify({
      and: [{ '==': [{ var: 'user_id' }, oldest.user.id] }, { '==': [{ var: 'accepted' }, false] }],
    });
    const filtered = await call('GET', `/api/invitations?filter=${encodeURIComponent(filter)}`);
    expect(filtered.body.results.map((inv: { key: string }) => inv.key)).toEqual([oldest.key]);
    expect((await call('GET', `/api/invitations?filter=${encodeURIComponent('{"or":[]}')}`)).status).toBe(
      400,
    );
    expect((await call('GET', '/api/invitations?sort=email')).status).toBe(400);
    // A worker sees only what they sent or received; outside the organization, nothing of it.
    expect((await call('GET', '/api/invitations', { key: sue.key })).body.count).toBe(0);
    const stranger = await h.user('stan@example.com');
    expect((await call('GET', '/api/invitations', { key: stranger.key })).status).toBe(403);
    expect((await call('GET', '/api/invitations', { key: stranger.key, org: null })).body.count).toBe(0);
  });

  it('lets only the invitee accept (200 {organization_slug}), with CVAT’s messages', async () => {
    const list = await call('GET', '/api/invitations?owner=otto@acme.test&sort=created_date');
    const wendyKey = list.body.results[0].key;
    expect((await call('GET', `/api/invitations/${wendyKey}`, { key: sue.key })).status).toBe(404);
    const wendy = await h.user('wendy@example.com');
    expect((await call('GET', `/api/invitations/${wendyKey}`, { key: wendy.key, org: null })).status).toBe(
      200,
    );
    expect((await call('POST', `/api/invitations/${wendyKey}/accept`, { key: otto.key })).status).toBe(403);
    const accepted = await call('POST', `/api/invitations/${wendyKey}/accept`, { key: wendy.key, org: null });
    expect(accepted).toMatchObject({ status: 200, body: { organization_slug: 'acme' } });
    expect(
      await call('POST', `/api/invitations/${wendyKey}/accept`, { key: wendy.key, org: null }),
    ).toMatchObject({
      status: 400,
      body: 'Your invitation is already accepted.',
    });
    expect(
      await call('POST', `/api/invitations/${'a'.repeat(64)}/accept`, { key: wendy.key, org: null }),
    ).toMatchObject({
      status: 404,
      body: 'This invitation does not exist. Please contact organization owner.',
    });
    const members = await h.call('GET', '/v1/organizations/acme/members');
    expect(members.body.members.find((m: { email: string }) => m.email === 'wendy@example.com').role).toBe(
      'member',
    );
    expect(
      await call('POST', `/api/invitations/${wendyKey}/decline`, { key: wendy.key, org: null }),
    ).toMatchObject({
      status: 400,
      body: 'Your invitation is already accepted.',
    });
    expect(await call('DELETE', `/api/invitations/${wendyKey}`)).toMatchObject({
      status: 400,
      body: 'This invitation is already accepted.',
    });
  });

  it('expires 7 days after the last send; a resend renews it; resends are throttled per user', async () => {
    const created = await invite('ella@example.com');
    const key = created.body.key;
    h.clock.advance(8 * DAY);
    expect((await call('GET', `/api/invitations/${key}`)).body.expired).toBe(true);
    const ella = await h.user('ella@example.com');
    expect(await call('POST', `/api/invitations/${key}/accept`, { key: ella.key, org: null })).toMatchObject({
      status: 400,
      body: 'Your invitation is expired. Please contact organization owner to renew it.',
    });
    expect((await call('POST', `/api/invitations/${key}/resend`)).status).toBe(204);
    expect((await call('GET', `/api/invitations/${key}`)).body.expired).toBe(false);
    expect((await call('POST', `/api/invitations/${key}/accept`, { key: ella.key, org: null })).status).toBe(
      200,
    );

    const other = (await invite('fred@example.com', 'worker', mara.key)).body.key;
    for (let i = 0; i < 5; i++)
      expect((await call('POST', `/api/invitations/${other}/resend`, { key: mara.key })).status).toBe(204);
    const throttled = await call('POST', `/api/invitations/${other}/resend`, { key: mara.key });
    expect(throttled.status).toBe(429);
    expect(throttled.body.detail).toMatch(/^Request was throttled\. Expected available in \d+ seconds\.$/);
    expect((await call('POST', `/api/invitations/${other}/resend`, { key: sue.key })).status).toBe(404);
  });

  it('declines (invitee, 204), deletes (staff or inviter, 204) and changes the role by PATCH', async () => {
    const g = (await invite('gail@example.com')).body.key;
    const gail = await h.user('gail@example.com');
    expect((await call('POST', `/api/invitations/${g}/decline`, { key: gail.key, org: null })).status).toBe(
      204,
    );
    const native = await h.call('GET', '/v1/organizations/acme/invitations?email=gail@example.com');
    expect(native.body.invitations[0].status).toBe('declined');

    const hk = (await invite('hugo@example.com', 'worker', mara.key)).body.key;
    const patched = await call('PATCH', `/api/invitations/${hk}`, { body: { role: 'supervisor' } });
    expect(patched).toMatchObject({ status: 200, body: { role: 'supervisor' } });
    expect(
      (await call('PATCH', `/api/invitations/${hk}`, { body: { email: 'other@example.com' } })).status,
    ).toBe(400);
    expect(
      (await call('PATCH', `/api/invitations/${hk}`, { key: mara.key, body: { role: 'maintainer' } })).status,
    ).toBe(403);
    expect((await call('DELETE', `/api/invitations/${hk}`, { key: mara.key })).status).toBe(204);
    expect(
      (await h.call('GET', '/v1/organizations/acme/invitations?email=hugo@example.com')).body.invitations[0]
        .status,
    ).toBe('revoked');

    const ik = (await invite('ida@example.com')).body.key;
    const ida = await h.user('ida@example.com');
    const legacy = await call('PATCH', `/api/invitations/${ik}?accepted=1`, { key: ida.key, org: null });
    expect(legacy.status).toBe(200);
    expect(
      (await h.call('GET', '/v1/organizations/acme/invitations?email=ida@example.com')).body.invitations[0]
        .status,
    ).toBe('accepted');
  });

  it('asks a registered invitee to accept even when the organization sets invitation_confirm false', async () => {
    await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { invitation_confirm: false } } });
    const jack = await h.user('jack@example.com');
    const created = await invite('jack@example.com', 'supervisor');
    expect(created.status).toBe(201);
    expect(created.body.expired).toBe(false);
    const members = await h.call('GET', '/v1/organizations/acme/members');
    expect(members.body.members.find((m: { user_id: string }) => m.user_id === jack.id)).toBeUndefined();
    const mine = await h.call('GET', '/v1/me/invitations', { key: jack.key });
    expect(mine.body.invitations.map((i: { status: string }) => i.status)).toEqual(['pending']);
    const emailed = await h.database.db
      .selectFrom('outbox')
      .select('id')
      .where('kind', '=', 'email')
      .where('invitation_id', '=', mine.body.invitations[0].id)
      .execute();
    expect(emailed).toHaveLength(1);
    await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { invitation_confirm: true } } });
  });

  it('authenticates with Token, Basic or a session cookie with its CSRF token', async () => {
    const anonymous = await call('GET', '/api/invitations', { key: null });
    expect(anonymous).toMatchObject({ status: 401, body: { detail: expect.any(String) } });
    expect(anonymous.headers['content-type']).toContain('application/vnd.cvat+json');
    const basic = Buffer.from('otto@acme.test:correct horse battery').toString('base64');
    expect(
      (await call('GET', '/api/invitations', { key: null, headers: { authorization: `Basic ${basic}` } }))
        .status,
    ).toBe(200);

    const login = await cvat.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'otto@acme.test', password: 'correct horse battery' },
    });
    expect(login.statusCode).toBe(200);
    const cookies = ([] as string[]).concat(login.headers['set-cookie'] as string[]);
    const jar = cookies.map((cookie) => cookie.split(';')[0]).join('; ');
    const csrf = /csrftoken=([^;]+)/.exec(jar)![1]!;
    const listed = await call('GET', '/api/invitations', { key: null, headers: { cookie: jar } });
    expect(listed.status).toBe(200);
    const withoutCsrf = await call('POST', '/api/invitations', {
      key: null,
      headers: { cookie: jar },
      body: { role: 'worker', email: 'lou@example.com' },
    });
    expect(withoutCsrf).toMatchObject({
      status: 403,
      body: { detail: 'CSRF Failed: CSRF token missing or incorrect.' },
    });
    const withCsrf = await call('POST', '/api/invitations', {
      key: null,
      headers: { cookie: jar, 'x-csrftoken': csrf },
      body: { role: 'worker', email: 'lou@example.com' },
    });
    expect(withCsrf.status).toBe(201);
    const wrong = await cvat.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'otto@acme.test', password: 'nope' },
    });
    expect(wrong.statusCode).toBe(400);
  });
});
