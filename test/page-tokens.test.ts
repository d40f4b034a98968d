import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './helpers.ts';

/** Page tokens are opaque: one edited by hand is refused with 400, never a 500. */
describe('page tokens', () => {
  let h: Harness;
  const list = (query: string) => h.call('GET', `/v1/organizations/acme/invitations?${query}`);

  beforeAll(async () => {
    h = await harness();
    for (const email of ['a@example.com', 'b@example.com', 'c@example.com']) {
      expect((await h.call('POST', '/v1/organizations/acme/invitations', { body: { email } })).status).toBe(
        201,
      );
    }
  });
  afterAll(async () => {
    await h.close();
  });

  it('pages through with the issued token, in every order', async () => {
    for (const order of ['email', '-email', 'create_time', '-create_time', 'expire_time']) {
      const first = await list(`page_size=2&order_by=${order}`);
      expect(first.status).toBe(200);
      const second = await list(`page_size=2&order_by=${order}&page_token=${first.body.next_page_token}`);
      expect(second.status).toBe(200);
      expect(first.body.invitations.length + second.body.invitations.length).toBe(3);
    }
  });

  it('refuses a token whose sort key was edited, with 400 invalid_page_token', async () => {
    for (const order of ['create_time', 'expire_time', 'email']) {
      const first = await list(`page_size=1&order_by=${order}`);
      const body = JSON.parse(Buffer.from(first.body.next_page_token, 'base64url').toString('utf8'));
      for (const after of [["'; drop table x;--", 'x'], [42, 'x'], ['2026-11-23T12:00:00.000Z', 7], [null]]) {
        const token = Buffer.from(JSON.stringify({ ...body, after })).toString('base64url');
        const page = await list(`page_size=1&order_by=${order}&page_token=${token}`);
        if (order === 'email' && typeof after[0] === 'string' && typeof after[1] === 'string') {
          expect(page.status).toBe(200);
          continue;
        }
        expect(page.status, `${order} ${JSON.stringify(after)}`).toBe(400);
        expect(page.body.code).toBe('invalid_page_token');
      }
    }
  });
});
