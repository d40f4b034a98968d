import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { Sweeper } from '../src/delivery/sweeper.ts';
import { DAY, HOUR } from '../src/lib/clock.ts';
import { DEFAULT_ABUSE_LIMITS } from '../src/lib/rate-limiter.ts';
import { type Harness, harness } from './helpers.ts';

/** The DNS as the tests publish it: TXT records by name. Never real DNS. */
const dns = new Map<string, string[][]>();
const failures = new Set<string>();
const resolveTxt = async (name: string) => {
  if (failures.has(name)) throw Object.assign(new Error(`queryTxt ESERVFAIL ${name}`), { code: 'ESERVFAIL' });
  const records = dns.get(name);
  if (!records) throw Object.assign(new Error(`queryTxt ENODATA ${name}`), { code: 'ENODATA' });
  return records;
};

let h: Harness;
beforeAll(async () => {
  h = await harness({
    deps: {
      resolveTxt,
      abuseLimits: { ...DEFAULT_ABUSE_LIMITS, perDomainCheck: { limit: 6, windowMs: 600_000 } },
    },
  });
});
afterAll(async () => {
  await h.close();
});

const memberRole = async (org: string, userId: string) =>
  (
    await h.database.db
      .selectFrom('memberships')
      .innerJoin('organizations', 'organizations.id', 'memberships.organization_id')
      .select('memberships.role')
      .where('organizations.slug', '=', org)
      .where('memberships.user_id', '=', userId)
      .executeTakeFirst()
  )?.role;

