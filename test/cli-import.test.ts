import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from './cli-run.ts';
import { type Harness, harness } from './helpers.ts';

const rowsOf = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => line.split('\t').slice(0, 3));

describe('rsvp invite --csv checks every row before sending anything', () => {
  let h: Harness;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => spawnCli(args, env);
  const file = (name: string, content: string | Buffer) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };
  const invited = async (q: string) =>
    (await h.call('GET', `/v1/organizations/acme/invitations?q=${q}`)).body.invitations as unknown[];

  beforeAll(async () => {
    h = await harness();
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'rsvp-cli-import-'));
    env = { ...process.env, RSVP_URL: url, RSVP_API_KEY: h.adminKey, LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad address, an unknown role, a repeated address and an extra column, each by row, sending nothing', async () => {
    const csv = file(
      'bad.csv',
      'email,role\nok1@example.com,member\nnot-an-email,member\nok2@example.com,emperor\n' +
        'OK1@example.com,member\nok3@example.com,member,extra\nok4@example.com,member\n',
    );
    const result = await cli('invite', '--org', 'acme', '--csv', csv, '--no-email');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^rsvp: row 2 \(line 3\): email "not-an-email": .*name@domain\.tld/);
    expect(lines[1]).toMatch(
      /^rsvp: row 3 \(line 4\): role "emperor" is not in acme's roles \(owner, admin, member\)/,
    );
    expect(lines[2]).toBe('rsvp: row 4 (line 5): OK1@example.com is already row 1');
    expect(lines[3]).toBe('rsvp: row 5 (line 6): 3 fields, but the header has 2 columns');
    expect(result.stderr).toContain('4 of 6 rows have problems (4 in all); nothing was sent');
    expect(await invited('ok')).toEqual([]);
  }, 180_000);

  it('names the columns a file has when it has no email column', async () => {
    const csv = file('mail.csv', 'mail,role\nsomeone@example.com,member\n');
    const result = await cli('invite', '--org', 'acme', '--csv', csv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no "email" column (its columns: mail, role;');
  }, 180_000);

  it('reports a bad quote by row and still checks the rows after it', async () => {
    const csv = file('quote.csv', 'email,role\na"b@example.com,member\nnot-an-email,member\n');
    const result = await cli('invite', '--org', 'acme', '--csv', csv);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/row 1 \(line 2\): .*quote/i);
    expect(result.stderr).toContain('row 2 (line 3): email "not-an-email"');
  }, 180_000);

  it('accepts semicolon- and tab-separated files', async () => {
    const semi = file('semi.csv', 'email;role;message\nsemi@example.com;admin;hi, there\n');
    const tab = file('tab.tsv', 'email\trole\ntab@example.com\tmember\n');
    for (const path of [semi, tab]) {
      const result = await cli('invite', '--org', 'acme', '--csv', path, '--no-email');
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain('1 rows: 1 invited, 0 failed');
    }
    expect(await invited('semi')).toHaveLength(1);
    expect(await invited('tab')).toHaveLength(1);
  }, 180_000);

  it('refuses invalid UTF-8 by row, and says when a file has no rows', async () => {
    const bytes = Buffer.concat([
      Buffer.from('email,role\nu1@example.com,member\nu2@ex'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('ample.com,member\n'),
    ]);
    const utf8 = await cli('invite', '--org', 'acme', '--csv', file('latin.csv', bytes));
    expect(utf8.code).toBe(2);
    expect(utf8.stderr).toContain('row 2 (line 3): line 3 is not valid UTF-8');
    const empty = await cli('invite', '--org', 'acme', '--csv', file('empty.csv', ''));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('has no header and no rows');
    const header = await cli('invite', '--org', 'acme', '--csv', file('header.csv', 'email,role\n'));
    expect(header.code).toBe(2);
    expect(header.stderr).toContain('has no rows, only a header');
    expect(header.stderr).not.toContain('give emails');
  }, 180_000);

  it('skips rows already invited with --skip-existing, and always ends with a summary', async () => {
    const csv = file('again.csv', 'email\nagain1@example.com\nagain2@example.com\n');
    expect((await cli('invite', '--org', 'acme', '--csv', csv, '--no-email')).code).toBe(0);
    const rerun = await cli('invite', '--org', 'acme', '--csv', csv, '--no-email', '--skip-existing');
    expect(rerun.code).toBe(0);
    expect(rowsOf(rerun.stdout).map((row) => row[2])).toEqual(['skipped', 'skipped']);
    expect(rerun.stderr).toContain('2 rows: 0 invited, 2 skipped, 0 failed');
  }, 180_000);
});
