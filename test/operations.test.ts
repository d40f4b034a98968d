import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers.ts';

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
