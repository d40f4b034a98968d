import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE, freePort, freshDatabase, waitUntilReady } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';
const runIt = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

// The README's browser walkthrough, step by step, with its commands verbatim: if the README
// changes, this test fails until it follows.
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const PASSWORD = 'a long passphrase';
const STEPS = {
  bootstrap: `echo '${PASSWORD}' | npm run rsvp -- bootstrap --email admin@example.com --org acme --password-stdin`,
  start: 'npm start',
  invite: 'npm run rsvp -- invite --org acme grace@example.com',
  mailbox: 'http://127.0.0.1:8080/dev/mailbox',
};

/** Runs a README command in a shell, as a reader would paste it. */
function sh(command: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => resolve({ code, out }));
  });
}

runIt("the README's browser walkthrough, in Chromium", () => {
  let env: NodeJS.ProcessEnv;
  let base: string;
  let server: ChildProcess | undefined;
  let browser: Browser;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { ...process.env, PORT: String(port), LOG_LEVEL: 'warn' };
    delete env.RSVP_PUBLIC_URL;
    delete env.SMTP_URL;
    if (ENGINE === 'postgres') {
      const fresh = await freshDatabase();
      await fresh.database.close();
      env.DATABASE_URL = fresh.url;
      cleanup = fresh.drop;
    } else {
      const dir = mkdtempSync(join(tmpdir(), 'rsvp-walkthrough-'));
      env.DATA_DIR = dir;
      cleanup = async () => rmSync(dir, { recursive: true, force: true });
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await cleanup?.();
  });

  it('bootstrap, start, invite from the CLI, read the mailbox, follow the link, sign up and accept', async () => {
    for (const command of Object.values(STEPS)) expect(README).toContain(command);

    // 1. bootstrap, then start.
    const boot = await sh(STEPS.bootstrap, env);
    expect(boot.code, boot.out).toBe(0);
    expect(boot.out).toMatch(/api key: +rsvp_sk_/);
    server = spawn('sh', ['-c', `exec ${STEPS.start}`], { cwd: ROOT, env, stdio: 'ignore' });
    await waitUntilReady(base);

    // 2. invite from the CLI.
    const invited = await sh(STEPS.invite, env);
    expect(invited.code, invited.out).toBe(0);
    expect(invited.out).toContain('grace@example.com\tinvited');

    // 3. the mailbox: a sign-in form (no browser prompt), then the message.
    const context = await browser.newContext();
    const page = await context.newPage();
    const mailbox = STEPS.mailbox.replace('http://127.0.0.1:8080', base);
    const first = await page.goto(mailbox);
    expect(first?.status()).toBe(401);
    await page.fill('input[name=email]', 'admin@example.com');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('form[action="/dev/mailbox/sign-in"] button');
    await page.waitForSelector('text=Signed in as admin@example.com');
    // The email names the inviter (defanged with a zero-width space so mail clients do not link it).
    const message = page.locator('a:has-text("invited you to join acme")');
    for (let i = 0; i < 100 && (await message.count()) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await page.reload();
    }
    const subject = (await message.textContent())!.replaceAll('\u200b', '');
    expect(subject).toBe('admin@example.com invited you to join acme');
    await message.click();
    await page.waitForSelector('h2:text("Plain text")');
    // The plain-text link is a link too.
    expect(await page.locator('blockquote a[href*="/invite?token="]').count()).toBe(1);
    // The button inside the sandboxed HTML opens the invitee page at the top level.
    const email = page.frameLocator('iframe[title="HTML body"]');
    await Promise.all([page.waitForURL(/\/invite\?token=/), email.locator('a').click()]);
    expect(page.url().startsWith(`${base}/invite?token=rsvp_it_`)).toBe(true);

    // 4. the invitee page names the inviter as the email does; Grace signs up and accepts.
    expect(await page.textContent('main')).toContain('admin@example.com invited you to join');
    await page.fill('input[name=display_name]', 'Grace Hopper');
    await page.fill('form[action="/invite/sign-up"] input[name=password]', 'graces long passphrase');
    await page.click('text=Create account');
    await page.click('text=Accept invitation');
    expect(await page.locator('h1').first().textContent()).toBe('Invitation accepted');
    expect(await page.textContent('main')).toContain('You are now a member of acme.');
    await context.close();

    const members = await sh('npm run rsvp -- invitations list --org acme --status accepted', env);
    expect(members.out).toContain('grace@example.com\taccepted');
  }, 180_000);
});
