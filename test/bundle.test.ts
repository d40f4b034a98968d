import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE, freePort, freshDatabase } from './helpers.ts';
import { startSmtpServer } from './smtp.ts';

// `npm start` runs the bundle `scripts/build.ts` makes, not the sources the other tests load: it
// must serve every surface the same, including what it reads from disk next to its modules
// (the console, locales, the API reference page) and what it loads only when configured.

const ROOT = join(import.meta.dirname, '..');
const OUT = `dist/test-${process.pid}`;
const ENTRY = join(ROOT, OUT, 'rsvp.mjs');

describe('the bundle npm start runs', () => {
  let server: ChildProcess;
  let base: string;
  let tiledb: string;
  let headers: Record<string, string>;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  // On PostgreSQL, also what loads only when configured: pg, Redis (ioredis) and SMTP (nodemailer).
  let smtp: Awaited<ReturnType<typeof startSmtpServer>> | undefined;

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build.ts', `--out=${OUT}`], { cwd: ROOT, stdio: 'inherit' });
    database = await freshDatabase({ shared: true });
    smtp = ENGINE === 'postgres' ? await startSmtpServer() : undefined;
    const env = {
      ...process.env,
      DATABASE_URL: database.url,
      ...(ENGINE === 'postgres' ? { REDIS_URL: 'redis://127.0.0.1:6379', SMTP_URL: smtp!.url } : {}),
      LOG_LEVEL: 'warn',
      RSVP_SECRET: 'bundle-test-secret-bundle-test-secret-0123456789',
    };
    const boot = execFileSync(
      process.execPath,
      [ENTRY, 'bootstrap', '--email', 'owner@bundle.test', '--org', 'acme'],
      {
        cwd: ROOT,
        env,
      },
    ).toString();
    headers = { authorization: `Bearer ${/api key:\s+(\S+)/.exec(boot)![1]}` };
    const [port, tiledbPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    tiledb = `http://127.0.0.1:${tiledbPort}`;
    server = spawn(process.execPath, [ENTRY, 'serve'], {
      cwd: ROOT,
      env: { ...env, PORT: String(port), RSVP_PUBLIC_URL: base, RSVP_DIALECTS: `tiledb:${tiledbPort}` },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (
      let waited = 0;
      (await fetch(`${base}/healthz`).then(
        (r) => r.status,
        () => 0,
      )) !== 200;
      waited += 50
    ) {
      if (waited > 30_000) throw new Error('the bundled server did not answer /healthz in 30 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 90_000);

  afterAll(async () => {
    server?.kill('SIGKILL');
    rmSync(join(ROOT, OUT), { recursive: true, force: true });
    await smtp?.close();
    await database?.drop();
  });

  it('serves the API, its reference, the console, the pages and a dialect, mails, and stops on SIGTERM', async () => {
    const get = (url: string, init: RequestInit = {}) =>
      fetch(url.startsWith('http') ? url : `${base}${url}`, init);
    expect((await get('/v1/organizations/acme', { headers })).status).toBe(200);
    const created = await get('/v1/organizations/acme/invitations', {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bundled@example.com', role: 'member' }),
    });
    expect(created.status).toBe(201);
    // The outbox worker renders the email (templates, locales) and sends it over SMTP, or into
    // the dev mailbox without SMTP.
    await expect
      .poll(async () =>
        smtp
          ? smtp.received.some((mail) => mail.to.includes('bundled@example.com'))
          : (await (await get('/dev/mailbox', { headers })).text()).includes('bundled@example.com'),
      )
      .toBe(true);

    const docs = await get('/docs');
    expect([docs.status, (await docs.text()).includes('/docs/scalar.js')]).toEqual([200, true]);
    const scalar = await get('/docs/scalar.js');
    expect([scalar.status, (await scalar.text()).length > 100_000]).toEqual([200, true]);
    const document = (await (await get('/openapi.json')).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).length).toBeGreaterThan(50);

    const consolePage = await get('/console');
    expect([consolePage.status, (await consolePage.text()).includes('/console/main.js')]).toEqual([
      200,
      true,
    ]);
    for (const asset of ['/console/main.js', '/console/vendor/preact.mjs', '/console/vendor/sdk/index.js'])
      expect([asset, (await get(asset)).status]).toEqual([asset, 200]);

    const invitee = await get('/invite?token=rsvp_it_unknown', { headers: { 'accept-language': 'fr' } });
    expect(invitee.status).toBe(404);
    expect(await invitee.text()).toContain('<html lang=');
    const signUp = await get('/sign-up', { headers: { 'accept-language': 'de' } });
    expect([signUp.status, (await signUp.text()).includes('Konto anlegen')]).toEqual([200, true]);

    const dialect = await fetch(`${tiledb}/openapi.json`);
    expect(dialect.status).toBe(200);

    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
