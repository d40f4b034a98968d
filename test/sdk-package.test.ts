import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrapShared, freePort, freshDatabase, waitUntilReady } from './helpers.ts';

const run = promisify(execFile);
const repo = new URL('..', import.meta.url).pathname;
/** The machine's stock Node 20: the SDK promises Node ≥ 20, unlike the server. */
const NODE_20 = '/usr/bin/node';

/**
 * The SDK as a user gets it: packed, installed from the tarball into a project outside this
 * repository, and imported by a plain .mjs script that talks to a live server.
 */
describe('the packed @rsvp/sdk in a project of its own', () => {
  const work = mkdtempSync(join(tmpdir(), 'rsvp-sdk-consumer-'));
  const project = join(work, 'project');
  let shared: Awaited<ReturnType<typeof freshDatabase>>;
  let server: ChildProcess;
  let url: string;
  let apiKey: string;

  beforeAll(async () => {
    // `npm pack` runs the package's `prepare`, which compiles dist/.
    const packed = await run('npm', ['pack', '--pack-destination', work, '--json'], {
      cwd: join(repo, 'packages/sdk'),
    });
    const [{ filename, files }] = JSON.parse(packed.stdout) as [
      { filename: string; files: { path: string }[] },
    ];
    expect(files.map((file) => file.path)).toEqual(
      expect.arrayContaining(['dist/index.js', 'dist/index.d.ts']),
    );
    expect(
      files.map((file) => file.path).filter((path) => path.endsWith('.ts') && !path.endsWith('.d.ts')),
    ).toEqual([]);
    rmSync(project, { recursive: true, force: true });
    await run('mkdir', ['-p', project]);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    // No scripts run on install: the tarball must work as packed. Dependencies come from the
    // npm cache, or the registry when the cache lacks them.
    await run(
      'npm',
      ['install', join(work, filename), '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'],
      { cwd: project },
    );
    copyFileSync(join(repo, 'test/fixtures/sdk-consumer.mjs'), join(project, 'consumer.mjs'));

    shared = await freshDatabase({ shared: true });
    apiKey = await bootstrapShared(shared.database);
    const port = await freePort();
    server = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
      cwd: repo,
      env: {
        ...process.env,
        DATABASE_URL: shared.url,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        RSVP_PUBLIC_URL: 'http://rsvp.test',
        WEBHOOK_ALLOW_PRIVATE_DESTINATIONS: 'true',
        OUTBOX_POLL_MS: '100',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    url = `http://127.0.0.1:${port}`;
    await waitUntilReady(url);
  }, 180_000);

  afterAll(async () => {
    server?.kill('SIGTERM');
    await shared?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  const engines = [
    ['this machine’s Node', process.execPath],
    ['Node 20', NODE_20],
  ] as const;

  it.each(engines)(
    'creates, iterates, gets typed errors and verifies a webhook under %s',
    async (_name, node) => {
      const version = (await run(node, ['--version'])).stdout.trim();
      if (node === NODE_20) expect(version).toMatch(/^v20\./);
      const runId = `r${Math.random().toString(36).slice(2, 10)}`;
      const { stdout } = await run(node, ['consumer.mjs'], {
        cwd: project,
        env: { ...process.env, RSVP_URL: url, RSVP_API_KEY: apiKey, RUN: runId },
        timeout: 60_000,
      });
      const out = JSON.parse(stdout);
      expect(out.node).toBe(version);
      expect(out.created.map((row: { status: number }) => row.status)).toEqual([201, 201, 201]);
      for (const row of out.created) expect(row.acceptUrl).toMatch(/^http:\/\/rsvp\.test\/.*token=/);
      expect(out.listed).toEqual(['ann', 'bob', 'cat'].map((name) => `${name}.${runId}@example.com`));
      expect(out.pages).toBe(2);
      expect(out.duplicate).toEqual({ status: 409, code: 'invitation_already_pending' });
      expect(out.thrown).toEqual({ isRsvpError: true, status: 404, code: 'invitation_not_found' });
      expect(out.badPage).toEqual({ isRsvpError: true, code: 'invalid_page_token' });
      expect(out.webhook).toEqual({ type: 'invitation.created', invitationId: out.created[0].id });
      expect(out.tampered).toBe('no_matching_signature');
    },
    120_000,
  );

  // Two full type-checks: slow on a busy machine, hence the long timeout.
  it('gives TypeScript users the API’s types from its declarations', async () => {
    copyFileSync(join(repo, 'test/fixtures/sdk-consumer-types.ts'), join(project, 'consumer.ts'));
    const tsc = join(repo, 'node_modules/typescript/bin/tsc');
    const options = ['--noEmit', '--strict', '--target', 'es2022', '--lib', 'es2022,dom'];
    for (const resolution of [
      ['nodenext', 'nodenext'],
      ['esnext', 'bundler'],
    ]) {
      const [module, moduleResolution] = resolution as [string, string];
      const args = [
        tsc,
        ...options,
        '--module',
        module,
        '--moduleResolution',
        moduleResolution,
        'consumer.ts',
      ];
      const checked = await run(process.execPath, args, { cwd: project }).catch(
        (error: { stdout: string }) => error,
      );
      expect(checked.stdout).toBe('');
    }
  }, 180_000);

  it('bundles for the browser with no Node built-in', async () => {
    writeFileSync(
      join(project, 'browser.js'),
      "import { createRsvpClient, verifyWebhook } from '@rsvp/sdk';\nglobalThis.rsvp = { createRsvpClient, verifyWebhook };\n",
    );
    const rolldown = join(repo, 'node_modules/rolldown/bin/cli.mjs');
    await run(process.execPath, [rolldown, 'browser.js', '--platform', 'browser', '--file', 'bundle.js'], {
      cwd: project,
    });
    const bundle = readFileSync(join(project, 'bundle.js'), 'utf8');
    expect(bundle).toContain('webhook-signature');
    expect(bundle).not.toMatch(/["']node:|\brequire\(/);
  });

  it('ships JavaScript and declarations only, for ESM importers', () => {
    const installed = join(project, 'node_modules/@rsvp/sdk');
    expect(existsSync(join(installed, 'dist/index.js'))).toBe(true);
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'dist', 'package.json']);
  });
});
