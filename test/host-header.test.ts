import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { buildConfluentApp } from '../src/dialects/confluent/confluent.app.ts';
import { buildTiledbApp } from '../src/dialects/tiledb/tiledb.app.ts';
import { buildTrieveApp } from '../src/dialects/trieve/trieve.app.ts';
import type { App } from '../src/http/app-types.ts';
import { cvatAppFor, type Harness, harness, request } from './helpers.ts';

const CVAT_URL = 'https://cvat.rsvp.test';
const CONFLUENT_URL = 'https://iam.rsvp.test/confluent';

describe('links and the Host header', () => {
  let h: Harness;
  let apps: Record<string, App>;

  beforeAll(async () => {
    h = await harness();
    apps = {
      native: h.app,
      tiledb: buildTiledbApp(h.services),
      trieve: buildTrieveApp(h.services, { publicUrl: 'http://rsvp.test' }),
      cvat: cvatAppFor(h, CVAT_URL),
      confluent: buildConfluentApp(h.services, {
        pageTokenKey: h.keys.pageTokenSigning,
        listenerUrl: CONFLUENT_URL,
      }),
    };
    for (const app of Object.values(apps)) await app.ready();
    for (const name of ['ann', 'ben', 'cal']) {
      const created = await h.call('POST', '/v1/organizations/acme/invitations', {
        body: { email: `${name}@example.com`, send_email: false },
      });
      expect(created.status).toBe(201);
    }
  });
  afterAll(async () => {
    for (const [name, app] of Object.entries(apps)) if (name !== 'native') await app.close();
    await h.close();
  });

  const probe: Record<string, [string, string]> = {
    native: ['GET', '/v1/organizations/acme/invitations'],
    tiledb: ['GET', '/v1/invitations'],
    trieve: ['GET', '/api/invitations/x'],
    cvat: ['GET', '/api/invitations'],
    confluent: ['GET', '/iam/v2/invitations'],
  };

  /** A raw HTTP/1.1 request over a socket, so the Host header is exactly what an attacker sends. */
  async function raw(app: App, method: string, path: string, host: string, authorization?: string) {
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return new Promise<number>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `${method} ${path} HTTP/1.1\r\nHost: ${host}\r\n` +
            (authorization ? `Authorization: ${authorization}\r\n` : '') +
            'Connection: close\r\n\r\n',
        );
      });
      let data = '';
      socket.on('data', (chunk) => {
        data += chunk.toString('latin1');
      });
      socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
      socket.on('error', reject);
    });
  }

  it('answers 400, never 500, to an empty or malformed Host on every listener', async () => {
    const bad = ['', 'a b', 'evil.example/path', 'user@evil.example', '[::1', 'evil.example:99999x', '%zz'];
    for (const [name, app] of Object.entries(apps)) {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const [method, url] = probe[name]!;
      for (const host of bad) {
        expect(
          await raw(app, method, url, host, `Bearer ${h.adminKey}`),
          `${name} Host: ${JSON.stringify(host)}`,
        ).toBe(400);
        // Unauthenticated too: the check comes before anything else.
        expect(await raw(app, method, url, host), `${name} anonymous Host: ${JSON.stringify(host)}`).toBe(
          400,
        );
      }
      expect(
        await raw(app, method, url, 'rsvp.test:8443', `Bearer ${h.adminKey}`),
        `${name} good Host`,
      ).not.toBe(400);
    }
  });

  it("builds CVAT's page links and user links from the listener's public URL, whatever the Host", async () => {
    const page = await request(apps.cvat!, 'GET', '/api/invitations?org=acme&page_size=2', {
      headers: { authorization: `Token ${h.adminKey}`, host: 'evil.example' },
    });
    expect(page.status).toBe(200);
    expect(page.body.next).toBe(`${CVAT_URL}/api/invitations?org=acme&page_size=2&page=2`);
    expect(page.body.results[0].owner.url).toMatch(new RegExp(`^${CVAT_URL}/api/users/\\d+$`));
    expect(JSON.stringify(page.body)).not.toContain('evil.example');
  });

  it("builds Confluent's self, related, Location and page links from the listener's public URL", async () => {
    const basic = async () => {
      const key = await h.call('POST', '/v1/api-keys', { body: { name: 'confluent' } });
      return `Basic ${Buffer.from(`${key.body.id}:${key.body.secret}`).toString('base64')}`;
    };
    const authorization = await basic();
    const headers = { authorization, host: 'evil.example', 'x-forwarded-host': 'evil.example' };
    const created = await request(apps.confluent!, 'POST', '/iam/v2/invitations', {
      headers,
      body: { email: 'dan@example.com' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`${CONFLUENT_URL}/iam/v2/invitations/${created.body.id}`);
    expect(created.body.metadata.self).toBe(created.headers.location);
    expect(created.body.creator.related).toMatch(new RegExp(`^${CONFLUENT_URL}/iam/v2/users/u-`));
    const list = await request(apps.confluent!, 'GET', '/iam/v2/invitations?page_size=2', { headers });
    expect(list.status).toBe(200);
    expect(list.body.metadata.next).toMatch(
      new RegExp(`^${CONFLUENT_URL}/iam/v2/invitations\\?page_size=2&page_token=`),
    );
    expect(list.body.metadata.first).toBe(`${CONFLUENT_URL}/iam/v2/invitations?page_size=2`);
    expect(JSON.stringify(list.body)).not.toContain('evil.example');
  });

  it("configures each dialect listener's public URL: RSVP_PUBLIC_URL on its port, or RSVP_DIALECT_PUBLIC_URLS", () => {
    const config = loadConfig({
      RSVP_PUBLIC_URL: 'https://rsvp.example.com',
      RSVP_DIALECTS: 'cvat:8083,confluent:8084',
      RSVP_DIALECT_PUBLIC_URLS: 'confluent=https://iam.example.com/confluent/',
    });
    expect(config.dialects).toEqual([
      { name: 'cvat', port: 8083, publicUrl: 'https://rsvp.example.com:8083' },
      { name: 'confluent', port: 8084, publicUrl: 'https://iam.example.com/confluent' },
    ]);
    for (const bad of ['cvat=ftp://x', 'cvat=http://[::1', 'cvat=http://a?b=1', 'nope=http://x', 'cvat']) {
      expect(() => loadConfig({ RSVP_DIALECT_PUBLIC_URLS: bad }), bad).toThrow(/RSVP_DIALECT_PUBLIC_URLS/);
    }
  });
});
