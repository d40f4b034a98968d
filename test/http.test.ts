import { createServer, type Server } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { loadInstanceKeys } from '../src/instance/instance-keys.ts';
import { ManualClock } from '../src/lib/clock.ts';
import { cvatAppFor, type Harness, harness } from './helpers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

describe('errors and headers', () => {
  it('puts X-Request-Id on every response and honours a sane inbound one', async () => {
    const mine = await h.call('GET', '/v1/me', { headers: { 'x-request-id': 'trace-123' } });
    expect(mine.headers['x-request-id']).toBe('trace-123');
    const junk = await h.call('GET', '/v1/nowhere', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(junk.status).toBe(404);
    expect(junk.headers['x-request-id']).toMatch(/^req_/);
    expect(junk.body).toMatchObject({ code: 'route_not_found', request_id: junk.headers['x-request-id'] });
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const res = await h.call('PUT', '/v1/organizations/acme/invitations');
    expect([res.status, res.body.code]).toEqual([405, 'method_not_allowed']);
    expect(res.headers.allow).toBe('GET, HEAD, POST');
  });

  it('answers a missing file under a wildcard route with 404, and an undecodable URL with a 400 problem', async () => {
    const missing = await h.call('GET', '/console/nope.json', { key: null });
    expect([missing.status, missing.body.code]).toEqual([404, 'route_not_found']);
    for (const url of ['/v1/%c0', '/console/%c0%ae%c0%ae/package.json']) {
      const bad = await h.app.inject({ method: 'GET', url });
      expect(bad.statusCode, url).toBe(400);
      expect(bad.headers['content-type']).toContain('application/problem+json');
      expect(JSON.parse(bad.body)).toMatchObject({
        code: 'bad_url',
        request_id: bad.headers['x-request-id'],
      });
    }
  });

  it('answers bad bodies with 4xx problems, never 500', async () => {
    const post = (contentType: string, payload?: string) =>
      h.app.inject({
        method: 'POST',
        url: '/v1/organizations/acme/invitations',
        headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': contentType },
        ...(payload !== undefined ? { payload } : {}),
      });
    const malformed = await post('application/json', '{"email":');
    expect([malformed.statusCode, JSON.parse(malformed.body).code]).toEqual([400, 'malformed_json']);
    const xml = await post('application/xml', '<a/>');
    expect([xml.statusCode, JSON.parse(xml.body).code]).toEqual([415, 'unsupported_media_type']);
    // A body read in full and refused keeps the connection: no new TCP connection per bad request.
    expect([malformed.headers.connection, xml.headers.connection]).toEqual(['keep-alive', 'keep-alive']);
    const huge = await post('application/json', `{"email":"${'a'.repeat(3 * 1024 * 1024)}"}`);
    expect([huge.statusCode, JSON.parse(huge.body).code]).toEqual([413, 'body_too_large']);
    const proto = await post('application/json', '{"email":"p@example.com","__proto__":{"x":1}}');
    expect(proto.statusCode).toBe(400);
    const empty = await post('application/json');
    expect(empty.statusCode).toBe(400);
  });

  it('accepts an empty body with a JSON content type on DELETE and an empty form POST', async () => {
    const created = await h.call('POST', '/v1/organizations/acme/resources', {
      body: { type: 'group', name: 'g1' },
    });
    const deleted = await h.app.inject({
      method: 'DELETE',
      url: `/v1/organizations/acme/resources/${created.body.id}`,
      headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'application/json' },
    });
    expect(deleted.statusCode).toBe(204);
    const inv = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'form@example.com', send_email: false },
    });
    const resent = await h.app.inject({
      method: 'POST',
      url: `/v1/organizations/acme/invitations/${inv.body.id}/resend`,
      headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(resent.statusCode).toBe(200);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first response, refuses the key with another body, and scopes keys per principal', async () => {
    const body = { email: 'idem@example.com', send_email: false };
    const headers = { 'idempotency-key': '"8e03978e-40d5-43e8-bc93-6894a57f9324"' };
    const first = await h.call('POST', '/v1/organizations/acme/invitations', { body, headers });
    const replay = await h.call('POST', '/v1/organizations/acme/invitations', { body, headers });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.headers.location).toBe(first.headers.location);
    const count = await h.database.db
      .selectFrom('invitations')
      .select('id')
      .where('email_canonical', '=', 'idem@example.com')
      .execute();
    expect(count).toHaveLength(1);
    const other = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'idem2@example.com' },
      headers,
    });
    expect([other.status, other.body.code]).toEqual([422, 'idempotency_key_reused']);
    const bad = await h.call('POST', '/v1/organizations/acme/invitations', {
      body,
      headers: { 'idempotency-key': 'x'.repeat(300) },
    });
    expect(bad.status).toBe(400);
  });
});

