import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { describe } from 'vitest';
import { buildApp } from '../src/app.ts';
import { bootstrap } from '../src/bootstrap.ts';
import type { Database } from '../src/db/database.ts';
import { loadInstanceKeys } from '../src/instance/instance-keys.ts';
import { systemClock } from '../src/lib/clock.ts';
import { freePort, freshDatabase, waitUntilReady } from './helpers.ts';

// The console's browser tests: a real `rsvp serve` process on a fresh database, and Chromium.

const ROOT = join(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';
export const runInChromium = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;
export const PASSWORD = 'a long passphrase';
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations on the page as it is now (evaluated over CDP, so the page's CSP stays on). */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // A string, so that it runs in the page: this file is type-checked without the DOM's types.
  const violations = await page.evaluate(`axe.run(document).then((result) =>
    result.violations.map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`);
  return violations as string[];
}

export interface ConsoleServer {
  base: string;
  browser: Browser;
  database: Database;
  /** The bootstrap admin's API key (admin@example.com, owner of `acme`, instance admin). */
  adminKey: string;
  close: () => Promise<void>;
}

/** Bootstraps admin@example.com and Acme on a fresh database, starts `rsvp serve` and Chromium. */
export async function startConsoleServer(env: NodeJS.ProcessEnv = {}): Promise<ConsoleServer> {
  const fresh = await freshDatabase({ shared: true });
  const keys = await loadInstanceKeys(fresh.database, undefined);
  const { services } = await buildApp({
    database: fresh.database,
    keys,
    clock: systemClock,
    publicUrl: 'http://rsvp.test',
  });
  const boot = await bootstrap(fresh.database, services, {
    email: 'admin@example.com',
    password: PASSWORD,
    organizationSlug: 'acme',
    organizationName: 'Acme',
  });
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const serverEnv: NodeJS.ProcessEnv = { ...process.env };
  delete serverEnv.RSVP_PUBLIC_URL;
  delete serverEnv.SMTP_URL;
  delete serverEnv.REDIS_URL;
  // The test's own settings (an SMTP_URL to a test server included) come last.
  Object.assign(serverEnv, { PORT: String(port), LOG_LEVEL: 'warn', DATABASE_URL: fresh.url, ...env });
  let server: ChildProcess | undefined;
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    await fresh.drop();
  };
  try {
    server = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: serverEnv,
      stdio: 'ignore',
    });
    await waitUntilReady(base);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
  } catch (error) {
    await close();
    throw error;
  }
  return { base, browser, database: fresh.database, adminKey: boot.secret, close };
}

/** Signs in on the console's form and waits for the first screen. */
export async function signIn(page: Page, base: string, email: string, password = PASSWORD): Promise<void> {
  await page.goto(`${base}/console`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Invitations' }).waitFor();
}
