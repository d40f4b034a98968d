import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfluentApp } from '../src/dialects/confluent/confluent.app.ts';
import { buildTrieveApp } from '../src/dialects/trieve/trieve.app.ts';
import type { App } from '../src/http/app-types.ts';
import { cvatAppFor, type Harness, harness, request } from './helpers.ts';

/**
 * The chain the security review found, across listeners: the owner of A invites the owner of B
 * through Trieve (or CVAT with `invitation_confirm: false`), and B's owner's next Confluent call
 * without `Confluent-Organization-Id` lands in A, where A's owner reads what B's owner created.
 */
describe('tenant isolation and consent across listeners', () => {
  let h: Harness;
  let trieve: App;
  let cvat: App;
  let confluent: App;
  let alice: { id: string; key: string; email: string };
  let bob: { id: string; key: string; email: string };
  let carol: { id: string; key: string; email: string };
  const orgs: Record<string, { id: string; uuid: string; seq: number }> = {};

  beforeAll(async () => {
    h = await harness();
    trieve = buildTrieveApp(h.services, { publicUrl: 'http://rsvp.test' });
    cvat = cvatAppFor(h, 'http://cvat.rsvp.test');
    confluent = buildConfluentApp(h.services, {
      pageTokenKey: h.keys.pageTokenSigning,
      listenerUrl: 'http://confluent.rsvp.test',
    });
    for (const app of [trieve, cvat, confluent]) await app.ready();
    alice = await h.user('alice@a.example');
    bob = await h.user('bob@b.example');
    carol = await h.user('carol@c.example');
    // A is created first, so it is the oldest organization Bob could ever administer.
    for (const [slug, owner] of [
      ['org-a', alice],
      ['org-b', bob],
      ['org-c', carol],
    ] as const) {
      const created = await h.call('POST', '/v1/organizations', {
        key: owner.key,
        body: { slug, name: slug },
      });
      expect(created.status).toBe(201);
      const row = await h.database.db
        .selectFrom('organizations')
        .select(['id', 'uuid', 'seq'])
        .where('slug', '=', slug)
        .executeTakeFirstOrThrow();
      orgs[slug] = { id: row.id, uuid: row.uuid, seq: Number(row.seq) };
      h.clock.advance(1000);
    }
  });
  afterAll(async () => {
    for (const app of [trieve, cvat, confluent]) await app.close();
    await h.close();
  });

  const confluentCall = (
    key: string,
    method: string,
    url: string,
    options: { organization?: string; body?: unknown } = {},
  ) =>
    request(confluent, method, url, {
      headers: {
        authorization: `Bearer ${key}`,
        ...(options.organization ? { 'confluent-organization-id': options.organization } : {}),
      },
      body: options.body,
    });

  const membersOf = async (slug: string, key: string) =>
    (await h.call('GET', `/v1/organizations/${slug}/members`, { key })).body.members.map(
      (member: { email: string }) => member.email,
    ) as string[];

  it('Trieve: inviting a registered owner of another organization makes them nobody until they accept', async () => {
    const invited = await request(trieve, 'POST', '/api/invitation', {
      headers: { authorization: `Bearer ${alice.key}`, 'tr-organization': orgs['org-a']!.uuid },
      body: {
        email: bob.email,
        user_role: 2,
        app_url: 'http://rsvp.test/api',
        redirect_uri: 'http://rsvp.test/after',
      },
    });
    // Trieve's client expects 204 with no body, whether or not the invitee has an account.
    expect(invited.status).toBe(204);
    expect(invited.body).toBeNull();
    expect(await membersOf('org-a', alice.key)).toEqual([alice.email]);
    const pending = await h.call('GET', '/v1/me/invitations', { key: bob.key });
    expect(pending.body.invitations).toHaveLength(1);
    expect(pending.body.invitations[0]).toMatchObject({ status: 'pending', role: 'owner' });
  });

  it('CVAT: invitation_confirm false does not make a registered user a member either', async () => {
    const settings = await h.call('PATCH', '/v1/organizations/org-a', {
      key: alice.key,
      body: { settings: { invitation_confirm: false } },
    });
    expect(settings.status).toBe(200);
    const created = await request(cvat, 'POST', '/api/invitations?org=org-a', {
      headers: { authorization: `Token ${alice.key}` },
      body: { email: carol.email, role: 'maintainer' },
    });
    expect(created.status).toBe(201);
    expect(created.body.expired).toBe(false);
    expect(await membersOf('org-a', alice.key)).not.toContain(carol.email);
    const mine = await h.call('GET', '/v1/me/invitations', { key: carol.key });
    expect(mine.body.invitations.map((i: { status: string }) => i.status)).toEqual(['pending']);
  });

  it("Confluent: a call without the header acts in the caller's only organization, never in one they were invited to", async () => {
    const created = await confluentCall(bob.key, 'POST', '/iam/v2/invitations', {
      body: { email: 'secret-hire@b.example' },
    });
    expect(created.status).toBe(201);
    expect(created.body.metadata.resource_name).toContain(`organization=${orgs['org-b']!.uuid}`);
    const inA = await h.call('GET', '/v1/organizations/org-a/invitations?email=secret-hire@b.example', {
      key: alice.key,
    });
    expect(inA.body.invitations).toEqual([]);
    const inB = await h.call('GET', '/v1/organizations/org-b/invitations?email=secret-hire@b.example', {
      key: bob.key,
    });
    expect(inB.body.invitations).toHaveLength(1);
  });

  it('Confluent: once in several organizations by their own act, the caller must name one', async () => {
    const [invitation] = (await h.call('GET', '/v1/me/invitations', { key: bob.key })).body.invitations;
    const accepted = await h.call('POST', `/v1/invitations/${invitation.id}/accept`, { key: bob.key });
    expect(accepted.status).toBe(200);
    expect(await membersOf('org-a', alice.key)).toContain(bob.email);

    const list = await confluentCall(bob.key, 'GET', '/iam/v2/invitations');
    expect(list.status).toBe(400);
    expect(list.body.errors[0]).toMatchObject({
      status: '400',
      code: 'invalid_request',
      source: { parameter: 'Confluent-Organization-Id' },
    });
    const create = await confluentCall(bob.key, 'POST', '/iam/v2/invitations', {
      body: { email: 'another@b.example' },
    });
    expect(create.status).toBe(400);
    const rows = await h.database.db
      .selectFrom('invitations')
      .select('id')
      .where('email', '=', 'another@b.example')
      .execute();
    expect(rows).toEqual([]);

    const named = await confluentCall(bob.key, 'GET', '/iam/v2/invitations', { organization: 'org-b' });
    expect(named.status).toBe(200);
    expect(named.body.data.map((i: { email: string }) => i.email)).toEqual(['secret-hire@b.example']);
    // Carol belongs to no organization but her own, and was never asked into A: she cannot name it.
    const foreign = await confluentCall(carol.key, 'GET', '/iam/v2/invitations', { organization: 'org-a' });
    expect(foreign.status).toBe(404);
  });
});
