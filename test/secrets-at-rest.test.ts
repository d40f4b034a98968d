import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINE, type Harness, harness } from './helpers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness({ deps: { allowPrivateWebhooks: true } });
});
afterAll(async () => {
  await h.close();
});

let keyNumber = 0;
/** Every call with an Idempotency-Key, as a careful client sends them: its answer is stored. */
const call = (method: string, url: string, body: unknown) =>
  h.call(method, url, { body, headers: { 'idempotency-key': `secret-scan-${++keyNumber}` } });

/** Every string value of every column of every table. */
async function everyStoredText(): Promise<{ where: string; text: string }[]> {
  const tables =
    ENGINE === 'postgres'
      ? (
          await sql<{
            name: string;
          }>`select tablename as name from pg_tables where schemaname = 'public'`.execute(h.database.db)
        ).rows
      : (
          await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(
            h.database.db,
          )
        ).rows;
  const found: { where: string; text: string }[] = [];
  for (const { name } of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(h.database.db))
      .rows;
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (typeof value === 'string') found.push({ where: `${name}.${column}`, text: value });
        else if (value instanceof Uint8Array)
          found.push({ where: `${name}.${column}`, text: Buffer.from(value).toString('latin1') });
      }
    }
  }
  return found;
}

describe('secrets at rest', () => {
  it('stores no secret a response returned in plain text, in any column of any table', async () => {
    const secrets: string[] = [];
    const apiKey = await call('POST', '/v1/api-keys', { name: 'scan' });
    expect(apiKey.status).toBe(201);
    secrets.push(apiKey.body.secret);

    const webhook = await call('POST', '/v1/organizations/acme/webhooks', {
      url: 'http://127.0.0.1:9/hook',
      event_types: ['invitation.created'],
    });
    expect(webhook.status).toBe(201);
    secrets.push(webhook.body.secret);
    const rotated = await call('PATCH', `/v1/organizations/acme/webhooks/${webhook.body.id}`, {
      rotate_secret: true,
    });
    expect(rotated.status).toBe(200);
    secrets.push(rotated.body.secret);

    const single = await call('POST', '/v1/organizations/acme/invitations', {
      email: 'scan-single@example.com',
      send_email: false,
    });
    expect(single.status).toBe(201);
    secrets.push(single.body.accept_url);
    const batch = await call('POST', '/v1/organizations/acme/invitations/batch', {
      invitations: [{ email: 'scan-batch-1@example.com' }, { email: 'scan-batch-2@example.com' }],
      send_email: false,
    });
    expect(batch.status).toBe(200);
    for (const row of batch.body.results) secrets.push(row.invitation.accept_url);
    const resent = await call('POST', `/v1/organizations/acme/invitations/${single.body.id}/resend`, {
      send_email: false,
    });
    expect(resent.status).toBe(200);
    secrets.push(resent.body.accept_url);

    const joinLink = await call('POST', '/v1/organizations/acme/join-links', { max_uses: 10 });
    expect(joinLink.status).toBe(201);
    secrets.push(joinLink.body.token);
    const rotatedLink = await call(
      'POST',
      `/v1/organizations/acme/join-links/${joinLink.body.id}/rotate`,
      {},
    );
    expect(rotatedLink.status).toBe(200);
    secrets.push(rotatedLink.body.token);

    // The tokens themselves, wherever a link might carry them.
    const needles = secrets.flatMap((secret) => {
      expect(typeof secret).toBe('string');
      const token = /rsvp_(?:it|sk)_\w+/.exec(secret)?.[0];
      return token ? [secret, token] : [secret, secret.replace(/^whsec_/, '')];
    });
    const stored = await everyStoredText();
    const leaks = stored.flatMap(({ where, text }) =>
      needles.filter((needle) => text.includes(needle)).map(() => where),
    );
    console.log(
      `[${ENGINE}] ${secrets.length} secrets, ${stored.length} stored values scanned, plain-text copies: ${leaks.length} ${[...new Set(leaks)].join(', ')}`,
    );
    expect(leaks).toEqual([]);

    // The replay still hands the client its secret: the stored answer is sealed, not dropped.
    const replay = await h.call('POST', '/v1/api-keys', {
      body: { name: 'scan' },
      headers: { 'idempotency-key': 'secret-scan-1' },
    });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.secret).toBe(apiKey.body.secret);
  });
});
