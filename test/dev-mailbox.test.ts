import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/delivery/delivery.ts';
import { deliveryFor, type Harness, harness, request } from './helpers.ts';

const OWNER = 'Basic ' + Buffer.from('owner@acme.test:owner-password').toString('base64');
const HTML = { accept: 'text/html,application/xhtml+xml' };

/** Cookies a response sets, as a Cookie header for the next request. */
function cookiesFrom(headers: Record<string, unknown>, jar = new Map<string, string>()): Map<string, string> {
  const raw = headers['set-cookie'];
  for (const line of Array.isArray(raw) ? raw : raw ? [raw] : []) {
    const [pair] = String(line).split(';');
    const eq = pair!.indexOf('=');
    jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
  }
  return jar;
}
const cookieHeader = (jar: Map<string, string>) =>
  [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
const csrfIn = (page: string) => /name="csrf" value="([^"]+)"/.exec(page)![1]!;

describe('dev mailbox sign-in', () => {
  let h: Harness;
  let delivery: Delivery;

  beforeAll(async () => {
    h = await harness({ app: { devMailbox: true } });
    delivery = deliveryFor(h);
    const created = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'grace@example.com', role: 'member' },
    });
    expect(created.status).toBe(201);
    await delivery.worker.drain();
  });
  afterAll(async () => {
    await delivery?.stop();
    await h?.close();
  });

  const get = (url: string, headers: Record<string, string> = {}) => request(h.app, 'GET', url, { headers });

  it('challenges API clients with Bearer and Basic as separate headers', async () => {
    for (const url of ['/dev/mailbox', '/v1/me']) {
      const response = await get(url);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toEqual([
        'Bearer realm="rsvp"',
        'Basic realm="rsvp", charset="UTF-8"',
      ]);
    }
    const basic = await get('/dev/mailbox', { authorization: OWNER });
    expect(basic.status).toBe(200);
    expect(basic.body).toContain('invited you to join Acme');
  });

  it("refuses an instance admin's key without instance:read", async () => {
    const narrow = await h.call('POST', '/v1/api-keys', {
      body: { name: 'no mailbox', scopes: ['invitations:read'] },
    });
    expect(narrow.status).toBe(201);
    const refused = await get('/dev/mailbox', { authorization: `Bearer ${narrow.body.secret}` });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('insufficient_scope');
  });

  it('shows a browser a sign-in form, signs an instance admin in, and refuses others', async () => {
    const first = await get('/dev/mailbox', HTML);
    expect(first.status).toBe(401);
    expect(first.headers['www-authenticate']).toBe('Bearer realm="rsvp"');
    expect(first.body).toContain('action="/dev/mailbox/sign-in"');
    const jar = cookiesFrom(first.headers);
    const post = (body: Record<string, string>, cookies = jar, headers: Record<string, string> = {}) =>
      h.app.inject({
        method: 'POST',
        url: '/dev/mailbox/sign-in',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          cookie: cookieHeader(cookies),
          ...headers,
        },
        payload: new URLSearchParams(body).toString(),
      });

    // Without the CSRF token (a forged cross-site post): refused, no session.
    const forged = await post({ email: 'owner@acme.test', password: 'owner-password' });
    expect(forged.statusCode).toBe(403);
    expect(forged.headers['set-cookie'] ?? '').not.toContain('rsvp_mailbox_session=');

    const csrf = csrfIn(first.body);
    const wrong = await post({ email: 'owner@acme.test', password: 'nope', csrf });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('Wrong email or password.');

    await h.user('member@example.com', 'member');
    const notAdmin = await post({ email: 'member@example.com', password: 'correct horse battery', csrf });
    expect(notAdmin.statusCode).toBe(403);
    expect(notAdmin.headers['set-cookie'] ?? '').not.toContain('rsvp_mailbox_session=');

    // With the token, but posted by a page of another site (or another port: same-site).
    for (const site of ['cross-site', 'same-site']) {
      const sibling = await post({ email: 'owner@acme.test', password: 'owner-password', csrf }, jar, {
        'sec-fetch-site': site,
      });
      expect(sibling.statusCode, site).toBe(403);
    }

    const ok = await post({ email: 'owner@acme.test', password: 'owner-password', csrf });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/dev/mailbox');
    cookiesFrom(ok.headers, jar);
    // Its own cookie: the invitee pages' session stays whoever it was.
    expect(jar.has('rsvp_mailbox_session')).toBe(true);
    expect(jar.has('rsvp_session')).toBe(false);

    const list = await get('/dev/mailbox', { ...HTML, cookie: cookieHeader(jar) });
    expect(list.status).toBe(200);
    expect(list.body).toContain('Signed in as owner@acme.test');
    const id = /href="\/dev\/mailbox\/(eml_\w+)"/.exec(list.body)![1]!;

    const message = await get(`/dev/mailbox/${id}`, { ...HTML, cookie: cookieHeader(jar) });
    expect(message.status).toBe(200);
    // The plain-text link is a link; the HTML body's links open at the top level.
    expect(message.body).toMatch(
      /<blockquote>[\s\S]*<a href="http:\/\/rsvp\.test\/invite\?token=rsvp_it_\w+">/,
    );
    expect(message.body).toContain('sandbox="allow-top-navigation-by-user-activation"');
    expect(message.body).toContain('&lt;base target=&quot;_top&quot;&gt;');

    const out = await h.app.inject({
      method: 'POST',
      url: '/dev/mailbox/sign-out',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookieHeader(jar) },
      payload: new URLSearchParams({ csrf: csrfIn(list.body) }).toString(),
    });
    expect(out.statusCode).toBe(303);
    cookiesFrom(out.headers, jar);
    expect((await get('/dev/mailbox', { ...HTML, cookie: cookieHeader(jar) })).status).toBe(401);
  });
});
