import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfluentApp } from '../src/dialects/confluent/confluent.app.ts';
import { DAY } from '../src/lib/clock.ts';
import { DEFAULT_ABUSE_LIMITS } from '../src/lib/rate-limiter.ts';
import { type Harness, harness, request } from './helpers.ts';

async function confluentFor(h: Harness) {
  const app = buildConfluentApp(h.services, {
    pageTokenKey: h.keys.pageTokenSigning,
    listenerUrl: 'https://confluent.rsvp.test',
  });
  await app.ready();
  const key = await h.call('POST', '/v1/api-keys', { body: { name: 'confluent' } });
  const basic = `Basic ${Buffer.from(`${key.body.id}:${key.body.secret}`).toString('base64')}`;
  const call = async (
    method: string,
    url: string,
    options: { auth?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const auth = options.auth === undefined ? basic : options.auth;
    return request(app, method, url, {
      headers: { ...(auth ? { authorization: auth } : {}), ...options.headers },
      body: options.body,
    });
  };
  return { app, call, basic, keyId: key.body.id as string, secret: key.body.secret as string };
}

describe('Confluent Cloud IAM v2 dialect', () => {
  let h: Harness;
  let c: Awaited<ReturnType<typeof confluentFor>>;
  let orgUuid: string;

  beforeAll(async () => {
    h = await harness();
    c = await confluentFor(h);
    orgUuid = h.org.uuid;
  });
  afterAll(async () => {
    await c.app.close();
    await h.close();
  });

  const expectFailure = (body: { errors: Record<string, unknown>[] }, status: number, code?: string) => {
    expect(body.errors).toHaveLength(1);
    expect(body.errors[0]).toMatchObject({
      id: expect.any(String),
      status: String(status),
      title: expect.any(String),
    });
    if (code) expect(body.errors[0]!.code).toBe(code);
  };

  it('creates an invitation (201, Location) with its user at once, seen through the native API', async () => {
    const created = await c.call('POST', '/iam/v2/invitations', { body: { email: 'ruth@example.com' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(id).toMatch(/^i-[0-9a-v]{20}$/);
    expect(created.headers.location).toBe(`https://confluent.rsvp.test/iam/v2/invitations/${id}`);
    expect(created.headers['x-request-id']).toBeTruthy();
    expect(Number(created.headers['x-ratelimit-remaining'])).toBeGreaterThan(0);
    expect(created.headers['x-ratelimit-limit']).toBe('1000');
    expect(Number(created.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(60);
    expect(created.body).toEqual({
      api_version: 'iam/v2',
      kind: 'Invitation',
      id,
      metadata: {
        self: `https://confluent.rsvp.test/iam/v2/invitations/${id}`,
        resource_name: `crn://confluent.cloud/organization=${orgUuid}/invitation=${id}`,
        created_at: '2026-11-23T12:00:00.000Z',
        updated_at: '2026-11-23T12:00:00.000Z',
      },
      email: 'ruth@example.com',
      auth_type: 'AUTH_TYPE_LOCAL',
      status: 'INVITE_STATUS_SENT',
      accepted_at: null,
      expires_at: new Date(Date.parse('2026-11-23T12:00:00.000Z') + 7 * DAY).toISOString(),
      user: {
        api_version: 'iam/v2',
        kind: 'User',
        id: expect.stringMatching(/^u-[0-9a-v]{20}$/),
        related: expect.stringMatching(/^https:\/\/confluent\.rsvp\.test\/iam\/v2\/users\/u-/),
        resource_name: expect.stringMatching(/^crn:\/\/confluent\.cloud\/user=u-/),
      },
      creator: expect.objectContaining({ kind: 'User', id: expect.stringMatching(/^u-/) }),
    });
    const userId = `usr_${created.body.user.id.slice(2)}`;
    const native = await h.call('GET', `/v1/organizations/acme/invitations/inv_${id.slice(2)}`);
    // The native view names an invitee only once the organization knows them (answered, or a
    // member): the placeholder Confluent's wire format needs is not an account to disclose.
    expect(native.body).toMatchObject({ email: 'ruth@example.com', invitee_user_id: null, role: 'member' });
    const user = await h.database.db
      .selectFrom('users')
      .select('status')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    expect(user.status).toBe('placeholder');
  });

  it('answers a duplicate with 409 and the Location of the existing invitation, bad input with 422/400', async () => {
    const first = await c.call('GET', '/iam/v2/invitations?email=ruth@example.com');
    const duplicate = await c.call('POST', '/iam/v2/invitations', { body: { email: 'Ruth@Example.com' } });
    expect(duplicate.status).toBe(409);
    expectFailure(duplicate.body, 409, 'resource_already_exists');
    expect(duplicate.headers.location).toBe(first.body.data[0].metadata.self);
    const invalid = await c.call('POST', '/iam/v2/invitations', { body: { email: 'not-an-email' } });
    expect(invalid.status).toBe(422);
    expectFailure(invalid.body, 422, 'invalid_configuration');
    expect(invalid.body.errors[0].source).toEqual({ pointer: '/email' });
    const wrongType = await c.call('POST', '/iam/v2/invitations', { body: { email: 42 } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errors[0].source).toEqual({ pointer: '/email' });
    const malformed = await c.call('POST', '/iam/v2/invitations', {
      body: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(malformed.status).toBe(400);
  });

  it('gets one invitation, and 404 for unknown or malformed ids', async () => {
    const list = await c.call('GET', '/iam/v2/invitations');
    const id = list.body.data[0].id;
    const one = await c.call('GET', `/iam/v2/invitations/${id}`);
    expect(one.status).toBe(200);
    expect(one.body.email).toBe('ruth@example.com');
    for (const missing of ['i-00000000000000000000', 'nope']) {
      const response = await c.call('GET', `/iam/v2/invitations/${missing}`);
      expect(response.status).toBe(404);
      expectFailure(response.body, 404);
      expect(response.headers['x-request-id']).toBeTruthy();
    }
  });

  it('lists with exact filters, page sizes and signed page tokens with first/last/prev/next links', async () => {
    for (const name of ['sam', 'tia', 'uma', 'vic']) {
      expect(
        (await c.call('POST', '/iam/v2/invitations', { body: { email: `${name}@example.com` } })).status,
      ).toBe(201);
    }
    const page1 = await c.call('GET', '/iam/v2/invitations?page_size=2');
    expect(page1.status).toBe(200);
    expect(page1.body).toMatchObject({ api_version: 'iam/v2', kind: 'InvitationList' });
    expect(page1.body.metadata.total_size).toBe(5);
    expect(page1.body.metadata.prev).toBeNull();
    expect(page1.body.data.map((inv: { email: string }) => inv.email)).toEqual([
      'ruth@example.com',
      'sam@example.com',
    ]);
    const next = new URL(page1.body.metadata.next);
    expect(next.searchParams.get('page_size')).toBe('2');
    const token = next.searchParams.get('page_token')!;
    expect(token.length).toBeLessThanOrEqual(255);
    const page2 = await c.call('GET', `/iam/v2/invitations?page_size=2&page_token=${token}`);
    expect(page2.body.data.map((inv: { email: string }) => inv.email)).toEqual([
      'tia@example.com',
      'uma@example.com',
    ]);
    expect(page2.body.metadata.prev).toBe(page1.body.metadata.first);
    const last = await c.call(
      'GET',
      new URL(page1.body.metadata.last).pathname + new URL(page1.body.metadata.last).search,
    );
    expect(last.body.data.map((inv: { email: string }) => inv.email)).toEqual(['vic@example.com']);
    expect(last.body.metadata.next).toBeNull();

    const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const refused = await c.call('GET', `/iam/v2/invitations?page_size=2&page_token=${tampered}`);
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0].source).toEqual({ parameter: 'page_token' });
    expect(
      (await c.call('GET', `/iam/v2/invitations?email=sam@example.com&page_token=${token}`)).status,
    ).toBe(400);
    expect((await c.call('GET', `/iam/v2/invitations?page_token=${'x'.repeat(256)}`)).status).toBe(400);
    expect((await c.call('GET', '/iam/v2/invitations?page_size=101')).status).toBe(400);

    const byEmail = await c.call('GET', '/iam/v2/invitations?email=tia@example.com');
    expect(byEmail.body.data).toHaveLength(1);
    const tia = byEmail.body.data[0];
    expect(
      (await c.call('GET', `/iam/v2/invitations?user=${tia.user.id}`)).body.data.map(
        (i: { id: string }) => i.id,
      ),
    ).toEqual([tia.id]);
    expect(
      (await c.call('GET', `/iam/v2/invitations?creator=${tia.creator.id}`)).body.metadata.total_size,
    ).toBe(5);
    expect((await c.call('GET', '/iam/v2/invitations?creator=u-someone-else')).body.metadata.total_size).toBe(
      0,
    );
    expect((await c.call('GET', '/iam/v2/invitations?status=INVITE_STATUS_ACCEPTED')).body.data).toEqual([]);
  });

  it('deletes a pending invitation (204) and deactivates its never-registered user; a new invitation revives it', async () => {
    const uma = (await c.call('GET', '/iam/v2/invitations?email=uma@example.com')).body.data[0];
    expect((await c.call('DELETE', `/iam/v2/invitations/${uma.id}`)).status).toBe(204);
    expect((await c.call('GET', `/iam/v2/invitations/${uma.id}`)).status).toBe(404);
    expect((await c.call('DELETE', `/iam/v2/invitations/${uma.id}`)).status).toBe(404);
    const userId = `usr_${uma.user.id.slice(2)}`;
    const status = async () =>
      (
        await h.database.db
          .selectFrom('users')
          .select('status')
          .where('id', '=', userId)
          .executeTakeFirstOrThrow()
      ).status;
    expect(await status()).toBe('deactivated');
    const again = await c.call('POST', '/iam/v2/invitations', { body: { email: 'uma@example.com' } });
    expect(again.status).toBe(201);
    expect(again.body.user.id).toBe(uma.user.id);
    expect(await status()).toBe('placeholder');
  });

  it('shows an accepted invitation as accepted and refuses to delete it', async () => {
    const vic = (await c.call('GET', '/iam/v2/invitations?email=vic@example.com')).body.data[0];
    const person = await h.user('vic@example.com');
    expect(person.id).toBe(`usr_${vic.user.id.slice(2)}`);
    const accepted = await h.call('POST', `/v1/invitations/inv_${vic.id.slice(2)}/accept`, {
      key: person.key,
    });
    expect(accepted.status).toBe(200);
    const after = await c.call('GET', `/iam/v2/invitations/${vic.id}`);
    expect(after.body).toMatchObject({ status: 'INVITE_STATUS_ACCEPTED', accepted_at: expect.any(String) });
    const refused = await c.call('DELETE', `/iam/v2/invitations/${vic.id}`);
    expect(refused.status).toBe(409);
    expectFailure(refused.body, 409);
  });

  it('takes bearer tokens from its client-credentials endpoint, and answers 401 with WWW-Authenticate', async () => {
    const token = await c.app.inject({
      method: 'POST',
      url: '/sts/v1/oauth2/token',
      headers: { authorization: c.basic, 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=client_credentials',
    });
    expect(token.statusCode).toBe(200);
    const bearer = `Bearer ${JSON.parse(token.body).access_token}`;
    expect((await c.call('GET', '/iam/v2/invitations', { auth: bearer })).status).toBe(200);
    const none = await c.call('GET', '/iam/v2/invitations', { auth: null });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Basic');
    expectFailure(none.body, 401, 'user_unauthenticated');
    const wrong = await c.call('GET', '/iam/v2/invitations', {
      auth: `Basic ${Buffer.from(`${c.keyId}:not-the-secret`).toString('base64')}`,
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['www-authenticate']).toBe(
      'Basic error="invalid_key", error_description="The API Key is invalid"',
    );
  });

  it('answers 402 when the quota of pending invitations is used up, and 403 to non-admins', async () => {
    await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { max_pending_invitations: 4 } } });
    const over = await c.call('POST', '/iam/v2/invitations', { body: { email: 'wes@example.com' } });
    expect(over.status).toBe(402);
    expectFailure(over.body, 402, 'quota_exceeded');
    await h.call('PATCH', '/v1/organizations/acme', {
      body: { settings: { max_pending_invitations: null } },
    });
    const member = await h.user('xia@acme.test', 'member');
    const memberKey = await h.call('POST', '/v1/api-keys', { key: member.key, body: { name: 'x' } });
    const asMember = `Basic ${Buffer.from(`${memberKey.body.id}:${memberKey.body.secret}`).toString('base64')}`;
    const forbidden = await c.call('GET', '/iam/v2/invitations', { auth: asMember });
    expect(forbidden.status).toBe(403);
    expectFailure(forbidden.body, 403, 'user_unauthorized');
  });
});

describe('Confluent request quota', () => {
  it('reaches 429 with Retry-After and X-RateLimit-* headers, then recovers after the window', async () => {
    const h = await harness({
      deps: { abuseLimits: { ...DEFAULT_ABUSE_LIMITS, perPrincipal: { limit: 3, windowMs: 60_000 } } },
    });
    const c = await confluentFor(h);
    try {
      const remaining = [];
      for (let i = 0; i < 3; i++) {
        const ok = await c.call('GET', '/iam/v2/invitations');
        expect(ok.status).toBe(200);
        remaining.push(ok.headers['x-ratelimit-remaining']);
      }
      expect(remaining).toEqual(['2', '1', '0']);
      const limited = await c.call('GET', '/iam/v2/invitations');
      expect(limited.status).toBe(429);
      expect(limited.headers['retry-after']).toBe('60');
      expect(limited.headers['x-ratelimit-limit']).toBe('3');
      expect(limited.headers['x-ratelimit-remaining']).toBe('0');
      expect(limited.headers['x-ratelimit-reset']).toBe('60');
      expect(limited.headers['x-request-id']).toBeTruthy();
      h.clock.advance(61_000);
      const recovered = await c.call('GET', '/iam/v2/invitations');
      expect(recovered.status).toBe(200);
      expect(recovered.headers['x-ratelimit-remaining']).toBe('2');
    } finally {
      await c.app.close();
      await h.close();
    }
  });
});
