import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  axeViolations,
  type ConsoleServer,
  runInChromium,
  signIn,
  startConsoleServer,
} from './console-server.ts';
import { startDnsServer } from './dns-server.ts';

// The console's joining screens: join links (create, rotate, revoke, who used them), the approval
// queue, and verified domains checked against a DNS server on loopback (DNS_SERVERS).

runInChromium('join links, join requests and domains in the console, in Chromium', () => {
  let server: ConsoleServer;
  let base: string;
  let browser: Browser;
  let dns: Awaited<ReturnType<typeof startDnsServer>>;
  const txt = new Map<string, string[]>();
  const bob = { email: 'bob@example.com', password: 'bob passphrase long' };
  const carol = { email: 'carol@example.com', password: 'carol passphrase long' };
  const basic = (who: { email: string; password: string }) =>
    `Basic ${Buffer.from(`${who.email}:${who.password}`).toString('base64')}`;

  const request = async (
    method: string,
    path: string,
    body?: unknown,
    auth = `Bearer ${server.adminKey}`,
  ) => {
    const response = await fetch(`${server.base}${path}`, {
      method,
      headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies as loose JSON.
    return { status: response.status, body: (response.status === 204 ? null : await response.json()) as any };
  };

  beforeAll(async () => {
    dns = await startDnsServer(txt);
    server = await startConsoleServer({ DNS_SERVERS: dns.server });
    ({ base, browser } = server);
    for (const who of [bob, carol]) expect((await request('POST', '/v1/users', who)).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await dns?.close();
  });

  const open = async (screen: string, heading: string): Promise<Page> => {
    const page = await browser.newPage();
    page.on('dialog', (dialog) => dialog.accept());
    await signIn(page, base, 'admin@example.com');
    await page.goto(`${base}/console#/${screen}`);
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
    return page;
  };

  it('creates a join link shown once, rotates it, shows who joined, and revokes it', async () => {
    const page = await open('join-links', 'Join links');
    expect(await page.evaluate('document.activeElement?.tagName')).toBe('H1');
    await page.getByLabel('Maximum uses').fill('5');
    await page.getByLabel('Description').fill('Team link');
    await page.getByRole('button', { name: 'Create link' }).click();
    await page.getByText('The link of "Team link", shown only this once').waitFor();
    const url = (await page.locator('.secret').textContent())!;
    expect(url).toMatch(new RegExp(`^${base}/join\\?token=rsvp_jl_`));
    const first = new URL(url).searchParams.get('token')!;
    // The token stays visible too, for the CLI and the API.
    await page.getByText(`POST /v1/join: ${first}`).waitFor();
    await page.getByRole('button', { name: 'Copy' }).waitFor();
    const row = page.getByRole('row', { name: /Team link/ });
    await row.getByText('0 / 5').waitFor();

    await row.getByRole('button', { name: 'Rotate the token of Team link' }).click();
    await page.getByText('"Team link" has a new token; the old one no longer works.').waitFor();
    const second = new URL((await page.locator('.secret').textContent())!).searchParams.get('token')!;
    expect(second).not.toBe(first);
    expect((await request('POST', '/v1/join', { token: first }, basic(bob))).status).toBeGreaterThanOrEqual(
      400,
    );
    expect((await request('POST', '/v1/join', { token: second }, basic(bob))).status).toBeLessThan(300);

    await page.reload();
    await page.getByRole('heading', { name: 'Join links', level: 1 }).waitFor();
    await row.getByText('1 / 5').waitFor();
    await row.getByRole('button', { name: 'Uses of Team link' }).click();
    await page.getByRole('heading', { name: 'Who used Team link' }).waitFor();
    await page.locator('.card li', { hasText: bob.email }).getByText('joined').waitFor();
    expect(await axeViolations(page)).toEqual([]);

    await row.getByRole('button', { name: 'Revoke Team link' }).click();
    await page.getByText('"Team link" was revoked.').waitFor();
    await row.getByText('revoked', { exact: true }).waitFor();
    expect((await request('POST', '/v1/join', { token: second }, basic(carol))).status).toBe(410);

    await page.goto(`${base}/console#/members`);
    await page.getByRole('cell', { name: bob.email }).first().waitFor();
    await page.close();
  });

  it('queues a join through an approval link; the admin approves it with a note', async () => {
    const page = await open('join-links', 'Join links');
    await page.getByLabel('Description').fill('Needs approval');
    await page.getByLabel('An admin approves each person who joins').check();
    await page.getByRole('button', { name: 'Create link' }).click();
    await page.getByText('The link of "Needs approval"').waitFor();
    const token = new URL((await page.locator('.secret').textContent())!).searchParams.get('token')!;
    const joined = await request('POST', '/v1/join', { token }, basic(carol));
    expect(joined.status, JSON.stringify(joined.body)).toBeLessThan(300);

    await page.goto(`${base}/console#/join-requests`);
    await page.getByRole('heading', { name: 'Join requests', level: 1 }).waitFor();
    await page
      .getByRole('row', { name: /carol@example\.com/ })
      .getByText('pending')
      .waitFor();
    await page.getByRole('checkbox', { name: `Select ${carol.email}` }).check();
    await page.getByLabel('Note to the requester').fill('Welcome aboard');
    await page.getByRole('button', { name: 'Approve selected (1)' }).click();
    await page.getByText('1 approved, 0 not decided.').waitFor();
    await page.locator('li', { hasText: carol.email }).getByText('approved').waitFor();
    await page.getByText('No join request matches.').waitFor();
    await page.getByLabel('Status').selectOption('');
    await page
      .getByRole('row', { name: /carol@example\.com/ })
      .getByText('Welcome aboard')
      .waitFor();
    expect(await axeViolations(page)).toEqual([]);
    const members = await request('GET', '/v1/organizations/acme/members?page_size=100');
    expect(JSON.stringify(members.body)).toContain(carol.email);
    await page.close();
  });

  it('adds a domain, shows the TXT record, reports a failed check, verifies, changes and removes it', async () => {
    const page = await open('domains', 'Domains');
    await page.getByLabel('Domain', { exact: true }).fill('Acme-Corp.example');
    await page.getByRole('button', { name: 'Add domain' }).click();
    await page.getByText('Acme-Corp.example added: publish its TXT record, then verify.').waitFor();
    const card = page.getByRole('region', { name: /acme-corp\.example/ });
    await card.getByText('_rsvp-challenge.acme-corp.example').waitFor();
    const value = (await card.locator('dd.secret').nth(1).textContent())!;
    expect(value).toMatch(/^rsvp-verification=/);

    await card.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('alert').getByText('No TXT record at _rsvp-challenge.acme-corp.example').waitFor();
    await card.getByText('No TXT record at _rsvp-challenge.acme-corp.example yet.').waitFor();

    txt.set('_rsvp-challenge.acme-corp.example', ['unrelated=1', value]);
    await card.getByRole('button', { name: 'Verify' }).click();
    await page.getByText('acme-corp.example is verified.').waitFor();
    await card.getByText('verified', { exact: true }).waitFor();

    await card.getByLabel('People with an address there').selectOption('auto_join');
    await card.getByRole('button', { name: 'Save' }).click();
    await page.getByText('acme-corp.example saved.').waitFor();
    const saved = await request('GET', '/v1/organizations/acme/domains/acme-corp.example');
    expect(saved.body).toMatchObject({ status: 'verified', join_mode: 'auto_join' });

    const narrow = await browser.newContext({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    const small = await narrow.newPage();
    await signIn(small, base, 'admin@example.com');
    for (const [screen, heading] of [
      ['domains', 'Domains'],
      ['join-links', 'Join links'],
      ['join-requests', 'Join requests'],
    ]) {
      await small.goto(`${base}/console#/${screen}`);
      await small.getByRole('heading', { name: heading, level: 1 }).waitFor();
      await small.getByRole('status').filter({ hasText: 'Loading' }).waitFor({ state: 'detached' });
      expect(await small.evaluate('document.documentElement.scrollWidth'), screen).toBeLessThanOrEqual(390);
      expect(await axeViolations(small), screen).toEqual([]);
    }
    await narrow.close();

    await card.getByRole('button', { name: 'Remove acme-corp.example' }).click();
    await page.getByText('acme-corp.example was removed.').waitFor();
    await page.getByText('No domain yet.').waitFor();
    await page.close();
  });
});
