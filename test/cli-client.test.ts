import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnCli } from './cli-run.ts';

/** A stand-in for whatever --url leads to: not rsvp, only what each test needs. */
async function fakeServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{
  url: string;
  server: Server;
}> {
  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the CLI client against what --url leads to', () => {
  const servers: Server[] = [];
  const env = (url: string, extra: NodeJS.ProcessEnv = {}) => ({
    ...process.env,
    RSVP_URL: url,
    RSVP_API_KEY: 'rsvp_sk_test',
    LOG_LEVEL: 'silent',
    ...extra,
  });
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('says a 2xx without the JSON rsvp sends is not rsvp, without a stack trace (exit 3)', async () => {
    const fake = await fakeServer((_req, res) => {
      res.statusCode = 204;
      res.end();
    });
    servers.push(fake.server);
    const result = await spawnCli(['me'], env(fake.url));
    expect(result.code).toBe(3);
    expect(result.stderr).toBe(
      `rsvp: the answer from GET /v1/me (204 with no body) is not what an rsvp server sends; check --url / RSVP_URL\n`,
    );
    const html = await fakeServer((_req, res) => res.end('<html>welcome</html>'));
    servers.push(html.server);
    const page = await spawnCli(['orgs', 'list'], env(html.url));
    expect(page.code).toBe(3);
    expect(page.stderr).toContain('(200 with "<html>welcome</html>") is not what an rsvp server sends');
    expect(page.stderr).not.toContain('TypeError');
  }, 60_000);

  it('keeps the path of --url, for an rsvp behind a proxy at a path', async () => {
    const seen: string[] = [];
    const fake = await fakeServer((req, res) => {
      seen.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end('{"id":"usr_1"}');
    });
    servers.push(fake.server);
    for (const url of [`${fake.url}/rsvp`, `${fake.url}/rsvp/`]) {
      const result = await spawnCli(['orgs', 'list', '--page-size', '5'], env(url));
      expect(result.code, result.stderr).toBe(0);
    }
    expect(seen).toEqual(['/rsvp/v1/organizations?page_size=5', '/rsvp/v1/organizations?page_size=5']);
  }, 60_000);

  it('gives up after --timeout or RSVP_TIMEOUT seconds and says so (exit 3)', async () => {
    const fake = await fakeServer(() => {});
    servers.push(fake.server);
    const [byEnv, byOption, bad] = await Promise.all([
      spawnCli(['me'], env(fake.url, { RSVP_TIMEOUT: '1' })),
      spawnCli(['me', '--timeout', '0.5'], env(fake.url)),
      spawnCli(['me', '--timeout', 'soon'], env(fake.url)),
    ]);
    expect(byEnv).toMatchObject({
      code: 3,
      stderr: `rsvp: no answer from ${fake.url} within 1 s (--timeout or RSVP_TIMEOUT to wait longer)\n`,
    });
    expect(byOption.code).toBe(3);
    expect(byOption.stderr).toContain('within 0.5 s');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('must be a number of seconds above 0, not "soon"');
  }, 60_000);

  it('still lists every bad CSV row when the server cannot be reached (exit 2, nothing sent)', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const csv = join(mkdtempSync(join(tmpdir(), 'rsvp-cli-client-')), 'bad.csv');
    writeFileSync(csv, 'email,role\nnot-an-email,member\nok@example.com,member\nOK@example.com,member\n');
    const result = await spawnCli(['invite', '--org', 'acme', '--csv', csv], env('http://127.0.0.1:9'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('row 1 (line 2): email "not-an-email"');
    expect(result.stderr).toContain('row 3 (line 4): OK@example.com is already row 2');
    expect(result.stderr).toContain('roles not checked before sending (cannot reach the rsvp server');
  }, 60_000);
});
