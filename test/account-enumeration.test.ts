import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTiledbApp } from '../src/dialects/tiledb/tiledb.app.ts';
import { cvatAppFor, type Harness, harness, request } from './helpers.ts';

/**
 * Anyone who signs up may make an organization and invite any address without sending email.
 * Nothing in the answer may tell them whether that address has an account (outside tester,
 * issue 21): `invitee_user_id` names only an invitee the organization knows, one who answered
 * or is already a member.
 */
describe('invitations tell their inviter nothing about other people’s accounts', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h.close();
  });

  it('answers alike for an address with an account and one without, on every native answer', async () => {
    const prober = await h.user('prober@example.com');
    await h.user('has-account@example.com');
    expect(
      (await h.call('POST', '/v1/organizations', { key: prober.key, body: { slug: 'probe', name: 'Probe' } }))
        .status,
    ).toBe(201);
    const as = { key: prober.key };
    const one = await h.call('POST', '/v1/organizations/probe/invitations', {
      ...as,
      body: { email: 'has-account@example.com', send_email: false },
    });
    expect([one.status, one.body.invitee_user_id]).toEqual([201, null]);
    const batch = await h.call('POST', '/v1/organizations/probe/invitations/batch', {
      ...as,
      body: {
        invitations: [{ email: 'no-account@example.com' }, { email: 'admin@example.com' }],
        send_email: false,
      },
    });
    expect(
      batch.body.results.map(
        (row: { invitation: { invitee_user_id: unknown } }) => row.invitation.invitee_user_id,
      ),
    ).toEqual([null, null]);
    const listed = await h.call('GET', '/v1/organizations/probe/invitations', as);
    expect(listed.body.invitations.map((row: { invitee_user_id: unknown }) => row.invitee_user_id)).toEqual([
      null,
      null,
      null,
    ]);
    const got = await h.call('GET', `/v1/organizations/probe/invitations/${one.body.id}`, as);
    expect(got.body.invitee_user_id).toBeNull();
    const updated = await h.call('PATCH', `/v1/organizations/probe/invitations/${one.body.id}`, {
      ...as,
      body: { message: 'hello' },
    });
    expect([updated.status, updated.body.invitee_user_id]).toEqual([200, null]);
    const revoked = await h.call('POST', '/v1/organizations/probe/invitations/bulk-revoke', {
      ...as,
      body: { ids: [one.body.id] },
    });
    expect(revoked.body.results[0].invitation.invitee_user_id).toBeNull();
  });

  it('names an invitee who is already a member, and one who answered', async () => {
    const member = await h.user('member-invitee@example.com', 'member');
    const resource = await h.call('POST', '/v1/organizations/acme/resources', {
      body: { type: 'dataset', name: 'shared' },
    });
    const onResource = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: member.email, resource_id: resource.body.id, actions: ['read'], send_email: false },
    });
    expect([onResource.status, onResource.body.invitee_user_id]).toEqual([201, member.id]);

    const newcomer = await h.user('newcomer@example.com');
    const invited = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: newcomer.email, send_email: false },
    });
    expect(invited.body.invitee_user_id).toBeNull();
    const token = new URL(invited.body.accept_url).searchParams.get('token')!;
    expect(
      (await h.call('POST', '/v1/invitations/decline', { key: newcomer.key, body: { token } })).status,
    ).toBe(200);
    const after = await h.call('GET', `/v1/organizations/acme/invitations/${invited.body.id}`);
    expect([after.body.status, after.body.invitee_user_id]).toEqual(['declined', newcomer.id]);
  });

  it('names nobody in the CVAT shape either: an existing account and a new address look alike', async () => {
    await h.call('POST', '/v1/users', {
      body: {
        email: 'grace@example.com',
        password: 'correct horse battery',
        display_name: 'Grace Hopper',
        username: 'grace',
      },
    });
    const cvat = cvatAppFor(h);
    try {
      const invite = (email: string) =>
        request(cvat, 'POST', '/api/invitations', {
          headers: { authorization: `Token ${h.adminKey}`, 'x-organization': 'acme' },
          body: { role: 'worker', email },
        });
      const known = await invite('grace@example.com');
      const unknown = await invite('nobody-yet@example.com');
      expect([known.status, unknown.status]).toEqual([201, 201]);
      const shape = (user: { first_name: string; last_name: string; username: string }) => ({
        first_name: user.first_name,
        last_name: user.last_name,
        username: user.username,
      });
      expect(shape(known.body.user)).toEqual({
        first_name: '',
        last_name: '',
        username: 'grace@example.com',
      });
      expect(shape(unknown.body.user)).toEqual({
        first_name: '',
        last_name: '',
        username: 'nobody-yet@example.com',
      });
    } finally {
      await cvat.close();
    }
  });

  it('tells no invitee namespace in TileDB v1 for someone the organization does not know', async () => {
    await h.call('POST', '/v1/users', {
      body: { email: 'named@example.com', password: 'correct horse battery', username: 'jsmith' },
    });
    await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'named@example.com', send_email: false },
    });
    const tiledb = buildTiledbApp(h.services);
    try {
      const listed = await request(
        tiledb,
        'GET',
        '/v1/invitations?organization=acme&type=JOIN_ORGANIZATION&per_page=100',
        {
          headers: { 'x-tiledb-rest-api-key': h.adminKey },
        },
      );
      expect(listed.status).toBe(200);
      const row = listed.body.invitations.find((i: { email: string }) => i.email === 'named@example.com');
      expect(row.namespace_invited).toBe('');
    } finally {
      await tiledb.close();
    }
  });
});
