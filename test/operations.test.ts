import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ENGINE, freePort, PG_ADMIN_URL, waitUntilReady } from './helpers.ts';

const ROOT = join(import.meta.dirname, '..');
const dirs: string[] = [];
/** Processes a test started; killed if a failing test left them behind. */
const leftovers: number[] = [];
afterAll(() => {
  for (const pid of leftovers) if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rsvp-ops-'));
  dirs.push(dir);
  return dir;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Collects a child's JSON log lines; resolves the first line that matches. */
function logsOf(child: ChildProcess) {
  const lines: Record<string, unknown>[] = [];
  const waiters: {
    test: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }[] = [];
  let buffer = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf('\n');
      if (!text.startsWith('{')) continue;
      const line = JSON.parse(text) as Record<string, unknown>;
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.test(line))) waiter.resolve(line);
    }
  });
  return {
    lines,
    waitFor(test: (line: Record<string, unknown>) => boolean, timeoutMs = 60_000) {
      const found = lines.find(test);
      if (found) return Promise.resolve(found);
      return new Promise<Record<string, unknown>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('log line not seen')), timeoutMs);
        waiters.push({
          test,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
      });
    },
  };
}

describe('npm start and SIGTERM', () => {
  it('stops the server gracefully when a process manager signals npm: the in-flight request is answered, nothing is left running', async () => {
    const port = await freePort();
    const npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), DATA_DIR: tempDir(), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    const logs = logsOf(npm);
    const ready = await logs.waitFor((line) => line.msg === 'rsvp ready');
    const serverPid = ready.pid as number;
    leftovers.push(serverPid, npm.pid!);
    expect(serverPid).not.toBe(npm.pid);

    // A request in flight: its headers are in, its body is still on the way.
    const body = JSON.stringify({ token: 'rsvp_it_not_a_real_token' });
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    let answer = '';
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString();
    });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.write(
      `POST /v1/invitations/preview HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 5)}`,
    );
    await logs.waitFor((line) => line.msg === 'incoming request');

    process.kill(npm.pid!, 'SIGTERM');
    await logs.waitFor((line) => line.msg === 'shutting down: finishing in-flight requests');
    socket.write(body.slice(5));
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 404 /);
    expect(answer).toContain('invitation_not_found');

    expect(await exited).toBe(0);
    expect(logs.lines.some((line) => line.msg === 'stopped')).toBe(true);
    expect(alive(serverPid)).toBe(false);
  }, 90_000);
});

/** `rsvp serve` (or another command) run as a user would, until it exits. */
function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { ...cleanEnv(), LOG_LEVEL: 'warn', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdin.end(input ?? '');
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The test process's environment without rsvp's own settings. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(RSVP_|SMTP_|DATABASE_|HOST$|PORT$|DATA_DIR$)/.test(name) && !name.startsWith('RSVP_TEST_'))
      delete env[name];
  }
  return env;
}

