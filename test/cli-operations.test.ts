import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnCli } from './cli-run.ts';
import { type Harness, harness } from './helpers.ts';

describe('rsvp commands for users, webhook tests, domains, join-link previews and suggestions', () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => spawnCli(args, env);

  beforeAll(async () => {
    h = await harness();
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    env = { ...process.env, RSVP_URL: url, RSVP_API_KEY: h.adminKey, LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await h.close();
  });

  it('lists users, tests a webhook endpoint and shows a domain', async () => {
    await h.user('listed@example.com');
    const users = await cli('users', 'list', '--q', 'listed');
    expect(users.code, users.stderr).toBe(0);
    expect(JSON.parse(users.stdout).users.map((u: { email: string }) => u.email)).toEqual([
      'listed@example.com',
    ]);
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
    const hookId = JSON.parse(hook.stdout).id as string;
    const tested = await cli('webhooks', 'test', hookId, '--org', 'acme');
    expect(tested.code, tested.stderr).toBe(0);
    expect(JSON.parse(tested.stdout)).toBeTypeOf('object');
    expect((await cli('domains', 'add', 'ops.example', '--org', 'acme')).code).toBe(0);
    const domain = await cli('domains', 'get', 'ops.example', '--org', 'acme');
    expect(domain.code, domain.stderr).toBe(0);
    expect(JSON.parse(domain.stdout)).toMatchObject({ domain: 'ops.example', status: 'pending' });
    const none = await cli('domains', 'get', 'nosuch.example', '--org', 'acme');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('404');
  }, 180_000);

  it('previews a join link, lists my join requests and suggested organizations, and joins one', async () => {
    const link = JSON.parse((await cli('join-links', 'create', '--org', 'acme', '--approval')).stdout) as {
      token: string;
    };
    const preview = await cli('join-links', 'preview', '--token', link.token);
    expect(preview.code, preview.stderr).toBe(0);
    expect(JSON.parse(preview.stdout)).toMatchObject({
      organization: { name: 'Acme' },
      requires_approval: true,
    });
    const joiner = await h.user('joiner@example.com');
    const as = { ...env, RSVP_API_KEY: joiner.key };
    expect((await spawnCli(['join', link.token], as)).code).toBe(0);
    const mine = await spawnCli(['join-requests', 'mine', '--status', 'pending'], as);
    expect(mine.code, mine.stderr).toBe(0);
    expect(JSON.parse(mine.stdout).join_requests).toHaveLength(1);
    const suggested = await spawnCli(['orgs', 'suggested'], as);
    expect(suggested.code, suggested.stderr).toBe(0);
    expect(JSON.parse(suggested.stdout)).toBeTypeOf('object');
    const join = await spawnCli(['orgs', 'join', 'acme'], as);
    expect(join.code).toBe(1);
    expect(join.stderr).toMatch(/^rsvp: 4\d\d /);
  }, 180_000);

  it('points an unknown subcommand to its group help', async () => {
    const unknown = await cli('invitations', 'frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "invitations frobnicate"; see rsvp invitations --help');
  }, 60_000);
});
