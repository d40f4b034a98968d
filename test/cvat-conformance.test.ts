import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/app-types.ts';
import { DAY } from '../src/lib/clock.ts';
import { cvatAppFor, type Harness, harness, request } from './helpers.ts';

/** What CVAT's schema and server do that a generated CVAT client relies on. */
describe('CVAT conformance', () => {
  let h: Harness;
  let cvat: App;
  let otto: Awaited<ReturnType<Harness['user']>>; // owner
  let mara: Awaited<ReturnType<Harness['user']>>; // maintainer

  beforeAll(async () => {
    h = await harness();
    cvat = cvatAppFor(h, 'http://cvat.rsvp.test');
    await cvat.ready();
    otto = await h.user('otto@acme.test', 'owner');
    mara = await h.user('mara@acme.test', 'admin');
  });
  afterAll(async () => {
    await cvat.close();
    await h.close();
  });

  async function call(method: string, url: string, options: { key?: string; org?: string | null } = {}) {
    const org = options.org === undefined ? 'acme' : options.org;
    return request(cvat, method, url, {
      headers: {
        authorization: `Token ${options.key ?? otto.key}`,
        ...(org ? { 'x-organization': org } : {}),
      },
    });
  }
  const post = (url: string, body: unknown, key = otto.key) =>
    request(cvat, 'POST', url, {
      headers: { authorization: `Token ${key}`, 'x-organization': 'acme' },
      body,
    });
  const invite = async (email: string, role = 'worker') =>
    (await post('/api/invitations', { role, email })).body.key as string;
  const list = async (query: string) => {
    const answer = await call('GET', `/api/invitations?page_size=all&${query}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body.results as {
      key: string;
      user: { username: string; id: number };
      owner: { username: string };
    }[];
  };

  it('answers 404 to a GET of a deleted invitation, and to a second DELETE', async () => {
    const key = await invite('gone@example.com');
    expect((await call('DELETE', `/api/invitations/${key}`)).status).toBe(204);
    expect((await call('GET', `/api/invitations/${key}`)).status).toBe(404);
    const again = await call('DELETE', `/api/invitations/${key}`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ detail: 'Not found.' });
    expect((await list('')).map((row) => row.key)).not.toContain(key);
  });

  it('deletes an expired invitation too: then it is gone', async () => {
    const key = await invite('lapsed@example.com');
    h.clock.advance(8 * DAY);
    expect((await call('GET', `/api/invitations/${key}`)).body.expired).toBe(true);
    expect((await call('DELETE', `/api/invitations/${key}`)).status).toBe(204);
    expect((await call('GET', `/api/invitations/${key}`)).status).toBe(404);
    expect((await call('DELETE', `/api/invitations/${key}`)).status).toBe(404);
    const native = await h.call('GET', '/v1/organizations/acme/invitations?email=lapsed@example.com');
    expect(native.body.invitations[0].status).toBe('revoked');
  });

  it('answers 404 to a GET of a declined invitation', async () => {
    const key = await invite('nope@example.com');
    const nope = await h.user('nope@example.com');
    expect((await call('POST', `/api/invitations/${key}/decline`, { key: nope.key, org: null })).status).toBe(
      204,
    );
    expect((await call('GET', `/api/invitations/${key}`)).status).toBe(404);
    expect((await call('GET', `/api/invitations/${key}`, { key: nope.key, org: null })).status).toBe(404);
  });

  it('throttles resends 5 per hour per user only: another staff member may still resend', async () => {
    const key = await invite('often@example.com');
    for (let i = 0; i < 5; i++)
      expect((await call('POST', `/api/invitations/${key}/resend`, { key: mara.key })).status).toBe(204);
    expect((await call('POST', `/api/invitations/${key}/resend`, { key: mara.key })).status).toBe(429);
    expect((await call('POST', `/api/invitations/${key}/resend`)).status).toBe(204);
  });

  describe('filter and sort', () => {
    let bob: Awaited<ReturnType<Harness['user']>>;
    let bobSeq: number;

    beforeAll(async () => {
      await invite('fa@example.com');
      await post('/api/invitations', { role: 'worker', email: 'fb@example.com' }, mara.key);
      bob = await h.user('fc@example.com');
      await invite('fc@example.com');
      bobSeq = (
        await h.database.db
          .selectFrom('users')
          .select('seq')
          .where('id', '=', bob.id)
          .executeTakeFirstOrThrow()
      ).seq;
    });

    const emails = async (filter: unknown, extra = '') =>
      (await list(`filter=${encodeURIComponent(JSON.stringify(filter))}${extra}`))
        .map((row) => row.user.username)
        .filter((name) => /^f[abc]@/.test(name))
        .sort();

    it('takes or, !, !!, in and comparisons on owner, user_id and accepted; refuses the rest', async () => {
      const owner = (name: string) => ({ '==': [{ var: 'owner' }, name] });
      expect(await emails({ or: [owner('mara@acme.test'), { '==': [{ var: 'user_id' }, bobSeq] }] })).toEqual(
        ['fb@example.com', 'fc@example.com'],
      );
      expect(await emails({ '!': owner('otto@acme.test') })).toEqual(['fb@example.com']);
      expect(
        await emails({ and: [{ '!!': owner('otto@acme.test') }, { '!': { var: 'accepted' } }] }),
      ).toEqual([]);
      expect(
        await emails({ and: [owner('otto@acme.test'), { '==': [{ var: 'accepted' }, false] }] }),
      ).toEqual(['fa@example.com', 'fc@example.com']);
      expect(await emails({ in: [{ var: 'owner' }, ['mara@acme.test', 'nobody']] })).toEqual([
        'fb@example.com',
      ]);
      expect(await emails({ in: ['mara', { var: 'owner' }] })).toEqual(['fb@example.com']);
      expect(await emails({ '>=': [{ var: 'user_id' }, bobSeq] })).toEqual(['fc@example.com']);
      expect(await emails({ '<': [{ var: 'user_id' }, bobSeq] })).toEqual([
        'fa@example.com',
        'fb@example.com',
      ]);
      expect(await emails({ '<=': [{ var: 'user_id' }, bobSeq] })).toEqual([
        'fa@example.com',
        'fb@example.com',
        'fc@example.com',
      ]);
      expect(await emails({ '>': [{ var: 'owner' }, 'n'] })).toEqual(['fa@example.com', 'fc@example.com']);
      expect(await emails({ '<=': [0, { var: 'user_id' }, bobSeq] })).toHaveLength(3);
      // and refuses unknown operations, fields and value types with 400 on the filter field
      for (const filter of [
        { xor: [1, 2] },
        { '==': [{ var: 'email' }, 'x'] },
        { '==': [{ var: 'user_id' }, 'x'] },
        { '==': [{ var: 'user_id' }, 1e308] },
        { or: 'x' },
      ]) {
        const answer = await call(
          'GET',
          `/api/invitations?filter=${encodeURIComponent(JSON.stringify(filter))}`,
        );
        expect(answer.status).toBe(400);
        expect(answer.body.filter).toEqual([expect.any(String)]);
      }
    });

    it('sorts by every CVAT sort field of invitations', async () => {
      const order = async (sort: string) =>
        (await list(`sort=${sort}`)).map((row) => row.user.username).filter((name) => /^f[abc]@/.test(name));
      // otto's two, newest first on a tie, then mara's.
      expect(await order('-owner')).toEqual(['fc@example.com', 'fa@example.com', 'fb@example.com']);
      expect(await order('owner')).toEqual(['fb@example.com', 'fc@example.com', 'fa@example.com']);
      expect(await order('user_id')).toEqual(['fa@example.com', 'fb@example.com', 'fc@example.com']);
      expect(await order('-user_id')).toEqual(['fc@example.com', 'fb@example.com', 'fa@example.com']);
      expect((await call('GET', '/api/invitations?sort=accepted')).status).toBe(200);
      expect((await call('GET', '/api/invitations?sort=-accepted')).status).toBe(200);
      expect((await call('GET', '/api/invitations?sort=email')).status).toBe(400);
    });
  });

  describe('invitations made through other surfaces', () => {
    it('shows a user object for an invitee who has none yet, and the same user each time', async () => {
      const made = await h.call('POST', '/v1/organizations/acme/invitations', {
        body: { email: 'native@example.com', role: 'member' },
      });
      expect(made.status, JSON.stringify(made.body)).toBeLessThan(300);
      const rows = (await list('')).filter((row) => row.user.username === 'native@example.com');
      expect(rows).toHaveLength(1);
      expect(rows[0]!.user).toEqual({
        url: expect.stringMatching(/\/api\/users\/\d+$/),
        id: expect.any(Number),
        username: 'native@example.com',
        first_name: '',
        last_name: '',
      });
      const again = (await list('')).find((row) => row.user.username === 'native@example.com')!;
      expect(again.user.id).toBe(rows[0]!.user.id);
      const single = await call('GET', `/api/invitations/${rows[0]!.key}`);
      expect(single.body.user.id).toBe(rows[0]!.user.id);
    });

    it('does not list resource invitations, nor show them by key', async () => {
      const resource = await h.call('POST', '/v1/organizations/acme/resources', {
        body: { type: 'array', name: 'cvat-hidden' },
      });
      const made = await h.call('POST', '/v1/organizations/acme/invitations', {
        body: { email: 'shared@example.com', resource_id: resource.body.id, actions: ['read'] },
      });
      expect(made.status, JSON.stringify(made.body)).toBeLessThan(300);
      expect((await list('')).map((row) => row.user.username)).not.toContain('shared@example.com');
      const shared = await h.user('shared@example.com');
      expect((await call('GET', '/api/invitations', { key: shared.key, org: null })).body.count).toBe(0);
    });
  });
});