function expectOneLine(result: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(result.code).toBe(1);
  const lines = result.stderr.trim().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

describe('configuration and startup failures: one line, non-zero exit, no stack', { timeout: 90_000 }, () => {
  it('accepts only postgres://, postgresql://, sqlite: and file paths as DATABASE_URL', async () => {
    const dir = tempDir();
    for (const bad of ['mysql://root:hunter2@db/rsvp', 'not-a-url']) {
      const result = await runCli(['serve'], { DATABASE_URL: bad, DATA_DIR: dir });
      expectOneLine(
        result,
        /^rsvp: invalid configuration: DATABASE_URL=.* accepted: postgres:\/\/.*postgresql:\/\/.*sqlite:.*file path/,
      );
      expect(result.stderr).not.toContain('hunter2');
    }
    expect(existsSync(join(ROOT, 'not-a-url'))).toBe(false);
    const several = await runCli(['serve'], { PORT: 'eighty', SMTP_URL: 'mailto:x', DATA_DIR: dir });
    expect(several.code).toBe(1);
    expect(several.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^rsvp: invalid configuration: PORT="eighty": expected a port number/),
      expect.stringMatching(/^rsvp: invalid configuration: SMTP_URL="mailto:x": expected smtp:\/\//),
    ]);
  }, 90_000);

  it('says so when PostgreSQL refuses the connection', async () => {
    const port = await freePort();
    const result = await runCli(['serve'], { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/rsvp` });
    expectOneLine(
      result,
      new RegExp(
        `^rsvp: cannot connect to PostgreSQL at 127\\.0\\.0\\.1:${port}: connection refused; start PostgreSQL there, or fix the host and port in DATABASE_URL$`,
      ),
    );
  });

  it.runIf(ENGINE === 'postgres')('says so when the PostgreSQL database does not exist', async () => {
    const url = PG_ADMIN_URL.replace(/\/[^/]*$/, '/rsvp_no_such_database');
    const result = await runCli(['serve'], { DATABASE_URL: url });
    expectOneLine(
      result,
      /^rsvp: PostgreSQL database "rsvp_no_such_database" does not exist at .*: create it \(createdb "rsvp_no_such_database"\)/,
    );
  });

  it('says so when the port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    const { port } = blocker.address() as { port: number };
    const result = await runCli(['serve'], { PORT: String(port), DATA_DIR: tempDir() });
    blocker.close();
    expectOneLine(result, new RegExp(`^rsvp: cannot listen on 127\\.0\\.0\\.1:${port}: the port is in use`));
  });
});

describe('start-up messages and addresses', () => {
  it('warns about misspelled variables and says where email goes', async () => {
    const port = await freePort();
    const server = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: {
        ...cleanEnv(),
        PORT: String(port),
        DATA_DIR: tempDir(),
        LOG_LEVEL: 'info',
        SMTP_URI: 'smtp://mail.example.com:587',
        RSVP_PUBLIC_ULR: 'https://rsvp.example.com',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    leftovers.push(server.pid!);
    const logs = logsOf(server);
    await logs.waitFor((line) => String(line.msg).startsWith('email:'));
    const warnings = logs.lines.filter((line) => line.level === 40).map((line) => line.msg);
    expect(warnings).toContain(
      'RSVP_PUBLIC_ULR is set but rsvp does not read it (ignored); did you mean RSVP_PUBLIC_URL?',
    );
    expect(warnings).toContain('SMTP_URI is set but rsvp does not read it (ignored); did you mean SMTP_URL?');
    expect(logs.lines.map((line) => line.msg)).toContain(
      `email: not sent (no SMTP_URL); captured for reading at http://127.0.0.1:${port}/dev/mailbox`,
    );
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }, 60_000);

  it('listens on an IPv6 host and writes its links with the address in brackets', async () => {
    const port = await freePort();
    const env = { PORT: String(port), HOST: '::1', DATA_DIR: tempDir() };
    const boot = await runCli(['bootstrap', '--email', 'admin@example.com', '--org', 'acme'], env);
    expect(boot.code, boot.stderr).toBe(0);
    const key = /api key: +(\S+)/.exec(boot.stdout)![1]!;
    const server = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...cleanEnv(), ...env, LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    leftovers.push(server.pid!);
    const base = `http://[::1]:${port}`;
    await waitUntilReady(base);
    const created = await fetch(`${base}/v1/organizations/acme/invitations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'v6@example.com', send_email: false }),
    });
    expect(created.status).toBe(201);
    const { accept_url } = (await created.json()) as { accept_url: string };
    expect(accept_url.startsWith(`${base}/invite?token=`)).toBe(true);
    expect((await fetch(accept_url)).status).toBe(200);
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }, 60_000);

  it('the CLI writes links to where the server answers, and warns when it cannot know', async () => {
    const dataDir = tempDir();
    const boot = await runCli(['bootstrap', '--email', 'admin@example.com', '--org', 'acme'], {
      DATA_DIR: dataDir,
    });
    expect(boot.code, boot.stderr).toBe(0);
    const before = await runCli(['invite', '--org', 'acme', 'early@example.com', '--no-email'], {
      DATA_DIR: dataDir,
    });
    expect(before.code, before.stderr).toBe(0);
    expect(before.stderr).toContain(
      'rsvp: warning: no server has started on this database yet, so links point to http://127.0.0.1:8080 (from HOST and PORT); set RSVP_PUBLIC_URL',
    );

    const port = await freePort();
    const server = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...cleanEnv(), PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: 'ignore',
    });
    leftovers.push(server.pid!);
    await waitUntilReady(`http://127.0.0.1:${port}`);
    // Run without PORT, as from another terminal: the link still goes to the server's port.
    const after = await runCli(['invite', '--org', 'acme', 'later@example.com', '--no-email'], {
      DATA_DIR: dataDir,
    });
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toContain('warning');
    const link = after.stdout.trim().split('\t').at(-1)!;
    expect(link.startsWith(`http://127.0.0.1:${port}/invite?token=`)).toBe(true);
    expect((await fetch(link)).status).toBe(200);
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }, 90_000);
});
