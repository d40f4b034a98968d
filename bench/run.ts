/**
 * rsvp beside the bare node:http ceiling and better-auth's organization plugin, in one run.
 *
 *   node bench/run.ts [--quick] [--engines=sqlite,postgres] [--no-peer]
 *
 * Every server runs in its own process on 127.0.0.1 and is driven by a separate autocannon
 * process (load.ts); servers are stopped by PID. Prints a table and writes bench/results.json.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const args = new Set(process.argv.slice(2));
const QUICK = args.has('--quick');
const ENGINES = ([...args]
  .find((a) => a.startsWith('--engines='))
  ?.slice(10)
  .split(',') ?? ['sqlite', 'postgres']) as ('sqlite' | 'postgres')[];
const PEER = !args.has('--no-peer');
const DURATION = QUICK ? 4 : 12;
const CONNECTIONS = 32;
const SEED = 10_000;
const LARGE = QUICK ? 100_000 : 1_000_000;
const ACCEPTS = QUICK ? 100 : 300;
const PG_ADMIN = process.env.RSVP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const work = mkdtempSync(join(tmpdir(), 'rsvp-bench-'));
const children = new Set<ChildProcess>();

interface Row {
  system: string;
  scenario: string;
  rps?: number;
  p50?: number;
  p99?: number;
  errors?: number;
  non2xx?: number;
  ms?: number;
  note?: string;
}
const rows: Row[] = [];
const memory: Record<string, number> = {};

function log(message: string) {
  process.stderr.write(`[bench] ${message}\n`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(url: string, timeoutMs = 60_000, init?: RequestInit): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      const response = await fetch(url, init);
      if (response.ok) return performance.now() - started;
    } catch {}
    if (performance.now() - started > timeoutMs) throw new Error(`${url} did not answer`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function start(command: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, command, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  process.kill(child.pid!, 'SIGTERM');
  await exited;
}

/** Peak resident memory of a process, in MB. */
function peakRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmHWM:\s+(\d+)/.exec(status)![1]) / 1024);
}

interface Request {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

function load(
  base: string,
  job: { request?: Request; requests?: Request[]; amount?: number; connections?: number },
) {
  const spec = { url: base, connections: job.connections ?? CONNECTIONS, duration: DURATION, ...job };
  const out = execFileSync(process.execPath, [join(here, 'load.ts'), JSON.stringify(spec)], {
    cwd: here,
    maxBuffer: 1 << 24,
  });
  return JSON.parse(out.toString().trim().split('\n').at(-1)!) as Omit<Row, 'system' | 'scenario'>;
}

function record(system: string, scenario: string, result: Omit<Row, 'system' | 'scenario'>) {
  rows.push({ system, scenario, ...result });
  log(`${system} ${scenario}: ${JSON.stringify(result)}`);
}

/**
 * fetch, retried once when the server closed an idle keep-alive connection just as it was
 * reused (between load runs the servers time idle sockets out).
 */
async function request(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw error;
    return fetch(url, init);
  }
}

