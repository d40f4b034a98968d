import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRsvpClient } from '../packages/sdk/src/index.ts';
import { buildApp, loggerOptions } from '../src/app.ts';
import { loadInstanceKeys } from '../src/instance/instance-keys.ts';
import { systemClock } from '../src/lib/clock.ts';
import { ENGINE, type Harness, harness } from './helpers.ts';

const run = promisify(execFile);

describe('the typed SDK against a listening server', () => {
  let h: Harness;
  let baseUrl: string;
  beforeAll(async () => {
    h = await harness();
    baseUrl = await h.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await h.close();
  });

  it('invites, reads back, and surfaces problems as typed errors', async () => {
    const rsvp = createRsvpClient({ baseUrl, apiKey: h.adminKey });
    const created = await rsvp.POST('/v1/organizations/{org_id}/invitations', {
      params: { path: { org_id: 'acme' } },
      body: { email: 'sdk@example.com', role: 'member', send_email: false },
    });
    expect(created.response.status).toBe(201);
    expect(created.data?.accept_url).toContain('token=');
    const got = await rsvp.GET('/v1/organizations/{org_id}/invitations/{invitation_id}', {
      params: { path: { org_id: 'acme', invitation_id: created.data!.id } },
    });
    expect(got.data?.email).toBe('sdk@example.com');
    const duplicate = await rsvp.POST('/v1/organizations/{org_id}/invitations', {
      params: { path: { org_id: 'acme' } },
      body: { email: 'SDK@example.com' },
    });
    expect(duplicate.response.status).toBe(409);
    expect(duplicate.error?.code).toBe('invitation_already_pending');
  });

  it('makes a second identical request wait for the first and replay its answer', async () => {
    const body = { email: 'inflight@example.com' };
    const key = 'same-key-twice';
    const send = () =>
      fetch(`${baseUrl}/v1/organizations/acme/invitations`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${h.adminKey}`,
          'content-type': 'application/json',
          'idempotency-key': key,
        },
        body: JSON.stringify(body),
      });
    const [a, b] = await Promise.all([send(), send()]);
    const statuses = [a.status, b.status].sort();
    // The second waits for the first's transaction and replays its answer.
    expect(statuses).toEqual([201, 201]);
    const rows = await h.database.db
      .selectFrom('invitations')
      .select('id')
      .where('email_canonical', '=', 'inflight@example.com')
      .execute();
    expect(rows).toHaveLength(1);
  });
});

describe('logs', () => {
  it('never carry credentials or link tokens', async () => {
    const h = await harness();
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const keys = await loadInstanceKeys(h.database, undefined);
    const { app } = await buildApp(
      { database: h.database, keys, clock: systemClock, publicUrl: 'http://rsvp.test' },
      { logger: { ...loggerOptions('info'), stream } },
    );
    try {
      await app.inject({
        method: 'GET',
        url: '/invite?token=rsvp_it_secretsecret',
        headers: { authorization: `Bearer ${h.adminKey}` },
      });
      await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${h.adminKey}` } });
      const log = lines.join('');
      expect(log).toContain('token=[redacted]');
      expect(log).not.toContain('rsvp_it_secretsecret');
      expect(log).not.toContain(h.adminKey);
    } finally {
      await app.close();
      await h.close();
    }
  });
});

// The CLI works on the embedded database; on PostgreSQL the same code is covered by the API tests.
describe.runIf(ENGINE === 'sqlite')('the rsvp CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rsvp-cli-'));
  const env = { ...process.env, DATA_DIR: dir, LOG_LEVEL: 'silent' };
  const cli = (...args: string[]) => run(process.execPath, ['src/cli/main.ts', ...args], { env });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bootstraps once, invites from a CSV with a per-row report, and lists', async () => {
    const boot = await cli('bootstrap', '--email', 'admin@example.com', '--org', 'acme');
    expect(boot.stdout).toMatch(/api key:\s+rsvp_sk_\w{38}/);
    await expect(cli('bootstrap', '--email', 'again@example.com', '--org', 'other')).rejects.toMatchObject({
      stderr: expect.stringContaining('already_bootstrapped'),
    });
    const csv = join(dir, 'people.csv');
    writeFileSync(
      csv,
      'email,role,message\nann@example.com,member,"Hello, Ann"\nnot-an-email,member,\nbob@example.com,admin,\n',
    );
    const refused = await cli('invite', '--org', 'acme', '--csv', csv).catch(
      (error: { stdout: string; stderr: string; code: number }) => error,
    );
    expect(refused).toMatchObject({ code: 2, stdout: '' });
    expect(refused.stderr).toContain('row 2 (line 3): email "not-an-email"');
    expect(refused.stderr).toContain('nothing was sent');
    writeFileSync(csv, 'email,role,message\nann@example.com,member,"Hello, Ann"\nbob@example.com,admin,\n');
    const invited = await cli('invite', '--org', 'acme', '--csv', csv);
    const rows = invited.stdout
      .trim()
      .split('\n')
      .map((line) => line.split('\t').slice(0, 3));
    expect(rows).toEqual([
      ['1', 'ann@example.com', 'invited'],
      ['2', 'bob@example.com', 'invited'],
    ]);
    expect(invited.stderr).toContain('2 invited, 0 failed');
    const listed = await cli('invitations', 'list', '--org', 'acme', '--status', 'pending');
    expect(listed.stdout).toContain('ann@example.com');
    expect(listed.stdout).toContain('bob@example.com');
    const help = await cli('invite', '--help');
    expect(help.stdout).toContain('--csv');
    // Six processes, each starting Node and opening the database: more than 30 s on a busy CI box.
  }, 90_000);
});
