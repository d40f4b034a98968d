import { TrieveFetchClient } from 'trieve-ts-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/delivery/delivery.ts';
import { buildTrieveApp } from '../src/dialects/trieve/trieve.app.ts';
import type { App } from '../src/http/app-types.ts';
import { deliveryFor, type Harness, harness, request } from './helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const APP = 'https://dashboard.trieve.test';

describe('Trieve dialect', () => {
  let h: Harness;
  let trieve: App;
  let delivery: Delivery;
  let org: string;

  beforeAll(async () => {
    h = await harness({ deps: { allowedAppOrigins: [APP] } });
    trieve = buildTrieveApp(h.services, { publicUrl: 'http://rsvp.test' });
    await trieve.ready();
    delivery = deliveryFor(h);
    org = h.org.uuid;
  });
  afterAll(async () => {
    await delivery.stop();
    await trieve.close();
    await h.close();
  });

  async function call(
    method: string,
    url: string,
    options: {
      key?: string | null;
      organization?: string | null;
      body?: unknown;
      headers?: Record<string, string>;
    } = {},
  ) {
    const key = options.key === undefined ? h.adminKey : options.key;
    const organization = options.organization === undefined ? org : options.organization;
    return request(trieve, method, url, {
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(organization ? { 'tr-organization': organization } : {}),
        ...options.headers,
      },
      body: options.body,
    });
  }

  const invite = (email: string, user_role = 0, extra: Record<string, unknown> = {}) =>
    call('POST', '/api/invitation', {
      body: {
        email,
        user_role,
        app_url: 'http://rsvp.test/api',
        redirect_uri: `${APP}/dashboard?welcome=1`,
        ...extra,
      },
    });

  async function lastMailTo(email: string) {
    await delivery.worker.drain();
    return h.database.db
      .selectFrom('captured_emails')
      .selectAll()
      .where('to_address', '=', email)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
  }

  it('invites a new address (204), emailing a link built from app_url and redirect_uri', async () => {
    const created = await invite('  quinn@example.com ', 1);
    expect(created.status).toBe(204);
    const native = await h.call('GET', '/v1/organizations/acme/invitations?email=quinn@example.com');
    expect(native.body.invitations[0]).toMatchObject({
      role: 'admin',
      metadata: { trieve_role: '1', redirect_url: `${APP}/dashboard?welcome=1`, accept_on_sign_in: 'true' },
    });
    const mail = await lastMailTo('quinn@example.com');
    const link = new URL(/http:\/\/rsvp\.test\/api\/auth\?\S+/.exec(mail.text_body)![0]);
    expect(link.searchParams.get('organization_id')).toBe(org);
    expect(link.searchParams.get('inv_code')).toMatch(UUID);
    expect(link.searchParams.get('redirect_uri')).toBe(`${APP}/dashboard?welcome=1`);
    const landed = await trieve.inject({ method: 'GET', url: `${link.pathname}${link.search}` });
    expect(landed.statusCode).toBe(303);
    expect(landed.headers.location).toBe(`http://rsvp.test/invite?token=${link.searchParams.get('token')}`);
    const forged = new URL(link);
    forged.searchParams.set('inv_code', '00000000-0000-4000-8000-000000000000');
    expect(
      (await trieve.inject({ method: 'GET', url: `${forged.pathname}${forged.search}` })).statusCode,
    ).toBe(400);
  });

  it('refuses what Trieve refuses, with its messages', async () => {
    const cases: [Promise<Awaited<ReturnType<typeof call>>>, string][] = [
      [invite('not an email'), 'Invalid email'],
      [invite('Owner@acme.test'), 'Can not invite yourself'],
      [invite('quinn@example.com'), 'User with email quinn@example.com has already been invited'],
      [
        invite('nina@example.com', 0, { app_url: 'https://evil.example/api' }),
        'app_url is not allowed for this organization',
      ],
      [
        invite('nina@example.com', 0, { redirect_uri: 'https://evil.example/x' }),
        'redirect_uri is not allowed for this organization',
      ],
    ];
    for (const [pending, message] of cases) {
      const response = await pending;
      expect(response.status, message).toBe(400);
      expect(response.body).toEqual({ message });
    }
    const admin = await h.user('adam@acme.test', 'admin');
    const higher = await call('POST', '/api/invitation', {
      key: admin.key,
      body: {
        email: 'boss@example.com',
        user_role: 2,
        app_url: 'http://rsvp.test/api',
        redirect_uri: `${APP}/x`,
      },
    });
    expect(higher.body).toEqual({ message: 'Can not invite user with higher role than yours' });
    const member = await invite('adam@acme.test');
    expect(member.body).toEqual({ message: 'User with email adam@acme.test is already in the organization' });
    const malformed = await call('POST', '/api/invitation', {
      body: { email: 'x@example.com', user_role: 'admin' },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.message).toMatch(/^Json Deserialization Error: /);
  });

  it('invites a registered user like anyone else: they join only by answering the invitation', async () => {
    const rita = await h.user('rita@example.com');
    expect((await invite('rita@example.com', 1)).status).toBe(204);
    const members = await h.call('GET', '/v1/organizations/acme/members');
    expect(
      members.body.members.find((m: { email: string }) => m.email === 'rita@example.com'),
    ).toBeUndefined();
    const mine = await h.call('GET', '/v1/me/invitations', { key: rita.key });
    expect(mine.body.invitations).toHaveLength(1);
    expect(mine.body.invitations[0]).toMatchObject({ status: 'pending', role: 'admin' });
    const mail = await lastMailTo('rita@example.com');
    expect(mail.text_body).toMatch(/http:\/\/rsvp\.test\/api\/auth\?\S+/);
    const accepted = await h.call('POST', `/v1/invitations/${mine.body.invitations[0].id}/accept`, {
      key: rita.key,
    });
    expect(accepted.status).toBe(200);
    const after = await h.call('GET', '/v1/organizations/acme/members');
    expect(after.body.members.find((m: { email: string }) => m.email === 'rita@example.com')).toMatchObject({
      user_id: rita.id,
      role: 'admin',
    });
  });

  it('checks credentials and the organization header as Trieve does', async () => {
    expect(await call('GET', `/api/invitations/${org}`, { key: null })).toMatchObject({
      status: 401,
      body: { message: 'Unauthorized' },
    });
    expect(await call('GET', `/api/invitations/${org}`, { organization: null })).toMatchObject({
      status: 401,
      body: { message: 'Unauthorized' },
    });
    expect(await call('GET', `/api/invitations/${org}`, { organization: 'acme' })).toMatchObject({
      status: 400,
      body: { message: 'Could not convert Organization to UUID' },
    });
    expect(
      await call('GET', `/api/invitations/${org}`, { organization: '00000000-0000-4000-8000-000000000000' }),
    ).toMatchObject({
      status: 403,
      body: { message: 'Forbidden' },
    });
    const user = await h.user('uli@acme.test', 'member');
    expect(await call('GET', `/api/invitations/${org}`, { key: user.key })).toMatchObject({
      status: 403,
      body: { message: 'Forbidden' },
    });
    // The bare key in Authorization, and x-api-key, work too.
    const bare = await trieve.inject({
      method: 'GET',
      url: `/api/invitations/${org}`,
      headers: { authorization: h.adminKey, 'tr-organization': org },
    });
    expect(bare.statusCode).toBe(200);
    const header = await trieve.inject({
      method: 'GET',
      url: `/api/invitations/${org}`,
      headers: { 'x-api-key': h.adminKey, 'x-organization': org },
    });
    expect(header.statusCode).toBe(200);
  });

  it("lists the path organization's invitations, for its admins only", async () => {
    const list = await call('GET', `/api/invitations/${org}`);
    expect(list.status).toBe(200);
    const quinn = list.body.find((inv: { email: string }) => inv.email === 'quinn@example.com');
    expect(quinn).toEqual({
      id: expect.stringMatching(UUID),
      email: 'quinn@example.com',
      organization_id: org,
      used: false,
      created_at: '2026-11-23T12:00:00.000000',
      updated_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/),
      role: 1,
      scopes: null,
    });
    expect((await call('GET', `/api/invitation/${org}`)).body).toEqual(list.body);
    const other = await h.call('POST', '/v1/organizations', { body: { slug: 'other', name: 'Other' } });
    const otherUuid = (
      await h.database.db
        .selectFrom('organizations')
        .select('uuid')
        .where('id', '=', other.body.id)
        .executeTakeFirstOrThrow()
    ).uuid;
    const outsider = await h.user('olga@example.com');
    await h.database.db
      .insertInto('memberships')
      .values({
        organization_id: other.body.id,
        user_id: outsider.id,
        role: 'owner',
        created_at: h.clock.now(),
        updated_at: h.clock.now(),
      })
      .execute();
    const elsewhere = await call('GET', `/api/invitations/${org}`, {
      key: outsider.key,
      organization: otherUuid,
    });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.message).toMatch(/^Not Found/);
    expect((await call('GET', '/api/invitations/not-a-uuid')).status).toBe(400);
  });

  it('deletes by invitation id (204, JSON-typed with no body), and refuses other organizations', async () => {
    await invite('sid@example.com', 0, { scopes: ['GET /api/chunk/{chunk_id}'] });
    const list = await call('GET', `/api/invitations/${org}`);
    const sid = list.body.find((inv: { email: string }) => inv.email === 'sid@example.com');
    expect(sid.scopes).toEqual(['GET /api/chunk/{chunk_id}']);
    const other = await h.database.db
      .selectFrom('organizations')
      .select('uuid')
      .where('slug', '=', 'other')
      .executeTakeFirstOrThrow();
    const outsider = await h.user('oscar@example.com');
    await h.database.db
      .insertInto('memberships')
      .values({
        organization_id: (
          await h.database.db
            .selectFrom('organizations')
            .select('id')
            .where('slug', '=', 'other')
            .executeTakeFirstOrThrow()
        ).id,
        user_id: outsider.id,
        role: 'owner',
        created_at: h.clock.now(),
        updated_at: h.clock.now(),
      })
      .execute();
    const foreign = await call('DELETE', `/api/invitation/${sid.id}`, {
      key: outsider.key,
      organization: other.uuid,
    });
    expect(foreign).toMatchObject({ status: 400, body: { message: 'Error getting invitation.' } });
    const deleted = await call('DELETE', `/api/invitation/${sid.id}`, {
      headers: { 'content-type': 'application/json' },
    });
    expect(deleted.status).toBe(204);
    const native = await h.call(
      'GET',
      '/v1/organizations/acme/invitations?email=sid@example.com&status=revoked',
    );
    expect(native.body.invitations).toHaveLength(1);
    expect(await call('DELETE', `/api/invitation/${sid.id}`)).toMatchObject({
      status: 400,
      body: { message: 'Error getting invitation.' },
    });
  });

  it('accepts when the invitee signs up on the invitee page, landing on redirect_uri', async () => {
    expect((await invite('tess@example.com', 0)).status).toBe(204);
    const mail = await lastMailTo('tess@example.com');
    const token = new URL(/http:\/\/rsvp\.test\/api\/auth\?\S+/.exec(mail.text_body)![0]).searchParams.get(
      'token',
    )!;
    const page = await h.app.inject({ method: 'GET', url: `/invite?token=${token}` });
    expect(page.statusCode).toBe(200);
    const cookie = String(page.headers['set-cookie']).split(';')[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const signUp = await h.app.inject({
      method: 'POST',
      url: '/invite/sign-up',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: 'http://rsvp.test' },
      payload: new URLSearchParams({ token, csrf, password: 'a long enough password' }).toString(),
    });
    expect(signUp.statusCode).toBe(303);
    expect(signUp.headers.location).toBe(`${APP}/dashboard?welcome=1`);
    const list = await call('GET', `/api/invitations/${org}`);
    expect(list.body.find((inv: { email: string }) => inv.email === 'tess@example.com').used).toBe(true);
  });

  it('works with the published trieve-ts-sdk fetch client', async () => {
    await trieve.listen({ host: '127.0.0.1', port: 0 });
    const { port } = trieve.server.address() as { port: number };
    const client = new TrieveFetchClient({
      apiKey: h.adminKey,
      baseUrl: `http://127.0.0.1:${port}`,
      organizationId: org,
    });
    await client.fetch('/api/invitation', 'post', {
      data: {
        email: 'uma@example.com',
        user_role: 0,
        app_url: 'http://rsvp.test/api',
        redirect_uri: `${APP}/home`,
      },
    });
    const list = await client.fetch('/api/invitations/{organization_id}', 'get', { organizationId: org });
    const uma = (list as { id: string; email: string }[]).find((inv) => inv.email === 'uma@example.com')!;
    expect(uma).toMatchObject({ organization_id: org, used: false, role: 0 });
    await client.fetch('/api/invitation/{invitation_id}', 'delete', {
      invitationId: uma.id,
      organizationId: org,
    });
    const native = await h.call('GET', '/v1/organizations/acme/invitations?email=uma@example.com');
    expect(native.body.invitations[0].status).toBe('revoked');
    await expect(
      client.fetch('/api/invitation', 'post', {
        data: { email: 'bad', user_role: 0, app_url: 'http://rsvp.test/api', redirect_uri: `${APP}/home` },
      }),
    ).rejects.toThrow(/Invalid email/);
  });
});