async function json(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
) {
  const response = await request(`${base}${path}`, {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
  return { body: text ? JSON.parse(text) : null, headers: response.headers };
}

async function freshPostgres(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  return PG_ADMIN.replace(/\/[^/]*$/, `/${name}`);
}

/**
 * What autovacuum does within its first minute after a bulk load: statistics for the planner.
 * Without them PostgreSQL guesses a handful of rows per organization and plans a list page as a
 * scan and sort of all of them (bench/RESULTS.md, round 5); both systems get the same.
 */
async function analyzePostgres(databaseUrl: string) {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('analyze');
  await client.end();
}

async function dropPostgres(name: string) {
  const admin = new pg.Client({ connectionString: PG_ADMIN });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.end();
}

// ---------------------------------------------------------------------------------------------

async function benchBare() {
  const port = await freePort();
  const child = start([join(here, 'servers/bare.ts'), String(port)], {});
  const base = `http://127.0.0.1:${port}`;
  await waitFor(base);
  record('bare node:http', 'get', load(base, { request: { method: 'GET', path: '/' } }));
  memory['bare node:http'] = peakRss(child.pid!);
  await stop(child);
}

/** How `npm start` runs the server: the bundle (scripts/build.ts), a smaller young generation (bin/rsvp). */
execFileSync(process.execPath, [join(root, 'scripts/build.ts'), '--if-stale'], {
  cwd: root,
  stdio: 'inherit',
});
const RSVP_SERVE = [
  '--max-semi-space-size=8',
  '--max-old-space-size=384',
  join(root, 'dist/server/rsvp.mjs'),
  'serve',
];

const RSVP_ENV = {
  LOG_LEVEL: 'warn',
  WORKERS: 'false',
  RSVP_SECRET: 'bench-secret-bench-secret-bench-secret-0123456789',
  RATE_LIMIT_PER_INVITER: '100000000/86400',
  RATE_LIMIT_PER_RECIPIENT: '100000000/600',
  RATE_LIMIT_PER_CLIENT_ADDRESS: '100000000/60',
  RATE_LIMIT_RESENDS: '100000000/3600',
};

/** The first admin and organization `acme`, through rsvp's CLI; the key as an Authorization header. */
function bootstrapRsvp(env: Record<string, string>): { authorization: string } {
  const boot = execFileSync(
    process.execPath,
    [join(root, 'src/cli/main.ts'), 'bootstrap', '--email', 'owner@bench.test', '--org', 'acme'],
    { cwd: root, env: { ...process.env, ...env } },
  ).toString();
  return { authorization: `Bearer ${/api key:\s+(\S+)/.exec(boot)![1]}` };
}

/** Users with API keys, made in process through rsvp's own services (fast, no password hashing). */
async function makeInvitees(databaseUrl: string, count: number, prefix: string) {
  const { openDatabase } = await import('../src/db/database.ts');
  const { loadInstanceKeys } = await import('../src/instance/instance-keys.ts');
  const { createServices } = await import('../src/services.ts');
  const { systemClock } = await import('../src/lib/clock.ts');
  const database = openDatabase({ url: databaseUrl });
  const keys = await loadInstanceKeys(database, RSVP_ENV.RSVP_SECRET);
  const services = createServices({ database, keys, clock: systemClock, publicUrl: 'http://127.0.0.1' });
  const out: { email: string; key: string }[] = [];
  for (let i = 0; i < count; i++) {
    const email = `${prefix}${i}@bench.test`;
    const user = await services.users.register(
      { email },
      // As an instance admin makes them: their addresses are trusted, so they accept by id.
      { instanceAdmin: false, actor: null, via: 'admin', emailVerified: true },
    );
    const { secret } = await services.apiKeys.create(null, user.id, { name: 'bench' });
    out.push({ email, key: secret });
  }
  await database.close();
  return out;
}

/** Seeds `count` pending invitations straight into the database (for the scale figures). */
async function seedDirect(databaseUrl: string, organizationId: string, inviterId: string, count: number) {
  const { openDatabase } = await import('../src/db/database.ts');
  const { insertInvitations } = await import('../src/invitations/invitation.repository.ts');
  const { newId, newUuid } = await import('../src/lib/ids.ts');
  const database = openDatabase({ url: databaseUrl });
  const now = new Date();
  const expires = new Date(now.getTime() + 7 * 86_400_000);
  for (let done = 0; done < count; done += 5000) {
    const records = Array.from({ length: Math.min(5000, count - done) }, (_, i) => {
      const email = `big${done + i}@bench.test`;
      return {
        id: newId('inv', now),
        uuid: newUuid(),
        organizationId,
        targetKey: organizationId,
        resourceId: null,
        role: 'member',
        actions: null,
        email,
        emailCanonical: email,
        inviteeUserId: null,
        inviterUserId: inviterId,
        inviterApiKeyId: null,
        message: null,
        locale: null,
        metadata: {},
        publicMetadata: {},
        privateMetadata: {},
        redirectUrl: null,
        grants: null,
        status: 'pending' as const,
        deliveryState: 'not_sent' as const,
        deliveryError: null,
        sendCount: 0,
        tokenHash: `bench-${done + i}-${newUuid()}`,
        version: 1,
        createdAt: now,
        updatedAt: now,
        expiresAt: expires,
        lastSentAt: null,
        respondedAt: null,
        respondedByUserId: null,
        remindAt: null,
        reminderSentAt: null,
        linkStyle: 'token' as const,
        linkProofHash: null,
      };
    });
    await database.db.transaction().execute((trx) => insertInvitations(trx, records));
  }
  await database.close();
}

async function benchRsvp(engine: 'sqlite' | 'postgres') {
  const system = `rsvp ${engine}`;
  const dir = mkdtempSync(join(work, `rsvp-${engine}-`));
  const databaseUrl = engine === 'sqlite' ? join(dir, 'rsvp.db') : await freshPostgres('rsvp_bench');
  const env = { ...RSVP_ENV, DATABASE_URL: databaseUrl };
  const auth = bootstrapRsvp(env);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let child = start(RSVP_SERVE, { ...env, PORT: String(port) });
  await waitFor(`${base}/readyz`);

  log(`${system}: seeding ${SEED} invitations through the batch API`);
  const batchMs: number[] = [];
  for (let b = 0; b < SEED / 1000; b++) {
    const invitations = Array.from({ length: 1000 }, (_, i) => ({
      email: `seed${b * 1000 + i}@bench.test`,
      role: 'member',
    }));
    const started = performance.now();
    await json(base, 'POST', '/v1/organizations/acme/invitations/batch', auth, {
      invitations,
      send_email: false,
    });
    batchMs.push(performance.now() - started);
  }
  batchMs.sort((a, b) => a - b);
  record(system, 'batch 1,000 rows', {
    ms: Math.round(batchMs[Math.floor(batchMs.length / 2)]!),
    note: `median of ${batchMs.length}`,
  });
  if (engine === 'postgres') await analyzePostgres(databaseUrl);

  const first = await json(base, 'GET', '/v1/organizations/acme/invitations?page_size=1', auth);
  const id = first.body.invitations[0].id;
  record(
    system,
    'get',
    load(base, {
      request: { method: 'GET', path: `/v1/organizations/acme/invitations/${id}`, headers: auth },
    }),
  );
  record(
    system,
    'list 50',
    load(base, {
      request: { method: 'GET', path: '/v1/organizations/acme/invitations?page_size=50', headers: auth },
    }),
  );
  record(
    system,
    'create',
    load(base, {
      request: {
        method: 'POST',
        path: '/v1/organizations/acme/invitations',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'c{n}@bench.test', role: 'member', send_email: false }),
      },
    }),
  );

  log(`${system}: ${ACCEPTS} invitees for the accept run`);
  const invitees = await makeInvitees(databaseUrl, ACCEPTS, 'acc');
  const ids: string[] = [];
  for (let i = 0; i < invitees.length; i += 1000) {
    const chunk = invitees.slice(i, i + 1000).map((invitee) => ({ email: invitee.email, role: 'member' }));
    const created = await json(base, 'POST', '/v1/organizations/acme/invitations/batch', auth, {
      invitations: chunk,
      send_email: false,
    });
    ids.push(...created.body.results.map((row: { invitation: { id: string } }) => row.invitation.id));
  }
  record(
    system,
    'accept',
    load(base, {
      amount: ACCEPTS,
      requests: invitees.map((invitee, i) => ({
        method: 'POST',
        path: `/v1/invitations/${ids[i]}/accept`,
        headers: { authorization: `Bearer ${invitee.key}` },
      })),
    }),
  );

  const bad: [string, Request][] = [
    [
      'bad: malformed JSON',
      {
        method: 'POST',
        path: '/v1/organizations/acme/invitations',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"email":',
      },
    ],
    [
      'bad: unknown field',
      {
        method: 'POST',
        path: '/v1/organizations/acme/invitations',
        headers: { ...auth, 'content-type': 'application/json' },
        body: '{"email":"x@bench.test","bogus":1}',
      },
    ],
    ['bad: no auth', { method: 'GET', path: `/v1/organizations/acme/invitations/${id}` }],
  ];
  for (const [scenario, request] of bad) record(system, scenario, load(base, { request }));
  memory[system] = peakRss(child.pid!);

  // Scale: a page of 50 with 10k invitations in the organization, and with LARGE.
  log(`${system}: seeding ${LARGE} invitations for the scale figures`);
  const big = await json(base, 'POST', '/v1/organizations', auth, { slug: 'big', name: 'Big' });
  const owner = await json(base, 'GET', '/v1/me', auth);
  await seedDirect(databaseUrl, big.body.id, owner.body.id, LARGE);
  if (engine === 'postgres') await analyzePostgres(databaseUrl);
  const deep = async (org: string) => {
    let token: string | null = null;
    for (let page = 0; page < 20; page++) {
      const query: string = `/v1/organizations/${org}/invitations?page_size=50${token ? `&page_token=${token}` : ''}`;
      token = (await json(base, 'GET', query, auth)).body.next_page_token;
    }
    return token!;
  };
  for (const [org, size] of [
    ['acme', SEED],
    ['big', LARGE],
  ] as const) {
    record(
      system,
      `list 50 @ ${size.toLocaleString('en')}`,
      load(base, {
        request: { method: 'GET', path: `/v1/organizations/${org}/invitations?page_size=50`, headers: auth },
      }),
    );
    const token = await deep(org);
    record(
      system,
      `page 21 @ ${size.toLocaleString('en')}`,
      load(base, {
        request: {
          method: 'GET',
          path: `/v1/organizations/${org}/invitations?page_size=50&page_token=${token}`,
          headers: auth,
        },
      }),
    );
  }

  // Cold start: a new process on the existing database, to its first answered request.
  await stop(child);
  const coldPort = await freePort();
  const spawned = performance.now();
  child = start(RSVP_SERVE, { ...env, PORT: String(coldPort) });
  await waitFor(`http://127.0.0.1:${coldPort}/v1/organizations/acme/invitations/${id}`, 60_000, {
    headers: auth,
  });
  record(system, 'cold start', {
    ms: Math.round(performance.now() - spawned),
    note: 'spawn to first authenticated 200',
  });
  await stop(child);
  if (engine === 'postgres') await dropPostgres('rsvp_bench');
}

