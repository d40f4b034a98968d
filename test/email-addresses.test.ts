import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfluentApp } from '../src/dialects/confluent/confluent.app.ts';
import { buildTiledbApp } from '../src/dialects/tiledb/tiledb.app.ts';
import { buildTrieveApp } from '../src/dialects/trieve/trieve.app.ts';
import type { App } from '../src/http/app-types.ts';
import { checkEmail } from '../src/lib/email.ts';
import { cvatAppFor, type Harness, harness, request } from './helpers.ts';

/** Addresses that display as, or are delivered to, something other than what was typed. */
const HOSTILE: [string, string][] = [
  ['lone high surrogate', '\ud800x@example.com'],
  ['lone low surrogate', 'x\udc00@example.com'],
  ['right-to-left override', 'moc.elpmaxe\u202e@example.com'],
  ['line separator', 'x\u2028@example.com'],
  ['line separator at the end', 'x@example.com\u2028'],
  ['zero-width space', 'ad\u200bmin@example.com'],
  ['zero-width space in the domain', 'admin@exa\u200bmple.com'],
  ['byte-order mark in front', '\ufeffadmin@example.com'],
  ['no-break space', 'ad\u00a0min@example.com'],
  ['NUL', 'x\u0000@example.com'],
  ['soft hyphen', 'ad\u00admin@example.com'],
  ['Hangul filler', 'ad\u3164min@example.com'],
];

describe('email addresses on every surface', () => {
  let h: Harness;
  let trieve: App;
  let cvat: App;
  let confluent: App;
  let tiledb: App;
  let trieveOrg: string;
  let confluentBasic: string;

  beforeAll(async () => {
    h = await harness();
    trieve = buildTrieveApp(h.services, { publicUrl: 'http://rsvp.test' });
    cvat = cvatAppFor(h);
    confluent = buildConfluentApp(h.services, {
      pageTokenKey: h.keys.pageTokenSigning,
      listenerUrl: 'https://confluent.rsvp.test',
    });
    tiledb = buildTiledbApp(h.services);
    await Promise.all([trieve.ready(), cvat.ready(), confluent.ready(), tiledb.ready()]);
    trieveOrg = h.org.uuid;
    const key = await h.call('POST', '/v1/api-keys', { body: { name: 'confluent' } });
    confluentBasic = `Basic ${Buffer.from(`${key.body.id}:${key.body.secret}`).toString('base64')}`;
  });
  afterAll(async () => {
    await Promise.all([trieve?.close(), cvat?.close(), confluent?.close(), tiledb?.close()]);
    await h?.close();
  });

  /** Every way to hand rsvp an address; each answers with its status and error text. */
  const surfaces: Record<string, (email: string) => Promise<{ status: number; text: string }>> = {
    'native invitation': async (email) => {
      const r = await h.call('POST', `/v1/organizations/${h.org.slug}/invitations`, {
        body: { email, role: 'member' },
      });
      return { status: r.status, text: JSON.stringify(r.body) };
    },
    'native user': async (email) => {
      const r = await h.call('POST', '/v1/users', { body: { email, password: 'a long passphrase' } });
      return { status: r.status, text: JSON.stringify(r.body) };
    },
    trieve: async (email) => {
      const r = await request(trieve, 'POST', '/api/invitation', {
        headers: { authorization: `Bearer ${h.adminKey}`, 'tr-organization': trieveOrg },
        body: { email, user_role: 0, app_url: 'http://rsvp.test/api', redirect_uri: 'http://rsvp.test/' },
      });
      return { status: r.status, text: JSON.stringify(r.body) };
    },
    cvat: async (email) => {
      const r = await request(cvat, 'POST', '/api/invitations', {
        headers: { authorization: `Token ${h.adminKey}`, 'x-organization': 'acme' },
        body: { role: 'worker', email },
      });
      return { status: r.status, text: JSON.stringify(r.body) };
    },
    confluent: async (email) => {
      const r = await request(confluent, 'POST', '/iam/v2/invitations', {
        headers: { authorization: confluentBasic },
        body: { email },
      });
      return { status: r.status, text: JSON.stringify(r.body) };
    },
    'tiledb v4': async (email) => {
      const r = await request(tiledb, 'POST', '/v4/invitations', {
        headers: { 'x-tiledb-rest-api-key': h.adminKey },
        body: [
          {
            invitee_email: email,
            workspace_invitation: { workspace_id: `ws_${h.org.id.slice(4)}`, prospective_role: 'member' },
          },
        ],
      });
      return { status: r.status, text: JSON.stringify(r.body) };
    },
  };

  for (const [surface, submit] of Object.entries(surfaces)) {
    it(`${surface}: refuses ill-formed and invisible characters with a 4xx that names the problem`, async () => {
      for (const [what, email] of HOSTILE) {
        const answer = await submit(email);
        expect(answer.status, `${what}: ${answer.text}`).toBeGreaterThanOrEqual(400);
        expect(answer.status, `${what}: ${answer.text}`).toBeLessThan(500);
      }
      const rows = await h.database.db.selectFrom('invitations').select(['email']).execute();
      const users = await h.database.db.selectFrom('users').select(['email']).execute();
      for (const { email } of [...rows, ...users]) expect(checkEmail(email), email).toBeNull();
    });
  }

  it('the native error names the problem and escapes the character; IDN addresses stay allowed', async () => {
    const surrogate = await surfaces['native invitation']!('\ud800x@example.com');
    expect(surrogate.status).toBe(422);
    expect(surrogate.text).toContain('invalid_email');
    expect(surrogate.text).toContain('surrogate');
    const bidi = await surfaces['native invitation']!('moc.elpmaxe\u202e@example.com');
    expect(bidi.text).toContain('U+202E');
    expect(bidi.text).not.toContain('\u202e');
    // IDN addresses stay allowed.
    for (const email of ['jürgen@müller.example', 'δοκιμή@παράδειγμα.example', '用户@例子.example']) {
      const created = await surfaces['native invitation']!(email);
      expect(created.status, created.text).toBe(201);
    }
    expect((await surfaces.cvat!('zoë@exämple.example')).status).toBe(201);
    expect(checkEmail('  ok@example.com  ')).toBeNull();
    expect(checkEmail('a b@example.com')).toBe('malformed');
  });
});