describe('verified domains', () => {
  it('an organization proves a domain by a TXT record; until then it offers nothing', async () => {
    const added = await h.call('POST', '/v1/organizations/acme/domains', {
      body: { domain: 'Acme-Corp.example' },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    expect(added.body).toMatchObject({
      domain: 'acme-corp.example',
      status: 'pending',
      join_mode: 'offer',
      role: 'member',
    });
    const { name, value } = added.body.txt_record;
    expect(name).toBe('_rsvp-challenge.acme-corp.example');
    expect(value).toMatch(/^rsvp-verification=\w{32}$/);

    const early = await h.user('early@acme-corp.example');
    expect(
      (await h.call('GET', '/v1/me/suggested-organizations', { key: early.key })).body.organizations,
    ).toEqual([]);

    const missing = await h.call('POST', '/v1/organizations/acme/domains/acme-corp.example/verify');
    expect(missing.status).toBe(422);
    expect(missing.body.code).toBe('domain_not_verified');
    expect(missing.body.detail).toContain('No TXT record at _rsvp-challenge.acme-corp.example');
    dns.set(name, [['some-other=record'], ['rsvp-verification=wrong']]);
    const wrong = await h.call('POST', '/v1/organizations/acme/domains/acme-corp.example/verify');
    expect(wrong.status).toBe(422);
    expect(
      (await h.call('GET', '/v1/organizations/acme/domains/acme-corp.example')).body.check_error,
    ).toContain('do not include');

    // Long TXT values arrive in 255-byte chunks: they are joined before comparing.
    dns.set(name, [['some-other=record'], [value.slice(0, 20), value.slice(20)]]);
    const verified = await h.call('POST', '/v1/organizations/acme/domains/acme-corp.example/verify');
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);
    expect(verified.body).toMatchObject({ status: 'verified', check_error: null });
    const events = await h.call('GET', '/v1/events?type=domain.added,domain.verified');
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual([
      'domain.added',
      'domain.verified',
    ]);
  });

  it('a domain is verified by one organization at a time', async () => {
    const other = await h.call('POST', '/v1/organizations', { body: { slug: 'rival', name: 'Rival' } });
    expect(other.status).toBe(201);
    const added = await h.call('POST', '/v1/organizations/rival/domains', {
      body: { domain: 'acme-corp.example' },
    });
    expect(added.status).toBe(201);
    dns.set('_rsvp-challenge.acme-corp.example', [[added.body.txt_record.value]]);
    const taken = await h.call('POST', '/v1/organizations/rival/domains/acme-corp.example/verify');
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('domain_verified_elsewhere');
    expect(
      (await h.call('POST', '/v1/organizations/acme/domains', { body: { domain: 'acme-corp.example' } }))
        .status,
    ).toBe(409);
  });

  it('people with an address there (subdomains too) see the organization and join it by their own act', async () => {
    const ann = await h.user('ann@eng.acme-corp.example');
    const suggested = await h.call('GET', '/v1/me/suggested-organizations', { key: ann.key });
    expect(suggested.body.organizations).toEqual([
      {
        organization: expect.objectContaining({ slug: 'acme', name: 'Acme' }),
        domain: 'acme-corp.example',
        role: 'member',
        requires_approval: false,
      },
    ]);
    expect(await memberRole('acme', ann.id)).toBeUndefined();
    const joined = await h.call('POST', `/v1/me/suggested-organizations/acme/join`, { key: ann.key });
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body).toMatchObject({
      status: 'joined',
      join_request: { source: 'domain', domain: 'acme-corp.example' },
    });
    expect(await memberRole('acme', ann.id)).toBe('member');
    expect(
      (await h.call('GET', '/v1/me/suggested-organizations', { key: ann.key })).body.organizations,
    ).toEqual([]);

    const stranger = await h.user('stranger@elsewhere.example');
    expect(
      (await h.call('GET', '/v1/me/suggested-organizations', { key: stranger.key })).body.organizations,
    ).toEqual([]);
    const refused = await h.call('POST', '/v1/me/suggested-organizations/acme/join', { key: stranger.key });
    expect(refused.status).toBe(404);
    // A look-alike domain is not a subdomain.
    const lookalike = await h.user('eve@evilacme-corp.example');
    expect(
      (await h.call('POST', '/v1/me/suggested-organizations/acme/join', { key: lookalike.key })).status,
    ).toBe(404);
  });

  it('auto_join: accounts created with an address there join at once, or file a request when approval is required', async () => {
    const changed = await h.call('PATCH', '/v1/organizations/acme/domains/acme-corp.example', {
      body: { join_mode: 'auto_join', role: 'admin' },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ join_mode: 'auto_join', role: 'admin' });
    const bo = await h.user('bo@acme-corp.example');
    expect(await memberRole('acme', bo.id)).toBe('admin');
    const events = await h.call('GET', `/v1/events?type=membership.created&subject_id=${h.org.id}/${bo.id}`);
    expect(events.body.events[0]).toMatchObject({
      actor_user_id: null,
      data: expect.objectContaining({ via: 'domain' }),
    });

    await h.call('PATCH', '/v1/organizations/acme/domains/acme-corp.example', {
      body: { requires_approval: true },
    });
    const cy = await h.user('cy@acme-corp.example');
    expect(await memberRole('acme', cy.id)).toBeUndefined();
    const queue = await h.call('GET', '/v1/organizations/acme/join-requests?status=pending');
    expect(queue.body.join_requests).toEqual([
      expect.objectContaining({ user_id: cy.id, source: 'domain', role: 'admin' }),
    ]);
  });

  it('only admins manage domains, within their own rank', async () => {
    const member = await h.user('plain@members.example', 'member');
    expect(
      (
        await h.call('POST', '/v1/organizations/acme/domains', {
          key: member.key,
          body: { domain: 'x.example' },
        })
      ).status,
    ).toBe(403);
    expect((await h.call('GET', '/v1/organizations/acme/domains', { key: member.key })).status).toBe(200);
    const admin = await h.user('admin@members.example', 'admin');
    const above = await h.call('POST', '/v1/organizations/acme/domains', {
      key: admin.key,
      body: { domain: 'y.example', role: 'owner' },
    });
    expect(above.body.code).toBe('role_above_own');
    expect(
      (await h.call('POST', '/v1/organizations/acme/domains', { body: { domain: 'not a domain' } })).status,
    ).toBe(400);
  });

  it('checks are rate limited per organization; removing a domain ends the offer', async () => {
    await h.call('POST', '/v1/organizations/acme/domains', { body: { domain: 'limits.example' } });
    const statuses = [];
    for (let i = 0; i < 5; i++) {
      statuses.push((await h.call('POST', '/v1/organizations/acme/domains/limits.example/verify')).status);
    }
    // Three checks were spent by the first test.
    expect(statuses).toEqual([422, 422, 422, 429, 429]);
    const removed = await h.call('DELETE', '/v1/organizations/acme/domains/acme-corp.example');
    expect(removed.status).toBe(204);
    const dee = await h.user('dee@acme-corp.example');
    expect(await memberRole('acme', dee.id)).toBeUndefined();
    expect(
      (await h.call('GET', '/v1/me/suggested-organizations', { key: dee.key })).body.organizations,
    ).toEqual([]);
    expect((await h.call('GET', '/v1/organizations/acme/domains/acme-corp.example')).status).toBe(404);
  });
});