async function benchDrain() {
  const { startSmtpServer } = await import('../test/smtp.ts');
  const smtp = await startSmtpServer();
  const dir = mkdtempSync(join(work, 'rsvp-drain-'));
  const env = {
    ...RSVP_ENV,
    WORKERS: 'true',
    SMTP_URL: smtp.url,
    DATABASE_URL: join(dir, 'rsvp.db'),
    OUTBOX_POLL_MS: '50',
  };
  const auth = bootstrapRsvp(env);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = start(RSVP_SERVE, { ...env, PORT: String(port) });
  await waitFor(`${base}/readyz`);
  const count = QUICK ? 1000 : 3000;
  const started = performance.now();
  for (let b = 0; b < count / 1000; b++) {
    const invitations = Array.from({ length: 1000 }, (_, i) => ({
      email: `mail${b * 1000 + i}@bench.test`,
      role: 'member',
    }));
    await json(base, 'POST', '/v1/organizations/acme/invitations/batch', auth, { invitations });
  }
  while (smtp.received.length < count) await new Promise((resolve) => setTimeout(resolve, 20));
  const seconds = (performance.now() - started) / 1000;
  record('rsvp sqlite', `outbox drain to SMTP (${count})`, {
    rps: Math.round(count / seconds),
    ms: Math.round(seconds * 1000),
    note: 'emails/s, create to last received',
  });
  await stop(child);
  await smtp.close();
}

