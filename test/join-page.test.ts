import { existsSync } from 'node:fs';
import http from 'node:http';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ABUSE_LIMITS } from '../src/lib/rate-limiter.ts';
import { freePort, type Harness, harness } from './helpers.ts';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Debian's chromium; a developer machine without it skips rather than downloads one.
const runIt = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;
const PASSWORD = 'correct horse battery';

runIt('the join page (/join?token=…)', () => {
  let h: Harness;
  let browser: Browser;
  let landing: http.Server;
  let appUrl: string;
  let base: string;
  let n = 0;

  beforeAll(async () => {
    landing = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Acme app</h1>');
    });
    await new Promise<void>((resolve) => landing.listen(0, '127.0.0.1', resolve));
    const landingOrigin = `http://127.0.0.1:${(landing.address() as { port: number }).port}`;
    appUrl = `${landingOrigin}/welcome`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    h = await harness({
      deps: {
        publicUrl: base,
        allowedAppOrigins: [landingOrigin],
        abuseLimits: { ...DEFAULT_ABUSE_LIMITS, perJoiner: { limit: 1000, windowMs: 3_600_000 } },
      },
    });
    await h.app.listen({ host: '127.0.0.1', port });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    landing?.close();
    await h?.close();
  });

  const createLink = async (body: Record<string, unknown> = {}) => {
    const created = await h.call('POST', '/v1/organizations/acme/join-links', { body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return created.body as { id: string; token: string; url: string };
  };
  const linkOf = async (id: string) => (await h.call('GET', `/v1/organizations/acme/join-links/${id}`)).body;
  const members = async () =>
    (await h.call('GET', '/v1/organizations/acme/members')).body.members.map(
      (m: { email: string }) => m.email,
    );
  const newUser = (domain = 'example.com') => h.user(`joiner-${++n}@${domain}`);

  async function signedIn(url: string, email: string): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(url);
    await page.fill('form[action="/join/sign-in"] input[name=email]', email);
    await page.fill('form[action="/join/sign-in"] input[name=password]', PASSWORD);
    await page.click('form[action="/join/sign-in"] button');
    await page.waitForSelector('form[action="/join"] button');
    return { context, page };
  }

  it('shows anyone what the link offers, with the invitee pages’ headers, and opening it consumes nothing', async () => {
    const link = await createLink({ role: 'member', max_uses: 3, allowed_domain: 'example.com' });
    expect(link.url).toBe(`${base}/join?token=${link.token}`);
    const head = await fetch(link.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const response = await fetch(link.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('referrer-policy')).toBe('same-origin');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    const body = await response.text();
    expect(body).toContain('This link lets you join Acme as member.');
    expect(body).toContain('Only accounts with an address at example.com can use it.');
    expect(body).toContain('No approval is needed');
    expect(body).toContain('action="/join/sign-in"');
    expect(body).not.toContain('<script');
    // No account is created for an address nobody proved: the page only takes an address to
    // mail a sign-up link to (test/sign-up.test.ts), never a password for a new account.
    expect(body).toContain('action="/sign-up/email"');
    expect(body).not.toContain('new-password');
    expect((await fetch(`${base}/join/sign-up`, { method: 'POST' })).status).toBe(404);
    expect(await linkOf(link.id)).toMatchObject({ use_count: 0, status: 'active' });
  });

  it('a browser walk: from the URL, sign in, press Join, land in the organization’s app', async () => {
    const patched = await h.call('PATCH', '/v1/organizations/acme', {
      body: { settings: { app_url: appUrl } },
    });
    expect(patched.status).toBe(200);
    const link = await createLink({ role: 'member' });
    const user = await newUser();
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(link.url);
    expect(response?.status()).toBe(200);
    expect(await page.locator('h1').first().textContent()).toBe('Acme');

    await page.fill('form[action="/join/sign-in"] input[name=email]', user.email);
    await page.fill('form[action="/join/sign-in"] input[name=password]', 'wrong password');
    await page.click('form[action="/join/sign-in"] button');
    expect(await page.locator('[role=alert] p').first().textContent()).toBe('Wrong email or password.');

    await page.fill('form[action="/join/sign-in"] input[name=email]', user.email);
    await page.fill('form[action="/join/sign-in"] input[name=password]', PASSWORD);
    await page.click('form[action="/join/sign-in"] button');
    await page.waitForSelector('text=Signed in as');
    // Signing in joined nothing: only pressing Join does.
    expect(await members()).not.toContain(user.email);
    await Promise.all([page.waitForURL(appUrl), page.click('form[action="/join"] button')]);
    expect(await page.textContent('h1')).toBe('Acme app');
    expect(await members()).toContain(user.email);
    expect(await linkOf(link.id)).toMatchObject({ use_count: 1 });

    // Back on the link: already a member, said as a sentence, and no use taken.
    await page.goto(link.url);
    await page.click('form[action="/join"] button');
    expect(await page.locator('[role=alert] p').first().textContent()).toBe(
      'You are already a member of Acme.',
    );
    expect(await linkOf(link.id)).toMatchObject({ use_count: 1 });
    await context.close();
    await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { app_url: null } } });
  });

  it('a link needing approval files a request and says an email will follow', async () => {
    const link = await createLink({ role: 'member', requires_approval: true });
    const user = await newUser();
    const { context, page } = await signedIn(link.url, user.email);
    expect(await page.textContent('main')).toContain('An admin of Acme approves each request');
    await page.click('form[action="/join"] button');
    expect(await page.locator('h1').first().textContent()).toBe('Request sent');
    expect(await page.textContent('main')).toContain('you will get an email when they decide');
    expect(await members()).not.toContain(user.email);
    const requests = await h.call('GET', '/v1/organizations/acme/join-requests?status=pending');
    expect(requests.body.join_requests.map((r: { user_id: string }) => r.user_id)).toContain(user.id);
    await context.close();
  });

  it('refuses an address outside the allowed domain with a sentence, taking no use', async () => {
    const link = await createLink({ role: 'member', allowed_domain: 'partner.example' });
    const user = await newUser('example.com');
    const { context, page } = await signedIn(link.url, user.email);
    await page.click('form[action="/join"] button');
    expect(await page.locator('[role=alert] p').first().textContent()).toBe(
      `This link is for addresses at partner.example, and you are signed in as ${user.email}. Sign out and sign in with an address at partner.example.`,
    );
    expect(await linkOf(link.id)).toMatchObject({ use_count: 0 });
    await context.close();
  });

  it('shows a used-up, a revoked and an unknown link as such', async () => {
    const used = await createLink({ role: 'member', max_uses: 1 });
    const first = await newUser();
    expect((await h.call('POST', '/v1/join', { key: first.key, body: { token: used.token } })).status).toBe(
      200,
    );
    const revoked = await createLink({ role: 'member' });
    expect((await h.call('POST', `/v1/organizations/acme/join-links/${revoked.id}/revoke`)).status).toBe(200);

    const context = await browser.newContext();
    const page = await context.newPage();
    expect((await page.goto(used.url))?.status()).toBe(410);
    expect(await page.locator('h1').first().textContent()).toBe('This link no longer works');
    expect(await page.textContent('main')).toContain('used as many times as it allows');
    expect((await page.goto(revoked.url))?.status()).toBe(410);
    expect(await page.textContent('main')).toContain('An admin turned it off');
    expect((await page.goto(`${base}/join?token=rsvp_jl_not_a_real_token`))?.status()).toBe(404);
    expect(await page.locator('h1').first().textContent()).toBe('This link is not valid');
    await context.close();
  });

  it('refuses a Join post without its CSRF token, or from another site; nobody joins', async () => {
    const link = await createLink({ role: 'member' });
    const user = await newUser();
    const { context, page } = await signedIn(link.url, user.email);
    const csrf = await page.getAttribute('form[action="/join"] input[name=csrf]', 'value');
    // The session cookie rides along (same browser context), but the form lacks the token.
    const bare = await context.request.post(`${base}/join`, { form: { token: link.token } });
    expect(bare.status()).toBe(403);
    const foreign = await context.request.post(`${base}/join`, {
      form: { token: link.token, csrf: csrf! },
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status()).toBe(403);
    expect(await foreign.text()).toContain(`href="/join?token=${encodeURIComponent(link.token)}"`);
    // A field over its bound says so, in the visitor's language, with the way back.
    const tooLong = await context.request.post(`${base}/join`, {
      form: { token: 'x'.repeat(2001), csrf: csrf! },
      headers: { 'accept-language': 'fr' },
    });
    expect(tooLong.status()).toBe(400);
    expect(await tooLong.text()).toContain('trop long');
    expect(await members()).not.toContain(user.email);
    expect(await linkOf(link.id)).toMatchObject({ use_count: 0 });
    // With the token, from the page itself, it works.
    await page.click('form[action="/join"] button');
    expect(await page.locator('h1').first().textContent()).toBe('You joined');
    expect(await members()).toContain(user.email);
    await context.close();
  });
});
