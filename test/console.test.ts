import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeViolations,
  type ConsoleServer,
  PASSWORD,
  runInChromium,
  startConsoleServer,
} from './console-server.ts';
import { freePort, type Harness, harness } from './helpers.ts';

runInChromium('the admin console at /console, in Chromium', () => {
  let base: string;
  let browser: Browser;
  let consoleServer: ConsoleServer;
  let receiver: Server;
  let receiverUrl: string;
  const received: { type: string; signature: string | undefined }[] = [];

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on('end', () => {
        received.push({
          type: JSON.parse(body).type,
          signature: request.headers['webhook-signature'] as string | undefined,
        });
        response.writeHead(204).end();
      });
    });
    const hookPort = await freePort();
    await new Promise<void>((resolve) => receiver.listen(hookPort, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${hookPort}/hooks`;
    consoleServer = await startConsoleServer({ WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true' });
    ({ base, browser } = consoleServer);
  }, 60_000);

  afterAll(async () => {
    await consoleServer?.close();
    receiver?.close();
  });

  it('an admin signs in, invites, filters, reads a timeline, resends, revokes, makes a key and a webhook, reads the audit log', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));

    // Sign in with the keyboard alone: the form's fields are labelled Email and Password.
    await page.goto(`${base}/console`);
    await page.getByLabel('Email').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByLabel('Email').focus();
    await page.keyboard.type('admin@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type('wrong password');
    await page.keyboard.press('Enter');
    await page.getByRole('alert').filter({ hasText: 'Wrong email or password' }).waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Invitations' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    // Invite three people, one of them at an invalid address: a result per row.
    await page.getByRole('link', { name: 'Invite', exact: true }).click();
    await page.getByLabel('Email addresses').fill('ada@example.com\nnot-an-email\ngrace@example.com');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText('2 invited, 1 not invited.').waitFor();
    const results = page.locator('table[aria-labelledby=results-title] tbody tr');
    expect(await results.count()).toBe(3);
    expect(await results.nth(0).textContent()).toContain('invited');
    expect(await results.nth(1).textContent()).toContain('not invited');
    expect(await results.nth(1).textContent()).toContain('not a deliverable address');
    expect(await axeViolations(page)).toEqual([]);

    // Filter the table: a search for grace leaves grace alone.
    await page.getByRole('link', { name: 'Invitations', exact: true }).click();
    const rows = page.locator('main table tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByLabel('Search').fill('grace');
    await page.getByLabel('Status').selectOption('pending');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain('grace@example.com');
    expect(await axeViolations(page)).toEqual([]);

    // The detail's timeline: created, then handed to the (capture) mail server.
    await page.getByRole('link', { name: 'grace@example.com' }).click();
    await page.getByRole('heading', { name: 'grace@example.com' }).waitFor();
    const timeline = page.locator('ol.timeline');
    await expect
      .poll(
        async () => {
          await page.getByRole('link', { name: '← Back' }).click();
          await page.getByRole('link', { name: 'grace@example.com' }).click();
          return timeline.textContent();
        },
        { timeout: 15_000 },
      )
      .toContain('Delivered to the mail server');
    expect(await timeline.textContent()).toContain('Created');
    expect(await axeViolations(page)).toEqual([]);

    // Resend, then revoke.
    await page.getByRole('button', { name: 'Resend', exact: true }).click();
    await page.getByText('Sent again with a new link.').waitFor();
    await expect.poll(() => timeline.textContent()).toContain('Resent');
    await page.getByRole('button', { name: 'Revoke', exact: true }).click();
    await page.getByText('Revoked: the link no longer works.').waitFor();
    await expect.poll(() => timeline.textContent()).toContain('Revoked');
    expect(await page.locator('dl.facts').first().textContent()).toContain('revoked');

    // An API key, shown once.
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name').fill('ci');
    await page.getByLabel('invitations:read').check();
    await page.getByRole('button', { name: 'Create key' }).click();
    const secret = await page.locator('.secret').textContent();
    expect(secret).toMatch(/^rsvp_sk_/);
    const auth = { authorization: `Bearer ${secret}` };
    expect((await fetch(`${base}/v1/organizations/acme/invitations`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/v1/me`, { headers: auth })).status).toBe(403);
    expect(await axeViolations(page)).toEqual([]);

    // A webhook endpoint, and a test event that reaches it, signed, and shows in the delivery log.
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await page.getByLabel('URL').fill(receiverUrl);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    expect(await page.locator('.secret').textContent()).toMatch(/^whsec_/);
    await page.getByRole('link', { name: receiverUrl }).click();
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page.getByText('Test event queued').waitFor();
    await expect.poll(() => received.map((r) => r.type), { timeout: 15_000 }).toContain('webhook.test');
    expect(received[0]!.signature).toMatch(/^v1,/);
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          return page.locator('main').textContent();
        },
        { timeout: 10_000 },
      )
      .toContain('delivered');
    expect(await axeViolations(page)).toEqual([]);

    // The audit log names what the admin did.
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByText('webhook_endpoint.created').waitFor();
    expect(await page.locator('main table').textContent()).toContain('invitation.resent');
    await page.getByLabel('Event type').fill('invitation.revoked');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('main table tbody tr').count()).toBe(1);
    expect(await axeViolations(page)).toEqual([]);

    // French, and sign out.
    await page.getByLabel('Language').selectOption('fr');
    await page.getByRole('link', { name: 'Journal d’audit' }).waitFor();
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByLabel('Mot de passe').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('invites with a role plus resource grants and metadata, shows them, and revokes the selection in one bulk call', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${base}/console`);
    await page.getByLabel('Email').fill('admin@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Invitations' }).waitFor();
    const resourceId = await page.evaluate(async () => {
      const session = (await (await fetch('/v1/session')).json()) as { csrf_token: string };
      const created = await fetch('/v1/organizations/acme/resources', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrf_token },
        body: JSON.stringify({ type: 'dataset', name: 'console-set' }),
      });
      return ((await created.json()) as { id: string }).id;
    });

    await page.getByRole('link', { name: 'Invite', exact: true }).click();
    await page.getByLabel('Email addresses').fill('combo1@example.com\ncombo2@example.com');
    await page.getByText('grants · metadata · redirect_url').click();
    await page.getByLabel('grants').fill(`${resourceId}: read, write`);
    await page.getByLabel('public_metadata (JSON)').fill('{"plan": "pro"}');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText('2 invited, 0 not invited.').waitFor();
    await page.getByRole('link', { name: /^inv_/ }).first().click();
    const facts = page.locator('dl.facts').first();
    await facts.waitFor();
    expect(await facts.textContent()).toContain(`+ ${resourceId} (read, write)`);
    expect(await facts.textContent()).toContain('{"plan":"pro"}');
    expect(await axeViolations(page)).toEqual([]);

    await page.getByRole('link', { name: '← Back' }).click();
    await page.getByLabel('Search').fill('combo');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('main table tbody tr').count()).toBe(2);
    await page.getByLabel('Select combo1@example.com').check();
    await page.getByLabel('Select combo2@example.com').check();
    await page.getByRole('button', { name: 'Revoke selected (2)' }).click();
    await page.getByText('2 invitation(s) revoked.').waitFor();
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('fits a 390 px wide screen, in dark mode too, without axe violations', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    const page = await context.newPage();
    await page.goto(`${base}/console`);
    await page.getByLabel('Email').fill('admin@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Invitations' }).waitFor();
    await page.locator('main table tbody tr').first().waitFor();
    const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    expect(background).toBe('rgb(13, 17, 23)');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    expect(await axeViolations(page)).toEqual([]);
    // Every table screen: its scroll wrapper is reachable by keyboard, and nothing escapes it.
    for (const [hash, ready] of [
      ['members', 'Role catalog'],
      ['audit', 'Audit log'],
      ['organizations', 'All organizations'],
      ['keys', 'API keys'],
      ['resources', 'Resources'],
    ]) {
      await page.goto(`${base}/console#/${hash}`);
      await page.getByRole('heading', { name: ready }).waitFor();
      await page.locator('main table').first().waitFor();
      await page.waitForTimeout(300);
      expect(await page.evaluate('document.documentElement.scrollWidth'), hash).toBeLessThanOrEqual(390);
      expect(await axeViolations(page), hash).toEqual([]);
    }
    await context.close();
  }, 60_000);
});

