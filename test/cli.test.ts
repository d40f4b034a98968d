import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from './cli-run.ts';
import { freePort, type Harness, harness } from './helpers.ts';

const lines = (text: string) => text.trim().split('\n');
const rowsOf = (stdout: string) => lines(stdout).map((line) => line.split('\t').slice(0, 3));

describe('the rsvp CLI against a running server', () => {
  let h: Harness;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => spawnCli(args, env);

  /** TXT records the tests publish; never real DNS. */
  const txt = new Map<string, string[][]>();

  beforeAll(async () => {
    h = await harness({
      deps: {
        resolveTxt: async (name) => {
          const records = txt.get(name);
          if (!records) throw Object.assign(new Error('ENODATA'), { code: 'ENODATA' });
          return records;
        },
      },
    });
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'rsvp-cli-'));
    env = { ...process.env, RSVP_URL: url, RSVP_API_KEY: h.adminKey, LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('has per-command help with options and examples, --version, and exits 2 on unknown commands', async () => {
    const [help, version, unknown, unknownSub, badOption] = await Promise.all([
      cli('invitations', 'revoke', '--help'),
      cli('--version'),
      cli('nosuch', '--help'),
      cli('invitations', 'nosuch', '--help'),
      cli('invite', '--org', 'acme', '--nosuch'),
    ]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: rsvp invitations revoke [options] <invitation_id>');
    expect(help.stdout).toContain('--org <org>');
    expect(help.stdout).toContain('Examples:\n  $ rsvp invitations revoke inv_123 --org acme');
    expect(version).toMatchObject({
      code: 0,
      stdout: `${JSON.parse(readFileSync('package.json', 'utf8')).version}\n`,
    });
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toContain('unknown command "nosuch"');
    expect(unknownSub).toMatchObject({ code: 2, stdout: '' });
    expect(unknownSub.stderr).toContain('unknown command "invitations nosuch"');
    expect(badOption.code).toBe(2);
    expect(badOption.stderr).toContain("unknown option '--nosuch'");
  }, 180_000);

  it("shows the server's error details and exits 1", async () => {
    const [role, token, webhook] = await Promise.all([
      cli('invitations', 'create', 'x@example.com', '--org', 'acme', '--role', 'bogus'),
      cli('token', '--client-id', 'key_nope'),
      cli('webhooks', 'create', '--org', 'acme', '--endpoint', 'https://example.com/h', '--events', 'nosuch'),
    ]);
    expect(role.code).toBe(1);
    expect(role.stderr).toContain('422 unknown_role');
    expect(role.stderr).toContain('roles: ["owner","admin","member"]');
    expect(webhook.code).toBe(1);
    expect(webhook.stderr).toContain('400 validation_failed');
    expect(webhook.stderr).toMatch(/\/body\/event_types\/0: .*"invitation\.accepted"/);
    expect(token.code).toBe(1);
    expect(token.stderr).toContain('401 invalid_client: Unknown API key id or wrong secret.');
  }, 180_000);

  it('names the URL on a refused connection (exit 3) and the file when it is missing (exit 2)', async () => {
    const port = await freePort();
    const missing = join(dir, 'missing.csv');
    const [refused, noFile] = await Promise.all([
      cli('invitations', 'list', '--org', 'acme', '--url', `http://127.0.0.1:${port}`),
      cli('invite', '--org', 'acme', '--csv', missing),
    ]);
    expect(refused).toMatchObject({
      code: 3,
      stderr: `rsvp: cannot reach the rsvp server at http://127.0.0.1:${port}: connection refused; start it, or fix --url / RSVP_URL\n`,
    });
    expect(noFile).toMatchObject({ code: 2, stderr: `rsvp: cannot read ${missing}: no such file\n` });
  }, 180_000);

  it('revokes, resends, and manages organizations, members, resources, grants and webhooks', async () => {
    const created = await cli('invitations', 'create', 'rev@example.com', '--org', 'acme', '--no-email');
    expect(created.code).toBe(0);
    const id = JSON.parse(created.stdout).id as string;
    const resent = await cli('invitations', 'resend', id, '--org', 'acme', '--no-email');
    expect(resent.code).toBe(0);
    expect(JSON.parse(resent.stdout).accept_url).toContain('token=');
    expect(JSON.parse((await cli('invitations', 'revoke', id, '--org', 'acme')).stdout).status).toBe(
      'revoked',
    );
    const again = await cli('invitations', 'revoke', id, '--org', 'acme');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('410 invitation_revoked');

    const member = await h.user('mia@example.com', 'member');
    expect((await cli('orgs', 'create', 'beta', '--name', 'Beta')).code).toBe(0);
    expect(
      JSON.parse((await cli('orgs', 'list')).stdout).organizations.map((o: { slug: string }) => o.slug),
    ).toEqual(expect.arrayContaining(['acme', 'beta']));
    const promoted = await cli('members', 'set-role', member.id, '--org', 'acme', '--role', 'admin');
    expect(JSON.parse(promoted.stdout).role).toBe('admin');
    const resource = JSON.parse(
      (await cli('resources', 'create', '--org', 'acme', '--type', 'dataset', '--name', 'Q3')).stdout,
    );
    const grant = await cli(
      'grants',
      'set',
      member.id,
      '--org',
      'acme',
      '--resource',
      resource.id,
      '--actions',
      'read,write',
    );
    expect(JSON.parse(grant.stdout).actions).toEqual(['read', 'write']);
    expect((await cli('members', 'remove', member.id, '--org', 'acme')).stdout).toBe(
      `removed ${member.id}\n`,
    );
    const members = await h.call('GET', '/v1/organizations/acme/members');
    expect(members.body.members.map((m: { email: string }) => m.email)).not.toContain('mia@example.com');

    const hook = await cli(
      'webhooks',
      'create',
      '--org',
      'acme',
      '--endpoint',
      'https://example.com/h',
      '--events',
      'invitation.accepted',
    );
    expect(hook.code).toBe(0);
    const hookId = JSON.parse(hook.stdout).id as string;
    expect(
      JSON.parse((await cli('webhooks', 'update', hookId, '--org', 'acme', '--disable')).stdout).enabled,
    ).toBe(false);
    expect((await cli('webhooks', 'delete', hookId, '--org', 'acme')).code).toBe(0);
  }, 180_000);

  it('manages join links, the approval queue and domains; a user joins with `rsvp join`', async () => {
    const link = await cli('join-links', 'create', '--org', 'acme', '--max-uses', '2', '--approval');
    expect(link.code, link.stderr).toBe(0);
    const { id, token } = JSON.parse(link.stdout) as { id: string; token: string };
    expect(token).toMatch(/^rsvp_jl_/);
    const joiner = await h.user('cli-joiner@example.com');
    const joined = await spawnCli(['join', token], { ...env, RSVP_API_KEY: joiner.key });
    expect(joined.code, joined.stderr).toBe(0);
    const requestId = JSON.parse(joined.stdout).join_request.id as string;
    const queue = JSON.parse(
      (await cli('join-requests', 'list', '--org', 'acme', '--status', 'pending')).stdout,
    );
    expect(queue.join_requests.map((r: { id: string }) => r.id)).toEqual([requestId]);
    const approved = await cli('join-requests', 'approve', requestId, 'jr_nosuch', '--org', 'acme');
    expect(approved.code).toBe(1);
    expect(JSON.parse(approved.stdout)).toMatchObject({ decided: 1, failed: 1 });
    const uses = JSON.parse((await cli('join-links', 'uses', id, '--org', 'acme')).stdout);
    expect(uses.join_requests[0]).toMatchObject({ user_id: joiner.id, status: 'approved' });
    const rotated = JSON.parse((await cli('join-links', 'rotate', id, '--org', 'acme')).stdout);
    expect(rotated.token).not.toBe(token);
    expect(JSON.parse((await cli('join-links', 'revoke', id, '--org', 'acme')).stdout).status).toBe(
      'revoked',
    );
    expect(JSON.parse((await cli('join-links', 'list', '--org', 'acme')).stdout).join_links[0].id).toBe(id);

    const added = await cli('domains', 'add', 'cli.example', '--org', 'acme', '--join-mode', 'auto_join');
    expect(added.code, added.stderr).toBe(0);
    const record = JSON.parse(added.stdout).txt_record as { name: string; value: string };
    const early = await cli('domains', 'verify', 'cli.example', '--org', 'acme');
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('422 domain_not_verified');
    txt.set(record.name, [[record.value]]);
    expect(JSON.parse((await cli('domains', 'verify', 'cli.example', '--org', 'acme')).stdout).status).toBe(
      'verified',
    );
    const changed = await cli('domains', 'update', 'cli.example', '--org', 'acme', '--join-mode', 'offer');
    expect(JSON.parse(changed.stdout).join_mode).toBe('offer');
    expect(JSON.parse((await cli('domains', 'list', '--org', 'acme')).stdout).domains).toHaveLength(1);
    expect((await cli('domains', 'remove', 'cli.example', '--org', 'acme')).stdout).toBe(
      'removed cli.example\n',
    );
  }, 180_000);

  it('checks every CSV row before sending anything and reports them by row number', async () => {
    const csv = join(dir, 'invalid.csv');
    writeFileSync(
      csv,
      `email,role,message\nfine@example.com,member,hi\n,member,\nlong@example.com,,${'x'.repeat(2001)}\n`,
    );
    const result = await cli('invite', '--org', 'acme', '--csv', csv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('row 2 (line 3): no email');
    expect(result.stderr).toMatch(/row 3 \(line 4\): message: .*2000/);
    expect(result.stderr).toContain('nothing was sent');
    const stopped = await cli('invite', '--org', 'nosuch', 'a@example.com', 'b@example.com');
    expect(stopped.code).toBe(1);
    expect(rowsOf(stopped.stdout)).toEqual([
      ['1', 'a@example.com', 'not sent'],
      ['2', 'b@example.com', 'not sent'],
    ]);
    expect(stopped.stderr).toContain('404');
    expect(stopped.stderr).toContain('2 rows: 0 invited, 0 failed, 2 not sent');
    const listed = await h.call('GET', '/v1/organizations/acme/invitations?q=fine');
    expect(listed.body.invitations).toEqual([]);
  }, 180_000);

  it('invites with grants: --grant for every row, or a grants column per row, each checked first', async () => {
    const resource = async (name: string) =>
      (await h.call('POST', '/v1/organizations/acme/resources', { body: { type: 'dataset', name } })).body.id;
    const [r1, r2] = [await resource('cli-alpha'), await resource('cli-beta')];
    const csv = join(dir, 'grants.csv');
    writeFileSync(csv, `email,grants\ng1@example.com,${r1}=read;write ${r2}=read\ng2@example.com,\n`);
    const sent = await cli('invite', '--org', 'acme', '--csv', csv, '--grant', `${r2}=write`, '--no-email');
    expect(sent.code, sent.stderr).toBe(0);
    const grantsOf = async (email: string) =>
      (await h.call('GET', `/v1/organizations/acme/invitations?email=${email}`)).body.invitations[0].grants;
    expect(await grantsOf('g1@example.com')).toEqual([
      { resource_id: r1, actions: ['read', 'write'] },
      { resource_id: r2, actions: ['read'] },
    ]);
    expect(await grantsOf('g2@example.com')).toEqual([{ resource_id: r2, actions: ['write'] }]);

    writeFileSync(csv, `email,grants\ng3@example.com,${r1}\ng4@example.com,${r1}=read ${r1}=write\n`);
    const refused = await cli('invite', '--org', 'acme', '--csv', csv);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`row 1 (line 2): grants: "${r1}" is not resource_id=action;action`);
    expect(refused.stderr).toContain('nothing was sent');
    // What makes no invitation is found before anything is sent, as the API would say it.
    writeFileSync(
      csv,
      `email,resource_id,actions,grants\ng4@example.com,,,${r1}=read ${r1}=write\n` +
        `g5@example.com,${r2},read,${r1}=read\ng6@example.com,,read,\n`,
    );
    const shapes = await cli('invite', '--org', 'acme', '--csv', csv, '--no-email');
    expect(shapes.code).toBe(2);
    expect(shapes.stderr).toContain(`row 1 (line 2): Resource ${r1} appears more than once in \`grants\``);
    expect(shapes.stderr).toContain('row 2 (line 3): `grants` make a combined organization invitation');
    expect(shapes.stderr).toContain('row 3 (line 4): `actions` needs a `resource_id`');
    expect(shapes.stdout).toBe('');
    const both = await cli(
      'invite',
      '--org',
      'acme',
      'g7@example.com',
      '--resource',
      r1,
      '--actions',
      'read',
      '--grant',
      `${r2}=read`,
    );
    expect([both.code, both.stderr.includes('--grant and --resource exclude each other')]).toEqual([2, true]);
  }, 180_000);

  it('reports every row with totals, and a rerun with --skip-existing skips those already invited', async () => {
    const csv = join(dir, 'people.csv');
    const people = Array.from({ length: 120 }, (_, i) => `p${i}@example.com,member`);
    writeFileSync(csv, `email,role\n${people.join('\n')}\n`);
    const first = await cli('invite', '--org', 'acme', '--csv', csv, '--no-email');
    expect(first.code, first.stderr).toBe(0);
    const rows = rowsOf(first.stdout);
    expect(rows).toHaveLength(120);
    expect(rows[110]).toEqual(['111', 'p110@example.com', 'invited']);
    expect(first.stderr).toContain('120 rows: 120 invited, 0 failed');

    const rerun = await cli('invite', '--org', 'acme', '--csv', csv, '--no-email');
    expect(rerun.code).toBe(1);
    expect(rerun.stderr).toContain('120 rows: 0 invited, 120 failed');
    expect(rerun.stderr).toContain('120 were already invited or members: rerun with --skip-existing');

    writeFileSync(csv, `email,role\n${people.join('\n')}\np200@example.com,admin\n`);
    const skipping = await cli('invite', '--org', 'acme', '--csv', csv, '--skip-existing', '--no-email');
    expect(skipping.code).toBe(0);
    expect(rowsOf(skipping.stdout).at(-1)).toEqual(['121', 'p200@example.com', 'invited']);
    expect(skipping.stderr).toContain('121 rows: 1 invited, 120 skipped, 0 failed');
  }, 180_000);
});
