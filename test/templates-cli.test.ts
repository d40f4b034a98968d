import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './helpers.ts';

/** The CLI as a user runs it: a separate process, its exit code and both streams. */
function spawnCli(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['src/cli/main.ts', ...args], { env }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('rsvp templates and rsvp branding', () => {
  let h: Harness;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const cli = (...args: string[]) => spawnCli(args, env);

  beforeAll(async () => {
    h = await harness();
    const url = await h.app.listen({ host: '127.0.0.1', port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'rsvp-templates-cli-'));
    env = { ...process.env, RSVP_URL: url, RSVP_API_KEY: h.adminKey, LOG_LEVEL: 'silent' };
    writeFileSync(
      join(dir, 'de.html'),
      '<h1>{{ organization.name }}</h1><a href="{{ accept_url }}">Annehmen</a>',
    );
    writeFileSync(join(dir, 'de.txt'), 'Annehmen: {{ accept_url }}\n');
    writeFileSync(join(dir, 'bad.html'), '<p>\n{% if x %}{{ accept_url }}');
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets, shows, previews, test-sends and deletes a template, and sets branding', async () => {
    const files = ['--html-file', join(dir, 'de.html'), '--text-file', join(dir, 'de.txt')];
    const set = await cli(
      'templates',
      'set',
      'de',
      '--org',
      'acme',
      '--subject',
      'Einladung zu {{ organization.name }}',
      ...files,
    );
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({
      locale: 'de',
      subject: 'Einladung zu {{ organization.name }}',
    });

    const got = await cli('templates', 'get', 'de', '--org', 'acme');
    expect(JSON.parse(got.stdout).html).toContain('Annehmen');
    const listed = await cli('templates', 'list', '--org', 'acme');
    expect(JSON.parse(listed.stdout).templates).toHaveLength(1);

    const branding = await cli(
      'branding',
      'set',
      '--org',
      'acme',
      '--sender-name',
      'Acme Team',
      '--color',
      '#0a7d32',
    );
    expect(branding.code, branding.stderr).toBe(0);
    expect(JSON.parse(branding.stdout)).toMatchObject({ sender_name: 'Acme Team', primary_color: '#0a7d32' });

    const preview = await cli(
      'templates',
      'preview',
      'de',
      '--org',
      'acme',
      '--data',
      '{"inviter_name":"<b>Bob</b>"}',
    );
    expect(preview.code, preview.stderr).toBe(0);
    expect(JSON.parse(preview.stdout)).toMatchObject({
      source: 'organization',
      subject: 'Einladung zu Acme',
      sender_name: 'Acme Team',
    });

    const test = await cli('templates', 'test', 'de', '--org', 'acme');
    expect(test.code, test.stderr).toBe(0);
    expect(JSON.parse(test.stdout).to).toBe('owner@acme.test');

    const bad = await cli(
      'templates',
      'set',
      'de',
      '--org',
      'acme',
      '--subject',
      'x',
      '--html-file',
      join(dir, 'bad.html'),
      '--text-file',
      join(dir, 'de.txt'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('422 invalid_template');
    expect(bad.stderr).toContain('line 2, column 1');

    const partial = await cli('templates', 'set', 'de', '--org', 'acme', '--subject', 'x');
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain('--html-file');

    const deleted = await cli('templates', 'delete', 'de', '--org', 'acme');
    expect(deleted).toMatchObject({ code: 0 });
    const gone = await cli('templates', 'get', 'de', '--org', 'acme');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('404 email_template_not_found');
    const cleared = await cli('branding', 'set', '--org', 'acme', '--sender-name', '');
    expect(JSON.parse(cleared.stdout).sender_name).toBeNull();
  }, 180_000);
});
