import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../src/http/app-types.ts';
import { hashPassword } from '../src/users/passwords.ts';
import { updateUser } from '../src/users/user.repository.ts';
import { cvatAppFor, type Harness, harness, request } from './helpers.ts';

const PASSWORD = 'correct horse battery';

/** The `name=value` pairs a response sets, as a Cookie header. */
function cookiesOf(headers: import('node:http').OutgoingHttpHeaders): Map<string, string> {
  const jar = new Map<string, string>();
  for (const line of ([] as string[]).concat((headers['set-cookie'] as string[] | string) ?? [])) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
  }
  return jar;
}
const header = (jar: Map<string, string>) => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

describe('sessions end on the server', () => {
  let h: Harness;
  let cvat: App;

  beforeAll(async () => {
    h = await harness();
    cvat = cvatAppFor(h);
    await cvat.ready();
  });
  afterAll(async () => {
    await cvat?.close();
    await h?.close();
  });

  /** An invitation link for `email`, and a browser signed in on its page as `email`. */
  async function signedInOnInvitePage(email: string) {
    await h.user(email);
    const created = await h.call('POST', `/v1/organizations/${h.org.slug}/invitations`, {
      body: { email, role: 'member', send_email: false },
    });
    expect(created.status).toBe(201);
    const token = new URL(created.body.accept_url).searchParams.get('token')!;
    const page = await request(h.app, 'GET', `/invite?token=${token}`);
    const jar = cookiesOf(page.headers);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const form = (fields: Record<string, string>) =>
      new URLSearchParams({ token, csrf, ...fields }).toString();
    const signIn = await request(h.app, 'POST', '/invite/sign-in', {
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: header(jar) },
      body: form({ email, password: PASSWORD }),
    });
    expect(signIn.status).toBe(303);
    for (const [k, v] of cookiesOf(signIn.headers)) jar.set(k, v);
    expect(jar.get('rsvp_session')).toBeTruthy();
    const post = (path: string, cookie: string) =>
      request(h.app, 'POST', path, {
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: form({}),
      });
    return { token, jar, post, invitationId: created.body.id as string };
  }

  it('a cookie copied before /invite/sign-out neither signs in nor accepts afterwards', async () => {
    const { token, jar, post, invitationId } = await signedInOnInvitePage('copy@example.com');
    const copied = header(jar);
    const before = await request(h.app, 'GET', `/invite?token=${token}`, { headers: { cookie: copied } });
    expect(before.body).toContain('action="/invite/accept"');

    const signOut = await post('/invite/sign-out', copied);
    expect(signOut.status).toBe(303);
    expect(cookiesOf(signOut.headers).get('rsvp_session')).toBe('');

    const after = await request(h.app, 'GET', `/invite?token=${token}`, { headers: { cookie: copied } });
    expect(after.body).not.toContain('action="/invite/accept"');
    expect(after.body).toContain('action="/invite/sign-in"');
    const accept = await post('/invite/accept', copied);
    expect(accept.status).toBe(303);
    const state = await h.call('GET', `/v1/organizations/${h.org.slug}/invitations/${invitationId}`);
    expect(state.body.status).toBe('pending');
  });

  it('a password change ends the sessions opened under the old password', async () => {
    const { token, jar } = await signedInOnInvitePage('change@example.com');
    const cookie = header(jar);
    const user = await h.database.db
      .selectFrom('users')
      .select('id')
      .where('email_canonical', '=', 'change@example.com')
      .executeTakeFirstOrThrow();
    await updateUser(h.database.db, user.id, {
      passwordHash: await hashPassword('a brand new passphrase'),
      updatedAt: h.clock.now(),
    });
    const after = await request(h.app, 'GET', `/invite?token=${token}`, { headers: { cookie } });
    expect(after.body).not.toContain('action="/invite/accept"');
  });

  it('the database keeps only a hash of the session secret', async () => {
    const { jar } = await signedInOnInvitePage('hash@example.com');
    const secret = jar.get('rsvp_session')!;
    const rows = await h.database.db.selectFrom('browser_sessions').selectAll().execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(JSON.stringify(rows)).not.toContain(secret);
  });

  it('CVAT: a sessionid copied before /api/auth/logout is refused afterwards', async () => {
    await h.user('cvat-session@example.com', 'member');
    const login = await cvat.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { email: 'cvat-session@example.com', password: PASSWORD },
    });
    expect(login.statusCode).toBe(200);
    const copied = header(cookiesOf(login.headers));
    const list = () =>
      request(cvat, 'GET', '/api/invitations', { headers: { cookie: copied, 'x-organization': 'acme' } });
    expect((await list()).status).toBe(200);
    const logout = await request(cvat, 'POST', '/api/auth/logout', { headers: { cookie: copied } });
    expect(logout.status).toBe(200);
    expect((await list()).status).toBe(401);
  });
});
