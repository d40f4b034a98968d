import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ABUSE_LIMITS } from '../src/lib/rate-limiter.ts';
import { sha256 } from '../src/lib/secrets.ts';
import { type Harness, harness } from './helpers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness({
    deps: { abuseLimits: { ...DEFAULT_ABUSE_LIMITS, perJoiner: { limit: 1000, windowMs: 3_600_000 } } },
  });
});
afterAll(async () => {
  await h.close();
});

let n = 0;
const newUser = (domain = 'example.com') => h.user(`joiner-${++n}@${domain}`);
const createLink = async (body: Record<string, unknown> = {}) => {
  const created = await h.call('POST', '/v1/organizations/acme/join-links', { body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body as { id: string; token: string; [key: string]: unknown };
};
const join = (key: string, token: string) => h.call('POST', '/v1/join', { key, body: { token } });
const roleOf = async (userId: string) =>
  (
    await h.database.db
      .selectFrom('memberships')
      .select('role')
      .where('organization_id', '=', h.org.id)
      .where('user_id', '=', userId)
      .executeTakeFirst()
  )?.role;

describe('join links', () => {
  it('an admin creates a link; someone signed in joins through it with its role; the admin sees the use', async () => {
    const link = await createLink({ role: 'member', max_uses: 5, description: 'posted in #general' });
    expect(link.token).toMatch(/^rsvp_jl_[0-9A-Za-z]{38}$/);
    expect(link).toMatchObject({ role: 'member', max_uses: 5, use_count: 0, status: 'active' });
    const stored = await h.database.db
      .selectFrom('join_links')
      .select('secret_hash')
      .where('id', '=', link.id)
      .executeTakeFirstOrThrow();
    expect(stored.secret_hash).toBe(sha256(link.token));

    const preview = await h.call('POST', '/v1/join-links/preview', {
      key: null,
      body: { token: link.token },
    });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({
      organization: { name: 'Acme' },
      role: 'member',
      requires_approval: false,
    });

    const grace = await newUser();
    const joined = await join(grace.key, link.token);
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    expect(joined.body).toMatchObject({ status: 'joined', organization: { name: 'Acme' } });
    expect(await roleOf(grace.id)).toBe('member');

    const again = await join(grace.key, link.token);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_member');

    const shown = await h.call('GET', `/v1/organizations/acme/join-links/${link.id}`);
    expect(shown.body).toMatchObject({ use_count: 1, status: 'active' });
    expect(shown.body.token).toBeUndefined();
    const uses = await h.call('GET', `/v1/organizations/acme/join-links/${link.id}/uses`);
    expect(uses.body.join_requests).toEqual([
      expect.objectContaining({
        user_id: grace.id,
        email: grace.email,
        status: 'joined',
        join_link_id: link.id,
      }),
    ]);
    const events = await h.call('GET', `/v1/events?type=membership.created,join_link.created&page_size=100`);
    expect(events.body.events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'join_link.created', subject_id: link.id }),
        expect.objectContaining({
          type: 'membership.created',
          actor_user_id: grace.id,
          data: expect.objectContaining({ via: 'join_link', join_link_id: link.id }),
        }),
      ]),
    );
  });

  it('never exceeds max_uses, even with many people joining at once', async () => {
    const link = await createLink({ max_uses: 3 });
    const people = await Promise.all(Array.from({ length: 8 }, () => newUser()));
    const answers = await Promise.all(people.map((person) => join(person.key, link.token)));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([200, 200, 200, 410, 410, 410, 410, 410]);
    for (const answer of answers.filter((a) => a.status === 410))
      expect(answer.body.code).toBe('join_link_exhausted');
    const members = (await Promise.all(people.map((person) => roleOf(person.id)))).filter(Boolean);
    expect(members).toHaveLength(3);
    const shown = await h.call('GET', `/v1/organizations/acme/join-links/${link.id}`);
    expect(shown.body).toMatchObject({ use_count: 3, status: 'exhausted' });
  });

  it('checks the allowed domain against the account address, subdomains included', async () => {
    const link = await createLink({ allowed_domain: 'Partner.example' });
    const outsider = await newUser('elsewhere.example');
    const refused = await join(outsider.key, link.token);
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('join_link_domain_mismatch');
    const insider = await newUser('eng.partner.example');
    expect((await join(insider.key, link.token)).status).toBe(200);
    expect((await h.call('GET', `/v1/organizations/acme/join-links/${link.id}`)).body.use_count).toBe(1);
  });

  it('revoked, rotated away and expired links stop working', async () => {
    const revoked = await createLink();
    const revoke = await h.call('POST', `/v1/organizations/acme/join-links/${revoked.id}/revoke`);
    expect(revoke.body.status).toBe('revoked');
    const person = await newUser();
    expect((await join(person.key, revoked.token)).body.code).toBe('join_link_revoked');
    expect((await h.call('POST', `/v1/organizations/acme/join-links/${revoked.id}/revoke`)).status).toBe(409);

    const rotating = await createLink();
    const rotated = await h.call('POST', `/v1/organizations/acme/join-links/${rotating.id}/rotate`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.token).not.toBe(rotating.token);
    const old = await join(person.key, rotating.token);
    expect(old.status).toBe(404);
    expect(old.body.code).toBe('join_link_not_found');
    expect((await join(person.key, rotated.body.token)).status).toBe(200);

    const lapsing = await createLink({ ttl_seconds: 3600 });
    h.clock.advance(3601_000);
    const late = await newUser();
    const expired = await join(late.key, lapsing.token);
    expect(expired.status).toBe(410);
    expect(expired.body.code).toBe('join_link_expired');
    expect(
      (await h.call('POST', '/v1/join-links/preview', { key: null, body: { token: lapsing.token } })).status,
    ).toBe(410);
  });

  it('a join takes a seat: none free is 402 and spends no use', async () => {
    const link = await createLink();
    const members = await h.call('GET', '/v1/organizations/acme/members?page_size=100');
    const seats = members.body.members.length;
    await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { seat_limit: seats } } });
    const person = await newUser();
    const refused = await join(person.key, link.token);
    expect(refused.status).toBe(402);
    expect(refused.body.code).toBe('seat_limit_reached');
    expect((await h.call('GET', `/v1/organizations/acme/join-links/${link.id}`)).body.use_count).toBe(0);
    await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { seat_limit: null } } });
    expect((await join(person.key, link.token)).status).toBe(200);
  });

  it('a resource link grants its actions on the resource', async () => {
    const resource = await h.call('POST', '/v1/organizations/acme/resources', {
      body: { type: 'array', name: 'shared-by-link' },
    });
    const link = await createLink({ resource_id: resource.body.id, actions: ['read'] });
    const person = await newUser();
    const joined = await join(person.key, link.token);
    expect(joined.status).toBe(200);
    expect(joined.body.join_request).toMatchObject({ resource_id: resource.body.id, actions: ['read'] });
    const grant = await h.database.db
      .selectFrom('resource_grants')
      .selectAll()
      .where('resource_id', '=', resource.body.id)
      .where('user_id', '=', person.id)
      .executeTakeFirst();
    expect(JSON.parse(grant!.actions)).toEqual(['read']);
    expect(await roleOf(person.id)).toBeUndefined();
  });

  it('only admins manage links, and nobody offers a role above their own', async () => {
    const member = await h.user(`plain-${++n}@example.com`, 'member');
    const refused = await h.call('POST', '/v1/organizations/acme/join-links', { key: member.key, body: {} });
    expect(refused.status).toBe(403);
    expect((await h.call('GET', '/v1/organizations/acme/join-links', { key: member.key })).status).toBe(403);
    const admin = await h.user(`admin-${++n}@example.com`, 'admin');
    const above = await h.call('POST', '/v1/organizations/acme/join-links', {
      key: admin.key,
      body: { role: 'owner' },
    });
    expect(above.status).toBe(403);
    expect(above.body.code).toBe('role_above_own');
    const outsider = await newUser();
    expect((await h.call('GET', '/v1/organizations/acme/join-links', { key: outsider.key })).status).toBe(
      404,
    );
  });

  it('a role a live link offers cannot be removed from the catalog until the link is revoked', async () => {
    const org = await h.call('GET', '/v1/organizations/acme');
    const roles = org.body.settings.roles;
    const withGuest = [...roles, { name: 'guest', rank: 5, admin: false }];
    expect(
      (await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { roles: withGuest } } })).status,
    ).toBe(200);
    const link = await createLink({ role: 'guest' });
    const drop = await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { roles } } });
    expect([drop.status, drop.body.code]).toEqual([409, 'role_in_use']);
    await h.call('POST', `/v1/organizations/acme/join-links/${link.id}/revoke`);
    expect((await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { roles } } })).status).toBe(
      200,
    );
  });

  it('bad input answers 4xx', async () => {
    const bad = await h.call('POST', '/v1/organizations/acme/join-links', { body: { max_uses: 0 } });
    expect(bad.status).toBe(400);
    const mixed = await h.call('POST', '/v1/organizations/acme/join-links', {
      body: { role: 'member', actions: ['read'] },
    });
    expect(mixed.status).toBe(422);
    const person = await newUser();
    expect((await join(person.key, 'not-a-token')).status).toBe(404);
    expect((await h.call('POST', '/v1/join', { key: person.key, body: {} })).status).toBe(400);
  });
});

describe('abuse limits on joining', () => {
  it('counts every attempt per user, failed ones included', async () => {
    const limited = await harness({
      deps: { abuseLimits: { ...DEFAULT_ABUSE_LIMITS, perJoiner: { limit: 3, windowMs: 3_600_000 } } },
    });
    try {
      const person = await limited.user('guesser@example.com');
      const answers = [];
      for (let i = 0; i < 4; i++) {
        answers.push(
          await limited.call('POST', '/v1/join', { key: person.key, body: { token: `rsvp_jl_${i}` } }),
        );
      }
      expect(answers.map((answer) => answer.status)).toEqual([404, 404, 404, 429]);
      expect(answers[3]!.headers['retry-after']).toBeDefined();
    } finally {
      await limited.close();
    }
  });
});