describe('browser sessions on the native API (what the console signs in with)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => h.close());

  /** A browser's cookie jar, as far as these calls need one. */
  function jar() {
    const cookies = new Map<string, string>();
    const header = () => [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const keep = (setCookie: unknown) => {
      for (const line of ([] as string[]).concat((setCookie as string | string[] | undefined) ?? [])) {
        const [pair] = line.split(';');
        const at = pair!.indexOf('=');
        cookies.set(pair!.slice(0, at), pair!.slice(at + 1));
      }
    };
    const send = async (
      method: string,
      url: string,
      headers: Record<string, string> = {},
      body?: unknown,
    ) => {
      const answer = await h.call(method, url, {
        key: null,
        headers: { cookie: header(), ...headers },
        body,
      });
      keep(answer.headers['set-cookie']);
      return answer;
    };
    return { send };
  }

  it('signs in with the CSRF token, then reads and writes with the cookie; without the token nothing changes', async () => {
    const browser = jar();
    const session = await browser.send('GET', '/v1/session');
    expect(session.status).toBe(200);
    expect(session.body.user).toBeNull();
    const csrf = { 'x-csrf-token': session.body.csrf_token };
    const credentials = { email: 'owner@acme.test', password: 'owner-password' };

    // Sign-in itself needs the token: a cross-site form cannot sign a browser into an account.
    const forged = await browser.send('POST', '/v1/session', {}, credentials);
    expect(forged.status).toBe(403);
    expect(forged.body.code).toBe('csrf_failed');
    const signedIn = await browser.send('POST', '/v1/session', csrf, credentials);
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user.email).toBe('owner@acme.test');
    expect(signedIn.headers['set-cookie']).toContain('HttpOnly');

    expect((await browser.send('GET', '/v1/me')).body.auth_method).toBe('session');
    const invite = { email: 'ada@example.com', role: 'member' };
    const url = `/v1/organizations/${h.org.slug}/invitations`;

    // A cross-site form post carries the cookie but neither the token nor our Origin.
    const formPost = await browser.send('POST', url, { origin: 'https://evil.example' }, invite);
    expect(formPost.status).toBe(403);
    expect((await browser.send('POST', url, {}, invite)).body.code).toBe('csrf_failed');
    expect((await browser.send('POST', url, { 'x-csrf-token': 'forged' }, invite)).status).toBe(403);
    expect(
      (await browser.send('POST', url, { ...csrf, origin: 'https://evil.example' }, invite)).status,
    ).toBe(403);
    // A page on another port or subdomain of this host is same-site, not same-origin: the
    // browser says so in Sec-Fetch-Site even when the token leaked to it.
    for (const site of ['same-site', 'cross-site']) {
      const fromSibling = await browser.send('POST', url, { ...csrf, 'sec-fetch-site': site }, invite);
      expect(fromSibling.body.code, site).toBe('csrf_failed');
    }
    expect(
      (await browser.send('POST', url, { ...csrf, 'sec-fetch-site': 'same-origin' }, invite)).status,
    ).toBe(201);
    expect((await browser.send('POST', url, csrf, { ...invite, email: 'bea@example.com' })).status).toBe(201);

    // Signing out ends the session on the server; the console's next call gets 401 without a
    // Basic challenge (which would make the browser prompt).
    expect((await browser.send('DELETE', '/v1/session', csrf)).status).toBe(204);
    const after = await browser.send('GET', '/v1/me', csrf);
    expect(after.status).toBe(401);
    expect(String(after.headers['www-authenticate'])).not.toContain('Basic');
  });

  it('counts failed console sign-ins against the same throttle as every password check', async () => {
    const browser = jar();
    const csrf = { 'x-csrf-token': (await browser.send('GET', '/v1/session')).body.csrf_token };
    const wrong = { email: 'owner@acme.test', password: 'not the password' };
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await browser.send('POST', '/v1/session', csrf, wrong)).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses[10]).toBe(429);
    // Basic auth from the same address is refused too, even with the right password.
    const basic = Buffer.from('owner@acme.test:owner-password').toString('base64');
    expect(
      (await h.call('GET', '/v1/me', { key: null, headers: { authorization: `Basic ${basic}` } })).status,
    ).toBe(429);
  });

  it('queues a signed webhook.test delivery to one endpoint, listed in its delivery log', async () => {
    const created = await h.call('POST', `/v1/organizations/${h.org.slug}/webhooks`, {
      body: { url: 'https://hooks.example.com/rsvp', event_types: ['invitation.created'] },
    });
    expect(created.status).toBe(201);
    const path = `/v1/organizations/${h.org.slug}/webhooks/${created.body.id}`;
    const test = await h.call('POST', `${path}/test`);
    expect(test.status).toBe(202);
    const log = await h.call('GET', `${path}/deliveries`);
    expect(log.body.deliveries.map((d: { id: string; event_type: string }) => [d.id, d.event_type])).toEqual([
      [test.body.delivery_id, 'webhook.test'],
    ]);
    const member = await h.user('mia@acme.test', 'member');
    expect((await h.call('POST', `${path}/test`, { key: member.key })).status).toBe(403);
    expect((await h.call('POST', `/v1/organizations/${h.org.slug}/webhooks/whe_unknown/test`)).status).toBe(
      404,
    );
  });
});