describe('auto_join for accounts made at first sign-in through an external identity provider', () => {
  it('joins the organization that verified the address domain', async () => {
    h.clock.advance(600_001); // past the window of domain checks the tests above spent
    const added = await h.call('POST', '/v1/organizations/acme/domains', {
      body: { domain: 'federated.example', join_mode: 'auto_join' },
    });
    dns.set(added.body.txt_record.name, [[added.body.txt_record.value]]);
    expect((await h.call('POST', '/v1/organizations/acme/domains/federated.example/verify')).status).toBe(
      200,
    );

    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const { app } = await buildApp({
      database: h.database,
      keys: h.keys,
      clock: h.clock,
      publicUrl: 'http://rsvp.test',
      resolveTxt,
      externalJwt: {
        issuer: 'https://idp.test',
        audience: 'rsvp',
        jwksUrl: `http://127.0.0.1:${port}/jwks`,
        algorithms: ['ES256'],
        emailClaim: 'email',
      },
    });
    try {
      const jwt = await new SignJWT({ email: 'Fed@Federated.example', email_verified: true })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('https://idp.test')
        .setAudience('rsvp')
        .setSubject('idp-user-9')
        .setIssuedAt(Math.floor(h.clock.now().getTime() / 1000))
        .setExpirationTime(Math.floor(h.clock.now().getTime() / 1000) + 300)
        .sign(privateKey);
      const me = await app.inject({
        method: 'GET',
        url: '/v1/me',
        headers: { authorization: `Bearer ${jwt}` },
      });
      expect(me.statusCode, me.body).toBe(200);
      expect(await memberRole('acme', JSON.parse(me.body).id)).toBe('member');
    } finally {
      await app.close();
      server.close();
    }
  });

  it('a domain whose record is gone stops being verified at its next check, and another organization may prove it', async () => {
    const org = await h.call('POST', '/v1/organizations', { body: { slug: 'lapsed-co', name: 'Lapsed' } });
    expect(org.status).toBe(201);
    const added = await h.call('POST', '/v1/organizations/lapsed-co/domains', {
      body: { domain: 'lapsed.example' },
    });
    const { name, value } = added.body.txt_record;
    dns.set(name, [[value]]);
    expect((await h.call('POST', '/v1/organizations/lapsed-co/domains/lapsed.example/verify')).status).toBe(
      200,
    );

    dns.delete(name);
    const check = await h.call('POST', '/v1/organizations/lapsed-co/domains/lapsed.example/verify');
    expect([check.status, check.body.code]).toEqual([422, 'domain_not_verified']);
    const after = await h.call('GET', '/v1/organizations/lapsed-co/domains/lapsed.example');
    expect(after.body.status).toBe('pending');
    const person = await h.user('someone@lapsed.example');
    expect(
      (await h.call('GET', '/v1/me/suggested-organizations', { key: person.key })).body.organizations,
    ).toEqual([]);

    // The domain's new owner publishes its own record and proves it.
    const rival = await h.call('POST', '/v1/organizations', {
      body: { slug: 'new-owner-co', name: 'New owner' },
    });
    expect(rival.status).toBe(201);
    const theirs = await h.call('POST', '/v1/organizations/new-owner-co/domains', {
      body: { domain: 'lapsed.example' },
    });
    dns.set(theirs.body.txt_record.name, [[theirs.body.txt_record.value]]);
    expect(
      (await h.call('POST', '/v1/organizations/new-owner-co/domains/lapsed.example/verify')).status,
    ).toBe(200);
  });

  it('is looked up again daily by the sweep: a record gone unverifies it, DNS trouble does not', async () => {
    const logged: { obj: object; msg: string }[] = [];
    const logger = {
      info: (obj: object, msg: string) => logged.push({ obj, msg }),
      warn: (obj: object, msg: string) => logged.push({ obj, msg }),
      error: (obj: object, msg: string) => logged.push({ obj, msg }),
    };
    const sweeper = new Sweeper({
      database: h.database,
      clock: h.clock,
      logger,
      intervalMs: 60_000,
      onQueued: () => {},
      tasks: [h.services.domains.recheckTask],
    });
    await h.call('POST', '/v1/organizations', { body: { slug: 'daily-co', name: 'Daily' } });
    const verified = async (domain: string) => {
      const added = await h.call('POST', '/v1/organizations/daily-co/domains', {
        body: { domain, join_mode: 'auto_join' },
      });
      dns.set(added.body.txt_record.name, [[added.body.txt_record.value]]);
      const done = await h.call('POST', `/v1/organizations/daily-co/domains/${domain}/verify`);
      expect(done.body.status).toBe('verified');
      return added.body.txt_record.name as string;
    };
    const [goneName, flakyName] = [await verified('gone.example'), await verified('flaky.example')];
    const status = async (domain: string) =>
      (await h.call('GET', `/v1/organizations/daily-co/domains/${domain}`)).body;

    // Within a day of the last check, nothing is looked up, whatever DNS says now.
    dns.delete(goneName);
    const flaky = dns.get(flakyName)!;
    dns.set(flakyName, []);
    h.clock.advance(23 * HOUR);
    await sweeper.runOnce();
    expect((await status('gone.example')).status).toBe('verified');

    // A day on: the record that is gone unverifies its domain; a failed lookup only records why.
    const failing = resolveTxtFailure(flakyName);
    h.clock.advance(2 * HOUR);
    await sweeper.runOnce();
    failing.restore();
    dns.set(flakyName, flaky);
    expect(await status('gone.example')).toMatchObject({
      status: 'pending',
      check_error: expect.stringContaining('No TXT record'),
    });
    expect(await status('flaky.example')).toMatchObject({
      status: 'verified',
      check_error: expect.stringContaining('SERVFAIL'),
    });
    // Other tests' domains, still published, were checked too and stay verified.
    expect(logged.find((entry) => entry.msg === 'verified domains re-checked')?.obj).toMatchObject({
      lost: ['gone.example'],
    });
    const events = await h.call('GET', '/v1/events?type=domain.updated&page_size=100');
    const lost = events.body.events.find(
      (e: { data: { domain: string } }) => e.data.domain === 'gone.example',
    );
    expect(lost).toMatchObject({ actor_user_id: null, data: { status: 'pending', by: 'daily_recheck' } });
    // New accounts there no longer join.
    const newcomer = await h.user('new@gone.example');
    expect(await memberRole('daily-co', newcomer.id)).toBeUndefined();

    // The flaky domain's next check, a day later, finds its record again and clears the error.
    h.clock.advance(DAY + HOUR);
    await sweeper.runOnce();
    expect(await status('flaky.example')).toMatchObject({ status: 'verified', check_error: null });
  });
});

/** Makes lookups of `name` fail as a DNS server failure does, until restored. */
function resolveTxtFailure(name: string) {
  const records = dns.get(name);
  failures.add(name);
  return {
    restore: () => {
      failures.delete(name);
      if (records) dns.set(name, records);
    },
  };
}
