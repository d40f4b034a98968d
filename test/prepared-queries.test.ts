import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepared } from '../src/db/prepared.ts';
import { type Harness, harness } from './helpers.ts';

// Hot-path queries are compiled once per dialect and run with each call's values (issue 20):
// the answers must be those of the query built per call, inside transactions too.

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(() => h.close());

describe('prepared queries', () => {
  const byEmail = prepared((db, email: string, status: 'pending' | 'accepted') =>
    db
      .selectFrom('invitations')
      .select(['email', 'status'])
      .where('email', '=', email)
      .where('status', '=', status)
      .where('send_count', '>=', 0),
  );

  it('answers as the built query does, with each call’s own values, in and out of transactions', async () => {
    for (const email of ['one@example.com', 'two@example.com']) {
      await h.call('POST', '/v1/organizations/acme/invitations', { body: { email, send_email: false } });
    }
    const db = h.database.db;
    expect(await byEmail(db, 'one@example.com', 'pending')).toEqual([
      { email: 'one@example.com', status: 'pending' },
    ]);
    expect(await byEmail(db, 'two@example.com', 'pending')).toEqual([
      { email: 'two@example.com', status: 'pending' },
    ]);
    expect(await byEmail(db, 'two@example.com', 'accepted')).toEqual([]);
    // A value that looks like SQL stays a value.
    expect(await byEmail(db, "x' or '1'='1", 'pending')).toEqual([]);
    const inTransaction = await db.transaction().execute((trx) => byEmail(trx, 'one@example.com', 'pending'));
    expect(inTransaction).toHaveLength(1);
  });

  it('refuses a builder that does not bind every argument as a value', async () => {
    const unbound = prepared((db, _unused: string) => db.selectFrom('invitations').select('id'));
    await expect(unbound(h.database.db, 'x')).rejects.toThrow('binds 0 of 1 arguments');
  });

  it('finds an organization by id, UUID, slug, and a slug that looks like a UUID', async () => {
    const uuidSlug = '0b9c9e5e-1b7e-4a57-9a3e-6f2f3b1c2d4e';
    const made = await h.call('POST', '/v1/organizations', { body: { slug: uuidSlug, name: 'Uuid slug' } });
    expect(made.status).toBe(201);
    for (const ref of [made.body.id, made.body.uuid, uuidSlug].filter(Boolean)) {
      const got = await h.call('GET', `/v1/organizations/${ref}`);
      expect([ref, got.status, got.body.slug]).toEqual([ref, 200, uuidSlug]);
    }
  });

  it('reads one invitation by organization id, UUID or slug, and answers 403 and 404 as the caller’s access says', async () => {
    const uuidSlug = '1c0d0f6f-2c8f-4b68-8b4f-7a3a4c2d3e5f';
    const org = await h.call('POST', '/v1/organizations', {
      body: { slug: uuidSlug, name: 'Uuid slug too' },
    });
    const made = await h.call('POST', `/v1/organizations/${uuidSlug}/invitations`, {
      body: { email: 'one-read@example.com', send_email: false },
    });
    expect(made.status).toBe(201);
    const path = (ref: string, id = made.body.id) => `/v1/organizations/${ref}/invitations/${id}`;
    const stored = await h.database.db
      .selectFrom('organizations')
      .select(['id', 'uuid'])
      .where('slug', '=', uuidSlug)
      .executeTakeFirstOrThrow();
    expect(stored.id).toBe(org.body.id);
    for (const ref of [stored.id, stored.uuid, uuidSlug]) {
      const got = await h.call('GET', path(ref));
      expect([ref, got.status, got.body.email]).toEqual([ref, 200, 'one-read@example.com']);
    }
    const answer = async (ref: string, key?: string, id?: string) => {
      const got = await h.call('GET', path(ref, id), key ? { key } : {});
      return [got.status, got.body.code];
    };
    // A member who is not an admin; a stranger; another organization's path; no such invitation.
    const member = await h.user('member-read@example.com', 'member');
    expect(
      await answer(
        'acme',
        member.key,
        (await h.call('GET', '/v1/organizations/acme/invitations')).body.invitations[0]?.id ??
          'inv_00000000000000000000',
      ),
    ).toEqual([403, 'admin_role_required']);
    const stranger = await h.user('stranger-read@example.com');
    const strangerAnswer = await answer(uuidSlug, stranger.key);
    expect(strangerAnswer[0]).toBe(404);
    expect(await answer('acme')).toEqual(await answer('acme', undefined, 'inv_00000000000000000000'));
    expect((await answer('acme'))[0]).toBe(404);
    // The instance admin reads an organization they are not a member of.
    const theirs = await h.call('POST', '/v1/organizations', {
      key: stranger.key,
      body: { slug: 'strangers-own', name: 'Theirs' },
    });
    expect(theirs.status).toBe(201);
    const invited = await h.call('POST', '/v1/organizations/strangers-own/invitations', {
      key: stranger.key,
      body: { email: 'their-invitee@example.com', send_email: false },
    });
    expect((await answer('strangers-own', undefined, invited.body.id))[0]).toBe(200);
    expect(await answer('strangers-own', member.key, invited.body.id)).toEqual(strangerAnswer);
  });
});
