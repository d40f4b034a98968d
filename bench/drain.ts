/**
 * The outbox drain alone: N invitation emails queued with the worker off, then a server with the
 * worker on delivers them to a loopback SMTP server (the test suite's, in this process, as in
 * run.ts). Times first to last email received and the server's CPU over the same span.
 *
 *   node bench/drain.ts [--count=3000] [--engine=sqlite|postgres] [--prof=dir]
 *
 * PostgreSQL uses the database `rsvp_drain` (dropped and created) on RSVP_TEST_PG_URL's server.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startSmtpServer } from '../test/smtp.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const COUNT = Number(option('count') ?? 3000);
const ENGINE = option('engine') ?? 'sqlite';
const PROF = option('prof');
const PG_ADMIN = process.env.RSVP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const ENV = {
  LOG_LEVEL: 'warn',
  RSVP_SECRET: 'bench-secret-bench-secret-bench-secret-0123456789',
  RATE_LIMIT_PER_INVITER: '100000000/86400',
  RATE_LIMIT_PER_RECIPIENT: '100000000/600',
  RATE_LIMIT_PER_CLIENT_ADDRESS: '100000000/60',
  OUTBOX_POLL_MS: '50',
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string): Promise<void> {
  for (const started = performance.now(); performance.now() - started < 60_000; ) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${url} did not answer`);
}

function serve(env: Record<string, string>, port: number, nodeArgs: string[] = []): ChildProcess {
  return spawn(
    process.execPath,
    [
      ...nodeArgs,
      '--max-semi-space-size=8',
      '--max-old-space-size=384',
      join(root, 'dist/server/rsvp.mjs'),
      'serve',
    ],
    {
      cwd: root,
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** utime + stime of a process, in ms. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function database(): Promise<string> {
  if (ENGINE === 'sqlite') return join(mkdtempSync(join(tmpdir(), 'rsvp-drain-')), 'rsvp.db');
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query('drop database if exists rsvp_drain with (force)');
  await admin.query('create database rsvp_drain');
  await admin.end();
  return PG_ADMIN.replace(/\/[^/]*$/, '/rsvp_drain');
}

// The server as `npm start` runs it: the bundle, built when the sources changed.
execFileSync(process.execPath, [join(root, 'scripts/build.ts'), '--if-stale'], {
  cwd: root,
  stdio: 'inherit',
});
const smtp = await startSmtpServer();
const env = { ...ENV, DATABASE_URL: await database(), SMTP_URL: smtp.url };
const boot = execFileSync(
  process.execPath,
  [join(root, 'src/cli/main.ts'), 'bootstrap', '--email', 'owner@bench.test', '--org', 'acme'],
  { cwd: root, env: { ...process.env, ...env } },
).toString();
const authorization = `Bearer ${/api key:\s+(\S+)/.exec(boot)![1]}`;

// Queue with the worker off.
let port = await freePort();
let child = serve({ ...env, WORKERS: 'false' }, port);
await waitFor(`http://127.0.0.1:${port}/readyz`);
for (let done = 0; done < COUNT; done += 1000) {
  const invitations = Array.from({ length: Math.min(1000, COUNT - done) }, (_, i) => ({
    email: `mail${done + i}@bench.test`,
    role: 'member',
  }));
  const response = await fetch(`http://127.0.0.1:${port}/v1/organizations/acme/invitations/batch`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ invitations }),
  });
  if (!response.ok) throw new Error(`batch: ${response.status} ${await response.text()}`);
}
await stop(child);

// Deliver.
port = await freePort();
child = serve({ ...env, WORKERS: 'true' }, port, PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`] : []);
while (smtp.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
const first = performance.now();
const cpuFirst = cpuMs(child.pid!);
const receiverFirst = process.cpuUsage();
while (smtp.received.length < COUNT) await new Promise((resolve) => setTimeout(resolve, 5));
const seconds = (performance.now() - first) / 1000;
const cpu = cpuMs(child.pid!) - cpuFirst;
const receiver = process.cpuUsage(receiverFirst);
await stop(child);
await smtp.close();
const ids = new Set(smtp.received.map((mail) => mail.messageId));
console.log(
  JSON.stringify({
    engine: ENGINE,
    count: COUNT,
    received: smtp.received.length,
    distinct: ids.size,
    emailsPerSecond: Math.round(COUNT / seconds),
    serverCpuUsPerEmail: Math.round((cpu * 1000) / COUNT),
    receiverCpuUsPerEmail: Math.round((receiver.user + receiver.system) / COUNT),
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  }),
);