async function benchBetterAuth(engine: 'sqlite' | 'postgres') {
  const system = `better-auth ${engine}`;
  const dir = mkdtempSync(join(work, `ba-${engine}-`));
  const databaseUrl = engine === 'sqlite' ? join(dir, 'auth.db') : await freshPostgres('ba_bench');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = start([join(here, 'servers/better-auth.ts'), databaseUrl, String(port)], {});
  await waitFor(`${base}/api/auth/ok`);
  const origin = { origin: base };
  const signUp = async (email: string) => {
    const response = await request(`${base}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { ...origin, 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'bench-password', name: email }),
    });
    if (!response.ok) throw new Error(`sign-up ${response.status}`);
    return response.headers
      .getSetCookie()
      .map((cookie) => cookie.split(';')[0])
      .join('; ');
  };
  const owner = { ...origin, cookie: await signUp('owner@bench.test') };
  const organization = (
    await json(base, 'POST', '/api/auth/organization/create', owner, { name: 'Acme', slug: 'acme' })
  ).body;

  log(`${system}: seeding ${SEED} invitations straight into its database`);
  const inviterId = organization.members[0].userId;
  const now = new Date();
  const expires = new Date(now.getTime() + 7 * 86_400_000);
  const seed = Array.from({ length: SEED }, (_, i) => ({
    id: `seed${i}`,
    organizationId: organization.id,
    email: `seed${i}@bench.test`,
    role: 'member',
    status: 'pending',
    expiresAt: expires,
    createdAt: now,
    inviterId,
  }));
  if (engine === 'sqlite') {
    const { DatabaseSync } = await import('node:sqlite');
    const sqlite = new DatabaseSync(databaseUrl);
    const insert = sqlite.prepare(
      'insert into invitation (id, organizationId, email, role, status, expiresAt, createdAt, inviterId) values (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    sqlite.exec('begin');
    for (const row of seed) {
      insert.run(
        row.id,
        row.organizationId,
        row.email,
        row.role,
        row.status,
        row.expiresAt.toISOString(),
        row.createdAt.toISOString(),
        row.inviterId,
      );
    }
    sqlite.exec('commit');
    sqlite.close();
  } else {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const columns = Object.keys(seed[0]!);
    for (let i = 0; i < seed.length; i += 1000) {
      const rows = seed.slice(i, i + 1000);
      const tuples = rows.map(
        (_row, r) => `(${columns.map((_c, c) => `$${r * columns.length + c + 1}`).join(', ')})`,
      );
      await client.query(
        `insert into invitation (${columns.map((c) => `"${c}"`).join(', ')}) values ${tuples.join(', ')}`,
        rows.flatMap((row) => columns.map((c) => (row as Record<string, unknown>)[c])),
      );
    }
    await client.end();
  }
  if (engine === 'postgres') await analyzePostgres(databaseUrl);

  // better-auth reads one invitation as its recipient; rsvp's get is the admin's read by id.
  const reader = { ...origin, cookie: await signUp('reader@bench.test') };
  const readInvitation = (
    await json(base, 'POST', '/api/auth/organization/invite-member', owner, {
      email: 'reader@bench.test',
      role: 'member',
      organizationId: organization.id,
    })
  ).body;
  record(
    system,
    'get',
    load(base, {
      request: {
        method: 'GET',
        path: `/api/auth/organization/get-invitation?id=${readInvitation.id}`,
        headers: reader,
      },
    }),
  );
  record(system, 'list 50', {
    ...load(base, {
      request: {
        method: 'GET',
        path: `/api/auth/organization/list-invitations?organizationId=${organization.id}`,
        headers: owner,
      },
    }),
    note: 'no pagination: every invitation',
  });
  record(
    system,
    'create',
    load(base, {
      request: {
        method: 'POST',
        path: '/api/auth/organization/invite-member',
        headers: { ...owner, 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'c{n}@bench.test', role: 'member', organizationId: organization.id }),
      },
    }),
  );

  log(`${system}: ${ACCEPTS} invitees for the accept run (signing up each)`);
  const accepts: Request[] = [];
  for (let i = 0; i < ACCEPTS; i++) {
    const email = `acc${i}@bench.test`;
    const cookie = await signUp(email);
    const invitation = (
      await json(base, 'POST', '/api/auth/organization/invite-member', owner, {
        email,
        role: 'member',
        organizationId: organization.id,
      })
    ).body;
    accepts.push({
      method: 'POST',
      path: '/api/auth/organization/accept-invitation',
      headers: { ...origin, cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ invitationId: invitation.id }),
    });
  }
  record(system, 'accept', load(base, { amount: ACCEPTS, requests: accepts }));
  memory[system] = peakRss(child.pid!);
  await stop(child);
  if (engine === 'postgres') await dropPostgres('ba_bench');
}

// ---------------------------------------------------------------------------------------------

function ratio(a: number | undefined, b: number | undefined) {
  return a && b ? `${(a / b).toFixed(2)}x` : '';
}

function report() {
  const find = (system: string, scenario: string) =>
    rows.find((r) => r.system === system && r.scenario === scenario);
  const ceiling = find('bare node:http', 'get')?.rps;
  const lines = [
    `rsvp benchmark — ${new Date().toISOString()} — ${QUICK ? 'quick' : 'full'} mode, ${CONNECTIONS} connections, ${DURATION} s per load run`,
    `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}`,
    '',
    '| system | scenario | req/s | p50 ms | p99 ms | errors | non-2xx | ms | vs ceiling | vs better-auth (same engine) | note |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of rows) {
    const engine = row.system.split(' ').at(-1);
    const peer = row.system.startsWith('rsvp') ? find(`better-auth ${engine}`, row.scenario) : undefined;
    lines.push(
      `| ${row.system} | ${row.scenario} | ${row.rps !== undefined ? Math.round(row.rps) : ''} | ${row.p50 ?? ''} | ${row.p99 ?? ''} | ${row.errors ?? ''} | ${row.non2xx ?? ''} | ${row.ms ?? ''} | ${row.scenario === 'get' ? ratio(row.rps, ceiling) : ''} | ${peer ? `${ratio(row.rps, peer.rps)} req/s, p99 ${ratio(peer.p99, row.p99)} lower` : ''} | ${row.note ?? ''} |`,
    );
  }
  lines.push(
    '',
    '| system | peak RSS MB |',
    '| --- | ---: |',
    ...Object.entries(memory).map(([system, mb]) => `| ${system} | ${mb} |`),
  );
  const text = lines.join('\n');
  console.log(text);
  writeFileSync(
    join(here, 'results.json'),
    JSON.stringify({ date: new Date().toISOString(), quick: QUICK, rows, memory }, null, 2),
  );
  writeFileSync(join(here, 'results.md'), `${text}\n`);
}

async function main() {
  try {
    await benchBare();
    for (const engine of ENGINES) {
      await benchRsvp(engine);
      if (PEER) await benchBetterAuth(engine);
    }
    await benchDrain();
    report();
  } finally {
    for (const child of children) if (child.exitCode === null) process.kill(child.pid!, 'SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
