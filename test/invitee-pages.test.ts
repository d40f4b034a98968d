import { existsSync } from 'node:fs';
import http from 'node:http';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/delivery/delivery.ts';
import { HOUR } from '../src/lib/clock.ts';
import { deliveryFor, freePort, type Harness, harness } from './helpers.ts';
import { linkIn, startSmtpServer } from './smtp.ts';

const CHROMIUM = '/usr/bin/chromium';
// CI installs Debian's chromium; a developer machine without it skips rather than downloads one.
const runIt = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

runIt('invitee pages in a browser', () => {
  let h: Harness;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let delivery: Delivery;
  let browser: Browser;
  let landing: http.Server;
  let appUrl: string;
  let base: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    landing = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Acme app</h1>');
    });
    await new Promise<void>((resolve) => landing.listen(0, '127.0.0.1', resolve));
    const landingOrigin = `http://127.0.0.1:${(landing.address() as { port: number }).port}`;
    appUrl = `${landingOrigin}/welcome`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    h = await harness({ deps: { publicUrl: base, allowedAppOrigins: [landingOrigin] } });
    await h.app.listen({ host: '127.0.0.1', port });
    delivery = deliveryFor(h, { smtpUrl: smtp.url, publicUrl: base });
    const patched = await h.call('PATCH', '/v1/organizations/acme', {
      body: { settings: { app_url: appUrl } },
    });
    expect(patched.status).toBe(200);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await delivery?.stop();
    await smtp?.close();
    landing?.close();
    await h?.close();
  });

  async function invite(email: string, extra: Record<string, unknown> = {}) {
    const created = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email, role: 'member', message: 'Come <b>build</b> with us', ...extra },
    });
    expect(created.status).toBe(201);
    await delivery.worker.drain();
    const mail = smtp.received.filter((m) => m.to === email).at(-1)!;
    return { id: created.body.id as string, link: linkIn(mail) };
  }

  const statusOf = async (id: string) =>
    (await h.call('GET', `/v1/organizations/acme/invitations/${id}`)).body.status;

  it('lets a new invitee create an account from the emailed link, accept, and land in the app', async () => {
    const { id, link } = await invite('pat@example.com');
    expect(link.startsWith(`${base}/invite?token=`)).toBe(true);
    const head = await fetch(link, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['referrer-policy']).toBe('same-origin');
    expect(await page.locator('h1').first().textContent()).toBe('You are invited');
    expect(await page.textContent('main')).toContain('Come <b>build</b> with us');
    // Opening the link (GET and HEAD) changed nothing.
    expect(await statusOf(id)).toBe('pending');

    await page.fill('input[name=display_name]', 'Pat Doe');
    await page.fill('form[action="/invite/sign-up"] input[name=password]', 'a long enough password');
    await page.click('text=Create account');
    await page.waitForSelector('text=Accept invitation');
    expect(await page.textContent('main')).toContain('Signed in as pat@example.com');
    await Promise.all([page.waitForURL(appUrl), page.click('text=Accept invitation')]);
    expect(await page.textContent('h1')).toBe('Acme app');

    expect(await statusOf(id)).toBe('accepted');
    const members = await h.call('GET', '/v1/organizations/acme/members');
    expect(
      members.body.members.map((m: { email: string; role: string }) => [m.email, m.role]),
    ).toContainEqual(['pat@example.com', 'member']);

    const again = await page.goto(link);
    expect(again?.status()).toBe(410);
    expect(await page.locator('h1').first().textContent()).toBe('This invitation was already accepted');
    await context.close();
  });

  it('tells a signed-in user with another address, keeps the invitation pending, and lets them switch', async () => {
    const quinn = await h.user('quinn@example.com');
    const { id, link } = await invite(quinn.email);
    const context = await browser.newContext();
    const page = await context.newPage();
    // Signed in as someone else first.
    const other = await invite('rosa@example.com');
    await page.goto(other.link);
    await page.fill('form[action="/invite/sign-up"] input[name=password]', 'another long password');
    await page.click('text=Create account');
    await page.waitForSelector('text=Accept invitation');

    await page.goto(link);
    expect(await page.locator('#mismatch').first().textContent()).toBe(
      'This invitation is for another address',
    );
    const text = await page.textContent('main');
    expect(text).toContain('q***@example.com');
    expect(text).not.toContain('quinn@example.com');
    expect(await statusOf(id)).toBe('pending');

    await page.click('text=Sign out and switch account');
    await page.fill('form[action="/invite/sign-in"] input[name=email]', 'quinn@example.com');
    await page.fill('form[action="/invite/sign-in"] input[name=password]', 'wrong password');
    await page.click('form[action="/invite/sign-in"] button');
    expect(await page.locator('[role=alert] h1').first().textContent()).toBe('Sign-in failed');
    await page.fill('form[action="/invite/sign-in"] input[name=email]', 'quinn@example.com');
    await page.fill('form[action="/invite/sign-in"] input[name=password]', 'correct horse battery');
    await page.click('form[action="/invite/sign-in"] button');
    await page.waitForSelector('text=Decline');
    await page.click('text=Decline');
    expect(await page.locator('h1').first().textContent()).toBe('Invitation declined');
    expect(await statusOf(id)).toBe('declined');
    await context.close();
  });

  it('refuses a form post without its CSRF token, and shows expired links as expired', async () => {
    const { id, link } = await invite('sam@example.com', { ttl_seconds: 3600 });
    const token = new URL(link).searchParams.get('token')!;
    const forged = await fetch(`${base}/invite/accept`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: 'https://evil.example',
        'accept-language': 'fr',
      },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(forged.status).toBe(403);
    // In the visitor's language, with the way back to the invitation.
    const refusal = await forged.text();
    expect(refusal).toContain('Ce formulaire a expiré');
    expect(refusal).toContain(`href="/invite?token=${encodeURIComponent(token)}">Revenir à l’invitation</a>`);
    expect(await statusOf(id)).toBe('pending');

    h.clock.advance(2 * HOUR);
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(link);
    expect(response?.status()).toBe(410);
    expect(await page.locator('h1').first().textContent()).toBe('This invitation has expired');
    const unknown = await page.goto(`${base}/invite?token=rsvp_it_not_a_real_token`);
    expect(unknown?.status()).toBe(404);
    await context.close();
  });
});