describe('authentication', () => {
  it('is default-deny with a WWW-Authenticate challenge', async () => {
    const none = await h.call('GET', '/v1/organizations', { key: null });
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer realm="rsvp"');
    const forged = await h.call('GET', '/v1/organizations', { key: `rsvp_sk_${'A'.repeat(38)}` });
    expect([forged.status, forged.body.code]).toEqual([401, 'unauthenticated']);
    // One challenge per header line.
    expect(forged.headers['www-authenticate']).toEqual([
      'Bearer realm="rsvp", error="invalid_token"',
      'Basic realm="rsvp", charset="UTF-8"',
    ]);
  });

  it('takes API keys as Bearer or X-API-Key, Basic with password or key id, and stores only hashes', async () => {
    const viaHeader = await h.call('GET', '/v1/me', { key: null, headers: { 'x-api-key': h.adminKey } });
    expect(viaHeader.body).toMatchObject({ email: 'owner@acme.test', auth_method: 'api_key' });
    const basic = Buffer.from('OWNER@acme.test:owner-password').toString('base64');
    const password = await h.call('GET', '/v1/me', {
      key: null,
      headers: { authorization: `Basic ${basic}` },
    });
    expect(password.body.auth_method).toBe('basic_password');
    const wrong = Buffer.from('owner@acme.test:nope').toString('base64');
    expect(
      (await h.call('GET', '/v1/me', { key: null, headers: { authorization: `Basic ${wrong}` } })).status,
    ).toBe(401);
    const created = await h.call('POST', '/v1/api-keys', { body: { name: 'ci' } });
    expect(created.body.secret).toMatch(/^rsvp_sk_[0-9A-Za-z]{38}$/);
    const keyBasic = Buffer.from(`${created.body.id}:${created.body.secret}`).toString('base64');
    expect(
      (await h.call('GET', '/v1/me', { key: null, headers: { authorization: `Basic ${keyBasic}` } })).status,
    ).toBe(200);
    const stored = await h.database.db
      .selectFrom('api_keys')
      .selectAll()
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(created.body.secret);
    const listed = await h.call('GET', '/v1/api-keys');
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
    expect((await h.call('DELETE', `/v1/api-keys/${created.body.id}`)).body.revoke_time).not.toBeNull();
    expect((await h.call('GET', '/v1/me', { key: created.body.secret })).status).toBe(401);
  });

  it('mints access tokens at /oauth/token that die with their key, and enforces scopes', async () => {
    const key = await h.call('POST', '/v1/api-keys', {
      body: { name: 'reader', scopes: ['invitations:read'] },
    });
    const form = `grant_type=client_credentials&client_id=${key.body.id}&client_secret=${key.body.secret}`;
    const token = await h.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: form,
    });
    expect(token.statusCode).toBe(200);
    const { access_token, token_type, scope } = JSON.parse(token.body);
    expect([token_type, scope]).toEqual(['Bearer', 'invitations:read']);
    expect((await h.call('GET', '/v1/organizations/acme/invitations', { key: access_token })).status).toBe(
      200,
    );
    const denied = await h.call('POST', '/v1/organizations/acme/invitations', {
      key: access_token,
      body: { email: 'x@example.com' },
    });
    expect([denied.status, denied.body.code]).toEqual([403, 'insufficient_scope']);
    const badSecret = await h.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: `grant_type=client_credentials&client_id=${key.body.id}&client_secret=wrong`,
    });
    expect([badSecret.statusCode, JSON.parse(badSecret.body).error]).toEqual([401, 'invalid_client']);
    // Basic credentials with a malformed escape are the client's error, not the server's.
    const malformed = await h.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${key.body.id}:%ZZ`).toString('base64')}`,
      },
      payload: 'grant_type=client_credentials',
    });
    expect([malformed.statusCode, JSON.parse(malformed.body).error]).toEqual([401, 'invalid_client']);
    await h.call('DELETE', `/v1/api-keys/${key.body.id}`);
    expect((await h.call('GET', '/v1/organizations/acme/invitations', { key: access_token })).status).toBe(
      401,
    );
  });

  it('accepts JWTs of a configured external issuer, checking signature, issuer, audience and algorithm', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const server: Server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const clock = new ManualClock();
    const keys = await loadInstanceKeys(h.database, undefined);
    const { app } = await buildApp({
      database: h.database,
      keys,
      clock,
      publicUrl: 'http://rsvp.test',
      externalJwt: {
        issuer: 'https://idp.test',
        audience: 'rsvp',
        jwksUrl: `http://127.0.0.1:${port}/jwks`,
        algorithms: ['ES256'],
        emailClaim: 'email',
      },
    });
    const sign = (claims: Record<string, unknown>, audience = 'rsvp', subject = 'idp-user-1') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('https://idp.test')
        .setAudience(audience)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
    try {
      const good = await app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: {
          authorization: `Bearer ${await sign({ email: 'Federated@Example.com', email_verified: true })}`,
        },
      });
      expect(good.statusCode).toBe(200);
      expect(JSON.parse(good.body)).toMatchObject({
        email: 'Federated@Example.com',
        auth_method: 'external_jwt',
      });
      const wrongAudience = await app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: { authorization: `Bearer ${await sign({ email: 'f@example.com' }, 'other')}` },
      });
      expect(wrongAudience.statusCode).toBe(401);
      const hs = await new SignJWT({ email: 'f@example.com' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('https://idp.test')
        .setAudience('rsvp')
        .setSubject('x')
        .setExpirationTime('5m')
        .sign(new Uint8Array(32));
      expect(
        (await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${hs}` } }))
          .statusCode,
      ).toBe(401);

      // An account whose address nobody proved (made from a handed-out link) becomes the vouched
      // owner's: whoever made it keeps neither its password nor its API keys.
      const squatted = await h.user('squatted-idp@example.com');
      await h.database.db
        .updateTable('users')
        .set({ email_verified: false })
        .where('id', '=', squatted.id)
        .execute();
      const vouched = await sign(
        { email: 'squatted-idp@example.com', email_verified: true },
        'rsvp',
        'idp-owner',
      );
      const owner = await app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: { authorization: `Bearer ${vouched}` },
      });
      expect([owner.statusCode, JSON.parse(owner.body).id]).toEqual([200, squatted.id]);
      const maker = {
        authorization: `Basic ${Buffer.from('squatted-idp@example.com:correct horse battery').toString('base64')}`,
      };
      expect((await h.call('GET', '/v1/me', { key: null, headers: maker })).status).toBe(401);
      expect((await h.call('GET', '/v1/me', { key: squatted.key })).status).toBe(401);

      // The same when the account was made by a provider identity that did not vouch for the
      // address (no email_verified claim): the vouched owner takes it over, the other is out.
      const unvouched = await sign({ email: 'linked-elsewhere@example.com' }, 'rsvp', 'idp-squatter');
      const made = await app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: { authorization: `Bearer ${unvouched}` },
      });
      expect(made.statusCode).toBe(200);
      const owned = await sign(
        { email: 'linked-elsewhere@example.com', email_verified: true },
        'rsvp',
        'idp-real',
      );
      const claimed = await app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: { authorization: `Bearer ${owned}` },
      });
      expect([claimed.statusCode, JSON.parse(claimed.body).id]).toEqual([200, JSON.parse(made.body).id]);
      const squatterAgain = await app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: { authorization: `Bearer ${unvouched}` },
      });
      expect(squatterAgain.statusCode).toBe(401);
    } finally {
      await app.close();
      server.close();
    }
  });
});

describe('organizations and members', () => {
  it('keeps at least one owner and stops admins from touching those ranked above them', async () => {
    const admin = await h.user('admin-m@example.com', 'admin');
    const members = await h.call('GET', '/v1/organizations/acme/members?role=owner');
    const ownerId = members.body.members[0].user_id;
    const demote = await h.call('PATCH', `/v1/organizations/acme/members/${ownerId}`, {
      key: admin.key,
      body: { role: 'member' },
    });
    expect([demote.status, demote.body.code]).toEqual([403, 'member_ranks_above_you']);
    const last = await h.call('DELETE', `/v1/organizations/acme/members/${ownerId}`);
    expect([last.status, last.body.code]).toEqual([409, 'last_owner']);
    const promoted = await h.call('PATCH', `/v1/organizations/acme/members/${admin.id}`, {
      body: { role: 'member' },
    });
    expect(promoted.body.role).toBe('member');
    expect(
      (await h.call('DELETE', `/v1/organizations/acme/members/${admin.id}`, { key: admin.key })).status,
    ).toBe(204);
  });

  it('pages through organizations and API keys with cursor tokens, each row once', async () => {
    for (const slug of ['page-a', 'page-b', 'page-c']) {
      expect((await h.call('POST', '/v1/organizations', { body: { slug, name: slug } })).status).toBe(201);
    }
    const slugs: string[] = [];
    let token: string | null = null;
    do {
      const page = await h.call('GET', `/v1/organizations?page_size=1${token ? `&page_token=${token}` : ''}`);
      slugs.push(...page.body.organizations.map((o: { slug: string }) => o.slug));
      token = page.body.next_page_token;
    } while (token);
    expect(new Set(slugs).size).toBe(slugs.length);
    expect(slugs).toEqual(expect.arrayContaining(['acme', 'page-a', 'page-b', 'page-c']));
    const keys = await h.call('GET', '/v1/api-keys?page_size=1');
    expect(keys.body.api_keys).toHaveLength(1);
    expect(keys.body.next_page_token).not.toBeNull();
    const bogus = await h.call('GET', '/v1/api-keys?page_token=not-a-token');
    expect([bogus.status, bogus.body.code]).toEqual([400, 'invalid_page_token']);
  });

  it('refuses to drop a role that is in use and validates the role catalog', async () => {
    const drop = await h.call('PATCH', '/v1/organizations/acme', {
      body: { settings: { roles: [{ name: 'owner', rank: 100, admin: true }], default_role: 'owner' } },
    });
    expect([drop.status, drop.body.code]).toEqual([409, 'role_in_use']);
    const bad = await h.call('PATCH', '/v1/organizations/acme', {
      body: { settings: { default_role: 'ghost' } },
    });
    expect([bad.status, bad.body.code]).toEqual([422, 'invalid_settings']);
    const taken = await h.call('POST', '/v1/organizations', { body: { slug: 'acme', name: 'Again' } });
    expect([taken.status, taken.body.code]).toEqual([409, 'slug_taken']);
  });

  it('serves Prometheus metrics to instance admins or the scrape token, labelled by route pattern', async () => {
    await h.call('GET', '/v1/organizations/acme');
    expect((await h.call('GET', '/metrics', { key: null })).status).toBe(401);
    const member = await h.user('metrics-member@acme.test', 'member');
    expect((await h.call('GET', '/metrics', { key: member.key })).status).toBe(403);
    const scraped = await h.call('GET', '/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.headers['content-type']).toContain('text/plain');
    expect(scraped.body).toMatch(
      /rsvp_http_requests_total\{method="GET",route="\/v1\/organizations\/:org_id",status="2xx"\} \d+/,
    );
    expect(scraped.body).toMatch(/rsvp_outbox_due_messages \d+/);
    expect(scraped.body).not.toContain('/v1/organizations/acme');
    // Each answer counts once, in the request counter and the duration histogram alike.
    const series = (text: string, name: string) =>
      Number(
        new RegExp(`${name}\\{method="GET",route="/v1/organizations/:org_id",status="2xx"\\} (\\d+)`).exec(
          text,
        )?.[1],
      );
    const before = scraped.body as string;
    await h.call('GET', '/v1/organizations/acme');
    await h.call('GET', '/v1/organizations/acme');
    const after = (await h.call('GET', '/metrics')).body as string;
    for (const name of ['rsvp_http_requests_total', 'rsvp_http_request_duration_seconds_count'])
      expect([name, series(after, name) - series(before, name)]).toEqual([name, 2]);

    const token = 'scrape-token-0123456789';
    const withToken = await harness({ app: { metricsToken: token } });
    try {
      expect(
        (
          await withToken.call('GET', '/metrics', {
            key: null,
            headers: { authorization: `Bearer ${token}` },
          })
        ).status,
      ).toBe(200);
      expect(
        (
          await withToken.call('GET', '/metrics', {
            key: null,
            headers: { authorization: 'Bearer wrong-token-0123456789' },
          })
        ).status,
      ).toBe(401);
    } finally {
      await withToken.close();
    }
  });
});

describe('a NUL character anywhere in a request', () => {
  it('is refused as the caller’s error on every engine, never a 500', async () => {
    const h = await harness();
    const cvat = cvatAppFor(h);
    try {
      const statuses: number[] = [];
      statuses.push((await h.call('GET', '/v1/organizations/%00')).status);
      statuses.push(
        (
          await h.call('GET', '/v1/me', {
            key: null,
            headers: { authorization: `Basic ${Buffer.from('key_\0:x').toString('base64')}` },
          })
        ).status,
      );
      statuses.push(
        (
          await h.call('GET', '/v1/me', {
            key: null,
            headers: { authorization: `Basic ${Buffer.from('a\0@x.test:x').toString('base64')}` },
          })
        ).status,
      );
      for (const payload of ['grant_type=client_credentials&client_id=key_%00&client_secret=x']) {
        const token = await h.app.inject({
          method: 'POST',
          url: '/oauth/token',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload,
        });
        statuses.push(token.statusCode);
      }
      const login = await cvat.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { email: 'a\u0000@x.test', password: 'x' },
      });
      statuses.push(login.statusCode);
      const created = await h.call('POST', '/v1/organizations/acme/invitations', {
        body: { email: 'nul@example.com', message: 'hi\u0000there' },
      });
      statuses.push(created.status);
      statuses.push((await h.call('GET', '/v1/organizations/acme/invitations?q=a%00b')).status);
      const basicNul = await h.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from('key\0:sec').toString('base64')}`,
        },
        payload: 'grant_type=client_credentials',
      });
      statuses.push(basicNul.statusCode);
      expect(JSON.parse(basicNul.body).error).toBe('invalid_client');
      // The same answers on SQLite and PostgreSQL: refused before any query.
      expect(statuses).toEqual([400, 401, 401, 400, 400, 400, 400, 401]);
    } finally {
      await cvat.close();
      await h.close();
    }
  });
});
