import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRsvpClient } from '../packages/sdk/src/index.ts';
import { type Harness, harness } from './helpers.ts';

// The CLI side of issue 21's invitation core: grants, metadata and redirect URL on create,
// bulk revoke and resend, locale on resend, and paging back — as a user runs it.

function spawnCli(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['src/cli/main.ts', ...args], { env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('rsvp invitations: combined, metadata, bulk and paging', () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  let baseUrl: string;
  const cli = (...args: string[]) => spawnCli(args, env);

  beforeAll(async () => {
    h = await harness({ deps: { allowedAppOrigins: ['https://app.example'] } });
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    env = { ...process.env, RSVP_URL: url, RSVP_API_KEY: h.adminKey, LOG_LEVEL: 'silent' };
    baseUrl = url;
  });
  afterAll(async () => {
    await h.close();
  });

  it('creates a combined invitation with metadata and a redirect URL, and refuses bad JSON or origins', async () => {
    const resource = await h.call('POST', '/v1/organizations/acme/resources', {
      body: { type: 'dataset', name: 'cli-set' },
    });
    const created = await cli(
      'invitations',
      'create',
      'combo@example.com',
      '--org',
      'acme',
      '--role',
      'member',
      '--grant',
      `${resource.body.id}=read,write`,
      '--public-metadata',
      '{"plan":"pro"}',
      '--private-metadata',
      '{"crm":7}',
      '--redirect-url',
      'https://app.example/welcome',
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      role: 'member',
      grants: [{ resource_id: resource.body.id, actions: ['read', 'write'] }],
      public_metadata: { plan: 'pro' },
      private_metadata: { crm: 7 },
      redirect_url: 'https://app.example/welcome',
    });
    const badJson = await cli(
      'invitations',
      'create',
      'x@example.com',
      '--org',
      'acme',
      '--public-metadata',
      '{nope',
    );
    expect(badJson.code).toBe(2);
    const badOrigin = await cli(
      'invitations',
      'create',
      'x@example.com',
      '--org',
      'acme',
      '--redirect-url',
      'https://evil.example/',
    );
    expect(badOrigin.code).toBe(1);
    expect(badOrigin.stderr).toContain('redirect_url_not_allowed');
  });

  it('revokes and resends in bulk, one line per invitation, exit 1 when a row failed', async () => {
    const ids: string[] = [];
    for (const email of ['b1@bulk.example', 'b2@bulk.example']) {
      ids.push(
        (await h.call('POST', '/v1/organizations/acme/invitations', { body: { email, send_email: false } }))
          .body.id,
      );
    }
    const resent = await cli(
      'invitations',
      'bulk-resend',
      '--org',
      'acme',
      '--ids',
      ids.join(','),
      '--locale',
      'fr',
    );
    expect(resent.code).toBe(0);
    expect(resent.stdout.trim().split('\n')).toEqual(ids.map((id) => `${id}\t200\tpending`));
    expect((await h.call('GET', `/v1/organizations/acme/invitations/${ids[0]}`)).body.locale).toBe('fr');
    const revoked = await cli(
      'invitations',
      'bulk-revoke',
      '--org',
      'acme',
      '--all-matching',
      '--q',
      '@bulk.example',
    );
    expect(revoked.code).toBe(0);
    expect(revoked.stderr).toContain('2 succeeded, 0 failed');
    const again = await cli('invitations', 'bulk-revoke', '--org', 'acme', '--ids', ids[0]!);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${ids[0]}\t410\tinvitation_revoked`);
    const neither = await cli('invitations', 'bulk-revoke', '--org', 'acme');
    expect(neither.code).toBe(2);
  });

  it('resends one invitation in another language, and pages back with --before', async () => {
    const id = (
      await h.call('POST', '/v1/organizations/acme/invitations', { body: { email: 'loc@example.com' } })
    ).body.id;
    const resent = await cli('invitations', 'resend', id, '--org', 'acme', '--locale', 'pt-BR', '--no-email');
    expect(JSON.parse(resent.stdout).locale).toBe('pt-BR');
    const first = await cli('invitations', 'list', '--org', 'acme', '--page-size', '1');
    const next = /more: --page-token (\S+)/.exec(first.stderr)![1]!;
    const second = await cli(
      'invitations',
      'list',
      '--org',
      'acme',
      '--page-size',
      '1',
      '--page-token',
      next,
    );
    const back = /back: --before (\S+)/.exec(second.stderr)![1]!;
    const previous = await cli('invitations', 'list', '--org', 'acme', '--page-size', '1', '--before', back);
    expect(previous.stdout).toBe(first.stdout);
    const offset = await cli('invitations', 'list', '--org', 'acme', '--page-size', '1', '--offset', '1');
    expect(offset.stdout).toBe(second.stdout);
  });

  it('SDK: bulk-revokes with typed results, and paginates from an offset onwards', async () => {
    const rsvp = createRsvpClient({ baseUrl, apiKey: h.adminKey });
    const ids: string[] = [];
    for (const email of ['s1@sdk-bulk.example', 's2@sdk-bulk.example', 's3@sdk-bulk.example']) {
      const created = await rsvp.POST('/v1/organizations/{org_id}/invitations', {
        params: { path: { org_id: 'acme' } },
        body: { email, send_email: false },
      });
      ids.push(created.data!.id);
    }
    const emails = [];
    for await (const invitation of rsvp.paginate('/v1/organizations/{org_id}/invitations', {
      params: {
        path: { org_id: 'acme' },
        query: { q: 'sdk-bulk.example', order_by: 'email', page_size: 1, offset: 1 },
      },
    })) {
      emails.push(invitation.email);
    }
    expect(emails).toEqual(['s2@sdk-bulk.example', 's3@sdk-bulk.example']);
    const revoked = await rsvp.POST('/v1/organizations/{org_id}/invitations/bulk-revoke', {
      params: { path: { org_id: 'acme' } },
      body: { filter: { q: 'sdk-bulk.example' } },
    });
    expect(revoked.data?.succeeded).toBe(3);
    expect(revoked.data?.results.map((row) => row.id)).toEqual(ids);
  });
});
