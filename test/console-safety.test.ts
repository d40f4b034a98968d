import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ConsoleServer, runInChromium, signIn, startConsoleServer } from './console-server.ts';

// What an outside tester found in the console: changes that undo other changes, selects that act
// on a keystroke, CSV imports that fail whole, lists that stop at their first page.

runInChromium('the console does not lose or make changes by accident, in Chromium', () => {
  let server: ConsoleServer;
  let base: string;
  let browser: Browser;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies as loose JSON.
  ): Promise<any> => {
    const response = await fetch(`${server.base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${server.adminKey}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 || response.status === 202 ? null : response.json();
  };

  beforeAll(async () => {
    server = await startConsoleServer({ WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true' });
    ({ base, browser } = server);
  }, 60_000);

  afterAll(() => server?.close());

  async function open(width = 1200): Promise<{ page: Page; errors: string[]; done: () => Promise<void> }> {
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('dialog', (dialog) => dialog.accept());
    await signIn(page, base, 'admin@example.com');
    return { page, errors, done: () => context.close() };
  }

  it('settings show what is stored now, send only what changed, and refuse to overwrite another admin', async () => {
    const { page, errors, done } = await open();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Seat limit').fill('50');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();

    // Another admin renames the organization; leaving and coming back shows their change.
    await call('PATCH', '/v1/organizations/acme', {
      name: 'Acme Renamed',
      settings: { max_pending_invitations: 7 },
    });
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('link', { name: 'Settings' }).click();
    await expect.poll(() => page.getByLabel('Name', { exact: true }).inputValue()).toBe('Acme Renamed');
    expect(await page.getByLabel('Pending invitations limit').inputValue()).toBe('7');
    expect(await page.getByLabel('Seat limit').inputValue()).toBe('50');

    // Someone changes a setting while the form is open: the save is refused and the form reloaded.
    await call('PATCH', '/v1/organizations/acme', { settings: { blocked_email_domains: ['spam.example'] } });
    await page.getByLabel('Seat limit').fill('60');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'changed by someone else' }).waitFor();
    await expect
      .poll(() => page.getByLabel('Blocked email domains (one per line)').inputValue())
      .toBe('spam.example');
    let stored = await call('GET', '/v1/organizations/acme');
    expect(stored.settings.seat_limit).toBe(50);

    // Saving again changes only the seat limit: the other admin's changes stay.
    await page.getByLabel('Seat limit').fill('60');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();
    stored = await call('GET', '/v1/organizations/acme');
    expect(stored.settings).toMatchObject({
      seat_limit: 60,
      max_pending_invitations: 7,
      blocked_email_domains: ['spam.example'],
    });
    expect(stored.name).toBe('Acme Renamed');
    expect(errors).toEqual([]);
    await done();
  }, 60_000);
  it('a role changes only with the Change role button, never by arrowing through the select', async () => {
    const user = await call('POST', '/v1/users', {
      email: 'mia@example.com',
      password: 'mia passphrase long',
    });
    const now = new Date();
    const orgId = (await call('GET', '/v1/organizations/acme')).id;
    await server.database.db
      .insertInto('memberships')
      .values({ organization_id: orgId, user_id: user.id, role: 'member', created_at: now, updated_at: now })
      .execute();
    const role = async () =>
      (await call('GET', '/v1/organizations/acme/members')).members.find(
        (m: { email: string }) => m.email === 'mia@example.com',
      ).role;
    const { page, errors, done } = await open();
    await page.getByRole('link', { name: 'Members' }).click();
    const select = page.getByLabel('Role of mia@example.com', { exact: true });
    await select.focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowUp');
    await page.waitForTimeout(500);
    expect(await role()).toBe('member');
    await select.selectOption('admin');
    await page.getByRole('button', { name: 'Change role of mia@example.com' }).click();
    await page.getByText('mia@example.com is now admin.').waitFor();
    expect(await role()).toBe('admin');
    expect(errors).toEqual([]);
    await done();
  }, 60_000);
  it('imports a large semicolon CSV in batches, marks bad rows with their reason and line, and sends the rest', async () => {
    const good = Array.from({ length: 1005 }, (_, i) => `person${i}@example.com;member;;`);
    const lines = [
      'email;role;message;locale',
      'multi@example.com;member;"two',
      'lines";fr',
      'shouting@example.com;Admin;;',
      `long@example.com;member;${'x'.repeat(2001)};`,
      'nowhere@example.com;member;;xx',
      'quote@example.com;member;say "hi";',
      'ghost@example.com;ghost;;',
      ...good,
      'last@example.com;member;;EN',
    ];
    await call('PATCH', '/v1/organizations/acme', {
      settings: { seat_limit: null, max_pending_invitations: null },
    });
    const { page, errors, done } = await open();
    await page.getByRole('link', { name: 'Invite', exact: true }).click();
    // Every language the server writes emails in is offered, German included.
    await expect
      .poll(() => page.getByLabel('Language of the email').locator('option').allTextContents())
      .toEqual(expect.arrayContaining(['English', 'French', 'German']));
    await page.getByLabel('Copy links instead of sending emails').check();
    await page.getByLabel(/Or upload a CSV/).setInputFiles({
      name: 'invitees.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`),
    });
    await page.getByText('Preview of invitees.csv: 1012 row(s)').waitFor();
    const preview = page.locator('table[aria-labelledby="preview-title"] tbody tr');
    const previewRow = async (email: string) =>
      (await preview.filter({ hasText: email }).first().textContent()) ?? '';
    expect(await previewRow('multi@example.com')).toMatch(/^2multi@example\.com.*ready/);
    expect(await previewRow('shouting@example.com')).toMatch(/^4.*lower-case letters/);
    expect(await previewRow('long@example.com')).toMatch(/^5.*2001 characters/);
    expect(await previewRow('nowhere@example.com')).toMatch(/^6.*"xx" is not supported/);
    expect(await previewRow('quote@example.com')).toMatch(/^7.*quote in the middle/);
    expect(await previewRow('ghost@example.com')).toMatch(/^8.*not in the role catalog/);
    await page.getByText('5 row(s) with a problem will not be sent.').waitFor();

    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page
      .getByText('1007 invited, 0 not invited, 5 skipped (see the preview).')
      .waitFor({ timeout: 60_000 });
    const results = page.locator('table[aria-labelledby="results-title"] tbody tr');
    expect(await results.count()).toBe(1007);
    expect(await results.filter({ hasText: 'person0@example.com' }).textContent()).toMatch(/^9person0@/);
    expect(await results.filter({ hasText: 'last@example.com' }).textContent()).toMatch(/^1014last@/);
    const stored = await call('GET', '/v1/organizations/acme/invitations?q=multi@example.com');
    expect(stored.invitations[0].message).toMatch(/^two\r?\nlines$/);
    expect(stored.invitations[0].locale).toBe('fr');
    const last = await call('GET', '/v1/organizations/acme/invitations?q=last@example.com');
    expect(last.invitations[0].locale).toBe('en');
    expect(errors).toEqual([]);
    await done();
  }, 120_000);
  it('reaches organizations past the first 100, in the switcher and in the list', async () => {
    for (let i = 0; i < 105; i++) {
      await call('POST', '/v1/organizations', {
        slug: `team-${String(i).padStart(3, '0')}`,
        name: `Team ${i}`,
      });
    }
    const { page, errors, done } = await open();
    const switcher = page.locator('header select').first();
    expect(await switcher.locator('option').count()).toBe(100);
    await page.getByRole('button', { name: 'More organizations' }).click();
    await expect.poll(() => switcher.locator('option').count()).toBe(106);
    expect(await page.getByRole('button', { name: 'More organizations' }).count()).toBe(0);

    await page.reload();
    await page.getByRole('link', { name: 'All organizations' }).click();
    const rows = page.locator('main table tbody tr');
    await expect.poll(() => rows.count()).toBe(100);
    await page.locator('main').getByRole('button', { name: 'More organizations' }).click();
    await expect.poll(() => rows.count()).toBe(106);
    expect(await page.locator('main table').textContent()).toContain('team-104');
    expect(errors).toEqual([]);
    await done();
  }, 120_000);
  it('retries a delivery still backing off now, and pages through the delivery log', async () => {
    const endpoint = await call('POST', '/v1/organizations/acme/webhooks', {
      url: 'http://127.0.0.1:9/nobody-listens',
      event_types: ['invitation.created'],
    });
    for (let i = 0; i < 55; i++) await call('POST', `/v1/organizations/acme/webhooks/${endpoint.id}/test`);
    const { page, errors, done } = await open();
    await page.goto(`${base}/console#/webhooks/${endpoint.id}`);
    const deliveries = page.locator('main > ul > li');
    await expect.poll(() => deliveries.count()).toBe(50);
    await page.getByRole('button', { name: 'Older deliveries' }).click();
    await expect.poll(() => deliveries.count()).toBe(55);
    expect(await page.getByRole('button', { name: 'Older deliveries' }).count()).toBe(0);

    // A delivery that failed once waits for its next attempt; Retry now does not wait.
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Refresh' }).click();
          return page.getByText(/next attempt/).count();
        },
        { timeout: 20_000 },
      )
      .toBeGreaterThan(0);
    const waiting = deliveries.filter({ hasText: 'next attempt' }).first();
    await waiting.getByRole('button', { name: 'Retry now' }).click();
    await page.getByText('Queued again.').waitFor();
    expect(errors).toEqual([]);
    await done();
  }, 120_000);
  it('a bulk action with some refusals says how many went through and names each refusal', async () => {
    for (const name of ['bulk-a', 'bulk-b', 'bulk-c']) {
      await call('POST', '/v1/organizations/acme/invitations', {
        email: `${name}@example.com`,
        send_email: false,
      });
    }
    const { page, errors, done } = await open();
    await page.getByLabel('Search').fill('bulk-');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const rows = page.locator('main table tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    const listed = await call('GET', '/v1/organizations/acme/invitations?q=bulk-c');
    await call('POST', `/v1/organizations/acme/invitations/${listed.invitations[0].id}/revoke`);
    for (const name of ['bulk-a', 'bulk-b', 'bulk-c'])
      await page.getByLabel(`Select ${name}@example.com`).check();
    await page.getByRole('button', { name: 'Revoke selected (3)' }).click();
    await page.getByRole('status').filter({ hasText: '2 invitation(s) revoked.' }).waitFor();
    const refusal = await page.getByRole('alert').textContent();
    expect(refusal).toMatch(/^1 not revoked: bulk-c@example\.com: /);
    expect(refusal).not.toContain('bulk-a');
    expect(errors).toEqual([]);
    await done();
  }, 60_000);
  it('the audit log says "No more events" on an empty last page', async () => {
    for (let i = 0; i < 50; i++) {
      await call('POST', '/v1/organizations/acme/resources', { type: 'project', name: `Project ${i}` });
    }
    const { page, errors, done } = await open();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Event type').fill('resource.created');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const rows = page.locator('main table tbody tr');
    await expect.poll(() => rows.count()).toBe(50);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('No more events.').waitFor();
    expect(await rows.count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    expect(errors).toEqual([]);
    await done();
  }, 60_000);
  it('a row the API refuses with a 400 is named by its line; the other rows of its batch are sent', async () => {
    const resource = await call('POST', '/v1/organizations/acme/resources', {
      type: 'project',
      name: 'Vega',
    });
    const csv = [
      'email,resource_id,actions',
      `vega-a@example.com,${resource.id},view`,
      `vega-b@example.com,${resource.id},Edit!`,
      `vega-c@example.com,${resource.id},view`,
    ].join('\n');
    const { page, errors, done } = await open();
    await page.getByRole('link', { name: 'Invite', exact: true }).click();
    await page.getByLabel('Copy links instead of sending emails').check();
    await page.getByLabel(/Or upload a CSV/).setInputFiles({
      name: 'vega.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.getByText('Preview of vega.csv: 3 row(s)').waitFor();
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText('2 invited, 1 not invited.').waitFor();
    const results = page.locator('table[aria-labelledby="results-title"] tbody tr');
    expect(await results.nth(0).textContent()).toMatch(/^2vega-a@example\.com.*invited/);
    expect(await results.nth(1).textContent()).toMatch(/^3vega-b@example\.com.*not invited.*lower-case/);
    expect(await results.nth(2).textContent()).toMatch(/^4vega-c@example\.com/);
    expect(errors).toEqual([]);
    await done();
  }, 60_000);
});
