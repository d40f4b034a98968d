import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfluentApp } from '../src/dialects/confluent/confluent.app.ts';
import { buildTiledbApp } from '../src/dialects/tiledb/tiledb.app.ts';
import { buildTrieveApp } from '../src/dialects/trieve/trieve.app.ts';
import type { App } from '../src/http/app-types.ts';
import { cvatAppFor, type Harness, harness } from './helpers.ts';

const PASSWORD = 'correct horse battery';
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

type Answer = { status: number; headers: Record<string, unknown>; body: string };
/** One sign-in on one surface, from `ip`, with the right secret or a wrong one. */
type Attempt = (right: boolean, ip: string) => Promise<Answer>;

let ipSeq = 0;
const nextIp = () => `10.13.${Math.floor(++ipSeq / 250)}.${ipSeq % 250}`;

async function inject(
  app: App,
  ip: string,
  method: string,
  url: string,
  options: { headers?: Record<string, string>; payload?: unknown } = {},
): Promise<Answer> {
  const response = await app.inject({
    method: method as 'GET',
    url,
    remoteAddress: ip,
    headers: options.headers ?? {},
    ...(options.payload !== undefined ? { payload: options.payload as object } : {}),
  });
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

describe('failed sign-ins are limited on every surface that takes a password or a key secret', () => {
  let h: Harness;
  let trieve: App;
  let cvat: App;
  let confluent: App;
  let tiledb: App;

  beforeAll(async () => {
    h = await harness({ app: { devMailbox: true } });
    trieve = buildTrieveApp(h.services, { publicUrl: 'http://rsvp.test' });
    cvat = cvatAppFor(h);
    confluent = buildConfluentApp(h.services, {
      pageTokenKey: h.keys.pageTokenSigning,
      listenerUrl: 'https://confluent.rsvp.test',
    });
    tiledb = buildTiledbApp(h.services);
    await Promise.all([trieve.ready(), cvat.ready(), confluent.ready(), tiledb.ready()]);
  });
  afterAll(async () => {
    await Promise.all([trieve?.close(), cvat?.close(), confluent?.close(), tiledb?.close()]);
    await h?.close();
  });

  let userSeq = 0;
  /** A fresh member of acme (with `role`) whose password is PASSWORD. */
  async function account(role = 'member'): Promise<string> {
    const email = `guess${++userSeq}@example.com`;
    await h.user(email, role);
    return email;
  }
  async function apiKey(): Promise<{ id: string; secret: string }> {
    const key = await h.call('POST', '/v1/api-keys', { body: { name: `k${++userSeq}` } });
    return { id: key.body.id, secret: key.body.secret };
  }

  /**
   * 60 wrong secrets from one address: 10 answered as wrong (with RateLimit headers counting
   * down), then 429 with Retry-After; the right secret from that address is refused too, and
   * the right secret from another address still works: nobody is locked out.
   */
  async function expectLimited(attempt: Attempt, wrongStatus = 401, okStatus = 200) {
    const attacker = nextIp();
    for (let i = 0; i < 10; i++) {
      const wrong = await attempt(false, attacker);
      expect(wrong.status, wrong.body).toBe(wrongStatus);
      expect(wrong.headers['ratelimit-limit']).toBe('10');
      expect(wrong.headers['ratelimit-remaining']).toBe(String(9 - i));
    }
    for (let i = 10; i < 60; i++) {
      const refused = await attempt(false, attacker);
      expect(refused.status, refused.body).toBe(429);
    }
    const right = await attempt(true, attacker);
    expect(right.status, right.body).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(right.headers['ratelimit-limit']).toBe('10');
    expect(right.headers['ratelimit-remaining']).toBe('0');
    expect(right.headers['ratelimit-policy']).toBe('10;w=900');
    const elsewhere = await attempt(true, nextIp());
    expect(elsewhere.status, elsewhere.body).toBe(okStatus);
  }

  it('HTTP Basic with a password, native API; right passwords, even concurrent, are never slowed', async () => {
    const busy = await account();
    const ip = nextIp();
    const answers = await Promise.all(
      Array.from({ length: 30 }, () =>
        inject(h.app, ip, 'GET', '/v1/me', { headers: { authorization: basic(busy, PASSWORD) } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(200));
    const email = await account();
    await expectLimited((right, ip) =>
      inject(h.app, ip, 'GET', '/v1/me', {
        headers: { authorization: basic(email, right ? PASSWORD : 'wrong guess') },
      }),
    );
  });

  it('HTTP Basic with a key id and secret, native API', async () => {
    const key = await apiKey();
    await expectLimited((right, ip) =>
      inject(h.app, ip, 'GET', '/v1/me', {
        headers: { authorization: basic(key.id, right ? key.secret : 'rsvp_sk_wrong') },
      }),
    );
  });

  it('/oauth/token with a key id', async () => {
    const key = await apiKey();
    await expectLimited((right, ip) =>
      inject(h.app, ip, 'POST', '/oauth/token', {
        payload: {
          grant_type: 'client_credentials',
          client_id: key.id,
          client_secret: right ? key.secret : 'wrong',
        },
      }),
    );
  });

  it('Confluent /sts/v1/oauth2/token and Basic with a key id', async () => {
    const token = await apiKey();
    await expectLimited((right, ip) =>
      inject(confluent, ip, 'POST', '/sts/v1/oauth2/token', {
        payload: {
          grant_type: 'client_credentials',
          client_id: token.id,
          client_secret: right ? token.secret : 'wrong',
        },
      }),
    );
    const key = await apiKey();
    await expectLimited((right, ip) =>
      inject(confluent, ip, 'GET', '/iam/v2/invitations', {
        headers: { authorization: basic(key.id, right ? key.secret : 'wrong') },
      }),
    );
  });

  it('CVAT /api/auth/login and CVAT Basic', async () => {
    const email = await account();
    await expectLimited(
      (right, ip) =>
        inject(cvat, ip, 'POST', '/api/auth/login', {
          payload: { email, password: right ? PASSWORD : 'wrong guess' },
        }),
      400,
    );
    const other = await account();
    await expectLimited((right, ip) =>
      inject(cvat, ip, 'GET', '/api/invitations', {
        headers: { authorization: basic(other, right ? PASSWORD : 'wrong'), 'x-organization': 'acme' },
      }),
    );
  });

  it('TileDB and Trieve Basic', async () => {
    const email = await account();
    await expectLimited((right, ip) =>
      inject(tiledb, ip, 'GET', '/v4/invitations', {
        headers: { authorization: basic(email, right ? PASSWORD : 'wrong') },
      }),
    );
    const other = await account('owner');
    await expectLimited((right, ip) =>
      inject(trieve, ip, 'GET', `/api/invitations/${h.org.uuid}`, {
        headers: { authorization: basic(other, right ? PASSWORD : 'wrong'), 'tr-organization': h.org.uuid },
      }),
    );
  });

  it('the dev mailbox (Basic)', async () => {
    await expectLimited(
      (right, ip) =>
        inject(h.app, ip, 'GET', '/dev/mailbox', {
          headers: { authorization: basic('owner@acme.test', right ? 'owner-password' : 'wrong') },
        }),
      401,
      200,
    );
  });

  it('the invitee page sign-in', async () => {
    const email = await account();
    const created = await h.call('POST', `/v1/organizations/${h.org.slug}/invitations`, {
      body: { email: 'someone-else@example.com', role: 'member', send_email: false },
    });
    const token = new URL(created.body.accept_url).searchParams.get('token')!;
    await expectLimited(
      async (right, ip) => {
        const page = await inject(h.app, ip, 'GET', `/invite?token=${token}`);
        const seed = /rsvp_csrf=([^;]+)/.exec(String(page.headers['set-cookie']))![1]!;
        const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
        return inject(h.app, ip, 'POST', '/invite/sign-in', {
          headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `rsvp_csrf=${seed}` },
          payload: new URLSearchParams({
            token,
            csrf,
            email,
            password: right ? PASSWORD : 'wrong guess',
          }).toString(),
        });
      },
      401,
      303,
    );
  });

  it('the addresses of one IPv6 /64 share one budget', async () => {
    const email = await account();
    for (let i = 0; i < 10; i++) {
      const wrong = await inject(h.app, `2001:db8:0:7::${i + 1}`, 'GET', '/v1/me', {
        headers: { authorization: basic(email, 'wrong') },
      });
      expect(wrong.status).toBe(401);
    }
    const sameNetwork = await inject(h.app, '2001:db8:0:7:ffff::99', 'GET', '/v1/me', {
      headers: { authorization: basic(email, PASSWORD) },
    });
    expect(sameNetwork.status).toBe(429);
    const otherNetwork = await inject(h.app, '2001:db8:0:8::1', 'GET', '/v1/me', {
      headers: { authorization: basic(email, PASSWORD) },
    });
    expect(otherNetwork.status).toBe(200);
  });

  it('one address trying many accounts is stopped by the per-address limit', async () => {
    const attacker = nextIp();
    for (let i = 0; i < 100; i++) {
      const wrong = await inject(h.app, attacker, 'GET', '/v1/me', {
        headers: { authorization: basic(`key_${String(i).padStart(20, '0')}`, 'wrong') },
      });
      expect(wrong.status).toBe(401);
    }
    const email = await account();
    const refused = await inject(h.app, attacker, 'GET', '/v1/me', {
      headers: { authorization: basic(email, PASSWORD) },
    });
    expect(refused.status).toBe(429);
    expect(refused.headers['ratelimit-policy']).toBe('100;w=900');
    const elsewhere = await inject(h.app, nextIp(), 'GET', '/v1/me', {
      headers: { authorization: basic(email, PASSWORD) },
    });
    expect(elsewhere.status).toBe(200);
  });
});
