import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { newId, newUuid } from '../src/lib/ids.ts';
import { type ConsoleServer, PASSWORD, runInChromium, signIn, startConsoleServer } from './console-server.ts';

// What an outside tester found in the console's lists: Next pressed while a new filter loads sent
// the old query's page token (a raw 400), members past the first 100 could not be reached, and a
// member who is not an admin was shown every admin screen and control.

runInChromium('the console pages every list it shows, in Chromium', () => {
  let server: ConsoleServer;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    server = await startConsoleServer();
    ({ base, browser } = server);
    const response = await fetch(`${base}/v1/organizations/acme/invitations/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        send_email: false,
        invitations: Array.from({ length: 60 }, (_, i) => ({ email: `paged${i}@example.com` })),
      }),
    });
    expect(response.status).toBe(200);
    // 130 members besides the owner.
    const { db } = server.database;
    for (let i = 0; i < 130; i++) {
      const at = new Date(Date.UTC(2026, 0, 1, 0, 0, i));
      const id = newId('usr', at);
      const email = `member${String(i).padStart(4, '0')}@many.example`;
      await db
        .insertInto('users')
        .values({
          id,
          uuid: newUuid(),
          email,
          email_canonical: email,
          username: null,
          display_name: null,
          password_hash: null,
          status: 'active',
          is_instance_admin: false,
          external_id: null,
          email_verified: true,
          created_at: at,
          updated_at: at,
        })
        .execute();
      await addMember(id, at);
    }
  }, 120_000);

  /** A membership in Acme, written directly: the API adds nobody without their own act. */
  async function addMember(userId: string, at: Date) {
    const { db } = server.database;
    const acme = await db
      .selectFrom('organizations')
      .select('id')
      .where('slug', '=', 'acme')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('memberships')
      .values({ organization_id: acme.id, user_id: userId, role: 'member', created_at: at, updated_at: at })
      .execute();
  }

  afterAll(() => server?.close());

  async function open(): Promise<{ page: Page; errors: string[]; done: () => Promise<void> }> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await signIn(page, base, 'admin@example.com');
    return { page, errors, done: () => context.close() };
  }

  it('keeps Next off until a new filter’s first page is on screen, and never sends another query’s token', async () => {
    const { page, errors, done } = await open();
    const next = page.getByRole('button', { name: 'Next page' });
    await expect.poll(() => next.isEnabled()).toBe(true);
    const sent: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/invitations?')) sent.push(request.url());
    });
    // The filtered page answers slowly, as a search over many rows does.
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await page.route(/\/invitations\?.*q=paged5/, async (route) => {
      await held;
      await route.continue();
    });
    await page.getByLabel('Search').fill('paged5');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => sent.some((url) => url.includes('q=paged5'))).toBe(true);
    expect(await next.isDisabled()).toBe(true);
    await next.click({ force: true, timeout: 1000 }).catch(() => {});
    release();
    await page.getByRole('link', { name: 'paged5@example.com', exact: true }).waitFor();
    expect(sent.filter((url) => url.includes('q=paged5') && url.includes('page_token'))).toEqual([]);
    await expect.poll(() => page.getByText('Page 1').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await done();
  });

  it('pages through members past the first 100, and offers every member in the Invited by filter', async () => {
    const { page, errors, done } = await open();
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByText('member0000@many.example').waitFor();
    expect(await page.getByText('member0129@many.example').count()).toBe(0);
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('member0129@many.example').waitFor();
    await page.getByRole('link', { name: 'Invitations' }).click();
    const inviters = page.getByLabel('Invited by');
    await expect
      .poll(async () => (await inviters.locator('option').allTextContents()).length)
      .toBeGreaterThan(131);
    expect(errors).toEqual([]);
    await done();
  });

  it('shows a member who is not an admin the screens a member can use, without admin controls', async () => {
    const made = await fetch(`${base}/v1/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'dave@example.com', password: PASSWORD }),
    });
    expect(made.status).toBe(201);
    await addMember(((await made.json()) as { id: string }).id, new Date());
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/console`);
    await page.getByLabel('Email').fill('dave@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Console sections' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Members', 'API keys']);
    await page.getByText('member0000@many.example').waitFor();
    expect(await page.getByRole('button', { name: /^Remove/ }).count()).toBe(0);
    expect(await page.getByRole('combobox', { name: /role of/i }).count()).toBe(0);
    await page.goto(`${base}/console#/invitations`);
    await page.getByRole('alert').filter({ hasText: 'Only the owners and admins of Acme' }).waitFor();
    await page.goto(`${base}/console#/users`);
    await page.getByRole('alert').filter({ hasText: 'instance admins only' }).waitFor();
    await context.close();
  });
});
