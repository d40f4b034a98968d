import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  axeViolations,
  type ConsoleServer,
  runInChromium,
  signIn,
  startConsoleServer,
} from './console-server.ts';

// The console's administration screens beyond the daily invitation work: every user, the role
// catalog, grants on resources, invitation filters by resource and inviter, who did what, the
// whole-instance audit log, and what happens when a session ends.

runInChromium('the admin console for instance and organization admins, in Chromium', () => {
  let server: ConsoleServer;
  let base: string;
  let browser: Browser;
  /** Ada, admin of Acme but not of the instance; she signs in with her password. */
  const ada = { email: 'ada@example.com', password: 'ada passphrase long' };
  let adaId: string;
  let resourceId: string;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    auth = `Bearer ${server.adminKey}`,
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies as loose JSON.
  ): Promise<any> => {
    const response = await fetch(`${server.base}${path}`, {
      method,
      headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? null : response.json();
  };
  const asAda = `Basic ${Buffer.from(`${ada.email}:${ada.password}`).toString('base64')}`;

  beforeAll(async () => {
    server = await startConsoleServer({ WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true' });
    ({ base, browser } = server);
    adaId = (await call('POST', '/v1/users', { ...ada, display_name: 'Ada Lovelace' })).id;
    await call('POST', '/v1/users', { email: 'grace@elsewhere.example', password: 'grace passphrase' });
    const now = new Date();
    await server.database.db
      .insertInto('memberships')
      .values({
        organization_id: (await call('GET', '/v1/organizations/acme')).id,
        user_id: adaId,
        role: 'admin',
        created_at: now,
        updated_at: now,
      })
      .execute();
    resourceId = (await call('POST', '/v1/organizations/acme/resources', { type: 'project', name: 'Apollo' }))
      .id;
    await call(
      'POST',
      '/v1/organizations/acme/invitations',
      { email: 'by-ada@example.com', role: 'member' },
      asAda,
    );
    await call('POST', '/v1/organizations/acme/invitations', {
      email: 'to-apollo@example.com',
      resource_id: resourceId,
      actions: ['view'],
    });
    await call('POST', '/v1/organizations/acme/invitations', { email: 'plain@example.com', role: 'member' });
  }, 60_000);

  afterAll(() => server?.close());

  const rows = (page: Page) => page.locator('main table tbody tr');
  // Waits for the filtered list's answer, so that nothing the test does next races a request
  // still in flight (a session ended on the server would otherwise end it mid-click).
  const applyFilters = (page: Page) =>
    Promise.all([
      page.waitForResponse((answer) => answer.request().method() === 'GET' && answer.url().includes('/v1/')),
      page.getByRole('button', { name: 'Apply filters' }).click(),
    ]);

  it('an instance admin lists users, edits roles, grants and deletes, filters, and reads who did what', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('dialog', (dialog) => dialog.accept());
    await signIn(page, base, 'admin@example.com');

    // Every user of the instance, searchable.
    await page.getByRole('link', { name: 'All users' }).click();
    await expect.poll(() => rows(page).count()).toBe(3);
    expect(await page.locator('main table').textContent()).toContain('grace@elsewhere.example');
    await page.getByLabel('Search email, username or name').fill('lovelace');
    await applyFilters(page);
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().textContent()).toContain('ada@example.com');
    expect(await axeViolations(page)).toEqual([]);

    // The role catalog: a new role appears in the members' role choices at once; a role still
    // held cannot go, and the API's reason is shown.
    await page.getByRole('link', { name: 'Members' }).click();
    await page.getByRole('button', { name: 'Add a role' }).click();
    await page.getByLabel('Name of role 4').fill('viewer');
    await page.getByLabel('Rank of viewer').fill('5');
    await page.getByRole('button', { name: 'Save roles' }).click();
    await page.getByText('Role catalog saved.').waitFor();
    await expect
      .poll(() =>
        page.getByLabel('Role of ada@example.com', { exact: true }).locator('option').allTextContents(),
      )
      .toContain('viewer');
    await page.getByRole('button', { name: 'Remove role admin' }).click();
    await page.getByRole('button', { name: 'Save roles' }).click();
    await page.getByRole('alert').filter({ hasText: 'admin' }).waitFor();
    expect(await axeViolations(page)).toEqual([]);

    // Settings: the header's organization picker follows the new name.
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Acme Corp');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved.').waitFor();
    await expect
      .poll(() => page.locator('header select').first().textContent())
      .toContain('Acme Corp (acme)');

    // Grants on a resource: give Ada two actions, take them away; then delete another resource.
    await page.getByRole('link', { name: 'Resources' }).click();
    await page.getByRole('button', { name: 'Show grants of Apollo' }).click();
    await page.getByLabel('Member').selectOption({ label: 'ada@example.com' });
    await page.getByLabel('Actions (comma-separated)').fill('view, edit');
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    await page.getByText('ada@example.com: edit, view').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await page.getByRole('button', { name: 'Remove ada@example.com’s access to Apollo' }).click();
    await page.getByText('ada@example.com no longer has access.').waitFor();
    await page.getByLabel('Type').fill('project');
    await page.getByLabel('Name', { exact: true }).fill('Gemini');
    await page.getByRole('button', { name: 'Create resource' }).click();
    await page.getByRole('button', { name: 'Delete Gemini' }).click();
    await page.getByText('Gemini was deleted.').waitFor();
    await expect.poll(() => rows(page).count()).toBe(1);

    // Invitations by resource and by inviter; the inviter is named by email in the timeline.
    await page.getByRole('link', { name: 'Invitations', exact: true }).click();
    await expect.poll(() => rows(page).count()).toBe(3);
    await page.getByLabel(/^Resource/).selectOption({ label: 'Apollo (project)' });
    await applyFilters(page);
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().textContent()).toContain('Apollo (view)');
    await page.getByLabel(/^Resource/).selectOption('');
    await page.getByLabel('Invited by').selectOption({ label: 'ada@example.com' });
    await applyFilters(page);
    await expect.poll(() => rows(page).count()).toBe(1);
    await page.getByRole('link', { name: 'by-ada@example.com' }).click();
    await expect
      .poll(() => page.locator('ol.timeline').textContent())
      .toContain('by Ada Lovelace <ada@example.com>');
    expect(await axeViolations(page)).toEqual([]);

    // A webhook test is in the audit log, by the admin's email; the whole instance adds the
    // events of no organization (users and keys made).
    const endpoint = await call('POST', '/v1/organizations/acme/webhooks', {
      url: 'http://127.0.0.1:9/none',
      event_types: ['invitation.created'],
    });
    await page.goto(`${base}/console#/webhooks/${endpoint.id}`);
    await page.getByRole('button', { name: 'Send a test event' }).click();
    await page.getByText('Test event queued').waitFor();
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('Event type').fill('webhook.test_sent');
    await applyFilters(page);
    await expect.poll(() => rows(page).count()).toBe(1);
    expect(await rows(page).first().textContent()).toContain('admin@example.com');
    await page.getByLabel('Event type').fill('user.created');
    await page.getByLabel('Scope').selectOption('instance');
    await applyFilters(page);
    await expect.poll(() => rows(page).count()).toBe(3);
    expect(await rows(page).first().textContent()).toContain('instance');
    expect(await axeViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('an organization admin sees no instance screens; an ended session returns to sign-in, once per browser', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    await signIn(page, base, ada.email, ada.password);
    expect(await page.getByRole('link', { name: 'All users' }).count()).toBe(0);
    await page.getByRole('link', { name: 'Audit log' }).click();
    expect(await page.getByLabel('Scope').count()).toBe(0);
    // Ada sees the instance admin's email: he is a member of Acme too.
    await page.getByLabel('Event type').fill('resource.created');
    await applyFilters(page);
    await expect.poll(() => page.locator('main table').textContent()).toContain('admin@example.com');

    // The session ends on the server (expiry, sign-out elsewhere): the next call brings the
    // sign-in form back, saying why.
    const sessions = () =>
      server.database.db.selectFrom('browser_sessions').select('id').where('user_id', '=', adaId).execute();
    expect(await sessions()).toHaveLength(1);
    await server.database.db.deleteFrom('browser_sessions').where('user_id', '=', adaId).execute();
    // The audit filter's own request may still be on its way and meet the ended session first,
    // taking the navigation away before a click could land; moving by address works either way.
    await page.evaluate("location.hash = '#/members'");
    await page.getByRole('alert').filter({ hasText: 'Your session has ended' }).waitFor();
    await page.getByLabel('Password').waitFor();

    // Signing in again, twice in the same browser, leaves one session row.
    await page.getByLabel('Email').fill(ada.email);
    await page.getByLabel('Password').fill(ada.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Members' }).waitFor();
    await page.getByText('Only an owner changes the role catalog.').waitFor();
    const again = await page.evaluate(`(async () => {
      const { csrf_token } = await (await fetch('/v1/session')).json();
      const answer = await fetch('/v1/session', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf_token },
        body: JSON.stringify({ email: ${JSON.stringify(ada.email)}, password: ${JSON.stringify(ada.password)} }) });
      return answer.status;
    })()`);
    expect(again).toBe(200);
    expect(await sessions()).toHaveLength(1);
    await context.close();
  }, 60_000);
});
