import { createHmac } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/delivery/delivery.ts';
import { DAY, HOUR, systemClock } from '../src/lib/clock.ts';
import { DEFAULT_ABUSE_LIMITS, RedisRateLimiter } from '../src/lib/rate-limiter.ts';
import { deliveryFor, type Harness, harness } from './helpers.ts';
import { linkIn, type ReceivedMail, startSmtpServer } from './smtp.ts';

interface Hook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
}

/** A webhook receiver on loopback that answers with the statuses it is told, then 204. */
async function startReceiver() {
  const hooks: Hook[] = [];
  const statuses: number[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => {
      hooks.push({
        id: String(request.headers['webhook-id']),
        timestamp: String(request.headers['webhook-timestamp']),
        signature: String(request.headers['webhook-signature']),
        body,
      });
      response.writeHead(statuses.shift() ?? 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/hooks`, hooks, statuses, close: () => server.close() };
}

/** What a receiver computes on its own, from the spec: HMAC-SHA256 over `id.timestamp.body`. */
function expectedSignature(secret: string, hook: Hook): string {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  return `v1,${createHmac('sha256', key).update(`${hook.id}.${hook.timestamp}.${hook.body}`).digest('base64')}`;
}

describe('delivery', () => {
  let h: Harness;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let delivery: Delivery;
  let webhookSecret: string;
  let endpointId: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    receiver = await startReceiver();
    h = await harness({
      deps: {
        allowPrivateWebhooks: true,
        allowedAppOrigins: ['https://app.acme.test'],
        abuseLimits: { ...DEFAULT_ABUSE_LIMITS, perInviter: { limit: 60, windowMs: DAY } },
      },
    });
    delivery = deliveryFor(h, {
      smtpUrl: smtp.url,
      mailFrom: 'Acme via rsvp <no-reply@rsvp.test>',
      allowPrivateWebhooks: true,
    });
    const created = await h.call('POST', '/v1/organizations/acme/webhooks', {
      body: {
        url: receiver.url,
        event_types: [
          'invitation.created',
          'invitation.sent',
          'invitation.delivery_failed',
          'invitation.accepted',
          'invitation.expired',
          'membership.created',
        ],
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    webhookSecret = created.body.secret;
    endpointId = created.body.id;
  });

  afterAll(async () => {
    await delivery.stop();
    await smtp.close();
    receiver.close();
    await h.close();
  });

  const mailTo = (address: string) => smtp.received.filter((mail) => mail.to === address);

  it('emails the invitation over SMTP with a stable Message-ID, escaped text and no foreign link', async () => {
    const created = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: {
        email: 'dana@example.com',
        role: 'member',
        message: 'Welcome <script>alert(1)</script> see https://evil.example/phish or evil.example',
      },
    });
    expect(created.status).toBe(201);
    expect(created.body.delivery_state).toBe('queued');
    await delivery.worker.drain();

    const [mail] = mailTo('dana@example.com') as [ReceivedMail];
    expect(mail.subject).toBe('Olive Owner invited you to join Acme');
    expect(mail.headers.get('x-rsvp-invitation-id')).toBe(created.body.id);
    expect(mail.messageId).toMatch(/^<[0-9a-f]{32}@rsvp\.test>$/);
    expect(mail.html).not.toContain('<script>');
    expect(mail.html).toContain('&lt;script&gt;');
    expect(mail.text).not.toContain('https://evil.example');
    expect(mail.text).toContain('[link removed]');
    // The bare domain is broken up so mail clients do not turn it into a link.
    expect(mail.text).not.toMatch(/evil\.example/);
    const hrefs = [...mail.html.matchAll(/href="([^"]+)"/g)].map((match) => match[1]);
    expect(hrefs).toEqual([linkIn(mail)]);

    // The link works: it previews the invitation.
    const token = new URL(linkIn(mail)).searchParams.get('token');
    const preview = await h.call('POST', '/v1/invitations/preview', { key: null, body: { token } });
    expect(preview.status).toBe(200);
    expect(preview.body.organization_name).toBe('Acme');

    const after = await h.call('GET', `/v1/organizations/acme/invitations/${created.body.id}`);
    expect(after.body.delivery_state).toBe('sent');
    const events = await h.call('GET', `/v1/events?invitation_id=${created.body.id}`);
    expect(events.body.events.map((event: { type: string }) => event.type)).toEqual([
      'invitation.created',
      'invitation.sent',
    ]);
    expect(events.body.events[1].data.message_id).toBe(mail.messageId);
  });

  it('writes French when the invitation asks for it', async () => {
    await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'eloise@example.fr', role: 'member', locale: 'fr-CA' },
    });
    await delivery.worker.drain();
    const [mail] = mailTo('eloise@example.fr') as [ReceivedMail];
    expect(mail.subject).toBe('Olive Owner vous invite à rejoindre Acme');
    expect(mail.text).toContain('Cette invitation expire le');
    // The page the link opens speaks the same language.
    const page = await h.app.inject({
      method: 'GET',
      url: new URL(linkIn(mail)).pathname + new URL(linkIn(mail)).search,
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html lang="fr">');
    expect(page.body).toContain('Vous êtes invité');
    expect(page.body).toContain('Olive Owner vous invite à rejoindre <strong>Acme</strong>');
  });

  it('marks a recipient the server refuses as failed, with the reason, and a resend retries', async () => {
    const created = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'bounce@example.com', role: 'member' },
    });
    await delivery.worker.drain();
    const failed = await h.call('GET', `/v1/organizations/acme/invitations/${created.body.id}`);
    expect(failed.body.delivery_state).toBe('failed');
    expect(failed.body.delivery_error).toContain('550');
    const listed = await h.call('GET', '/v1/organizations/acme/invitations?delivery_state=failed');
    expect(listed.body.invitations.map((inv: { id: string }) => inv.id)).toEqual([created.body.id]);

    const resent = await h.call('POST', `/v1/organizations/acme/invitations/${created.body.id}/resend`, {
      body: {},
    });
    expect(resent.status).toBe(200);
    expect(resent.body.delivery_state).toBe('queued');
    expect(resent.body.delivery_error).toBeNull();
    await delivery.worker.drain();
    const again = await h.call('GET', `/v1/organizations/acme/invitations/${created.body.id}`);
    expect(again.body.delivery_state).toBe('failed');
    expect(again.body.send_count).toBe(2);
  });

  it('signs webhooks per Standard Webhooks, retries a failing receiver with the same id, and logs attempts', async () => {
    await delivery.worker.drain();
    receiver.hooks.length = 0;
    receiver.statuses.push(500);
    const created = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'fern@example.com', role: 'member' },
    });
    await delivery.worker.drain();
    // invitation.created got the 500; invitation.sent went through.
    const first = receiver.hooks.filter((hook) => JSON.parse(hook.body).type === 'invitation.created');
    expect(first).toHaveLength(1);
    // Still being retried (the next attempt is later): "retry now" brings it forward, same id.
    const waiting = await h.call(
      'GET',
      `/v1/organizations/acme/webhooks/${endpointId}/deliveries?status=pending`,
    );
    const backingOff = waiting.body.deliveries.find((d: { id: string }) => d.id === first[0]!.id);
    expect(Date.parse(backingOff.next_attempt_time)).toBeGreaterThan(h.clock.now().getTime());
    const now = await h.call(
      'POST',
      `/v1/organizations/acme/webhooks/${endpointId}/deliveries/${backingOff.id}/retry`,
    );
    expect(now.status).toBe(202);
    await delivery.worker.drain();
    expect(receiver.hooks.filter((hook) => JSON.parse(hook.body).type === 'invitation.created')).toHaveLength(
      2,
    );
    h.clock.advance(10_000);
    await delivery.worker.drain();
    const created2 = receiver.hooks.filter((hook) => JSON.parse(hook.body).type === 'invitation.created');
    expect(created2).toHaveLength(2);
    expect(created2[1]!.id).toBe(created2[0]!.id);
    for (const hook of receiver.hooks) {
      expect(hook.signature).toBe(expectedSignature(webhookSecret, hook));
      const body = JSON.parse(hook.body);
      expect(body.data.invitation.id).toBe(created.body.id);
      expect(body.data.invitation.email).toBe('fern@example.com');
    }

    const log = await h.call('GET', `/v1/organizations/acme/webhooks/${endpointId}/deliveries?page_size=10`);
    expect(log.status).toBe(200);
    const delivered = log.body.deliveries.find((d: { id: string }) => d.id === created2[0]!.id);
    expect(delivered.status).toBe('done');
    expect(delivered.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([500, 204]);

    const retry = await h.call(
      'POST',
      `/v1/organizations/acme/webhooks/${endpointId}/deliveries/${delivered.id}/retry`,
    );
    expect(retry.status).toBe(202);
    await delivery.worker.drain();
    expect(receiver.hooks.at(-1)!.id).toBe(delivered.id);
  });

  it('sends membership.created and invitation.accepted when the invitee accepts', async () => {
    receiver.hooks.length = 0;
    const gil = await h.user('gil@example.com');
    await h.call('POST', '/v1/organizations/acme/invitations', { body: { email: gil.email, role: 'admin' } });
    await delivery.worker.drain();
    const token = new URL(linkIn(mailTo(gil.email)[0]!)).searchParams.get('token');
    const accepted = await h.call('POST', '/v1/invitations/accept', { key: gil.key, body: { token } });
    expect(accepted.status).toBe(200);
    await delivery.worker.drain();
    const types = receiver.hooks.map((hook) => JSON.parse(hook.body).type);
    expect(types).toEqual(expect.arrayContaining(['invitation.accepted', 'membership.created']));
    const membership = receiver.hooks
      .map((hook) => JSON.parse(hook.body))
      .find((b) => b.type === 'membership.created');
    expect(membership.data.membership).toMatchObject({ user_id: gil.id, role: 'admin' });
  });

  it('expires lapsed invitations in the sweeper, with the event and its webhook', async () => {
    receiver.hooks.length = 0;
    const created = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'hana@example.com', role: 'member', ttl_seconds: 3600 },
    });
    h.clock.advance(2 * HOUR);
    const swept = await delivery.sweeper.runOnce();
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    const row = await h.database.db
      .selectFrom('invitations')
      .select('status')
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('expired');
    // The queued email was for a link that no longer works: it is dropped, not sent.
    await delivery.worker.drain();
    expect(mailTo('hana@example.com')).toHaveLength(0);
    const expiredHooks = receiver.hooks.filter((hook) => JSON.parse(hook.body).type === 'invitation.expired');
    expect(expiredHooks.map((hook) => JSON.parse(hook.body).data.invitation.id)).toContain(created.body.id);
    expect((await delivery.sweeper.runOnce()).expired).toBe(0);
  });

  it('sends one reminder before expiry when the organization asks for it', async () => {
    const set = await h.call('PATCH', '/v1/organizations/acme', {
      body: { settings: { reminder_before_expiry_seconds: DAY / 1000 } },
    });
    expect(set.status).toBe(200);
    await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'ivan@example.com', role: 'member', ttl_seconds: (3 * DAY) / 1000 },
    });
    await delivery.worker.drain();
    h.clock.advance(2 * DAY + HOUR);
    expect((await delivery.sweeper.runOnce()).reminded).toBe(1);
    await delivery.worker.drain();
    expect((await delivery.sweeper.runOnce()).reminded).toBe(0);
    const mails = mailTo('ivan@example.com');
    expect(mails.map((mail) => mail.subject)).toEqual([
      'Olive Owner invited you to join Acme',
      'Reminder: Olive Owner invited you to join Acme',
    ]);
    expect(linkIn(mails[1]!)).toBe(linkIn(mails[0]!));
    expect(mails[1]!.messageId).not.toBe(mails[0]!.messageId);
  });

  it('caps emails per recipient and resends per invitation with 429, Retry-After and RateLimit headers', async () => {
    const rows = [];
    for (let i = 0; i < 11; i++) {
      const resource = await h.call('POST', '/v1/organizations/acme/resources', {
        body: { type: 'array', name: `capped-${i}` },
      });
      rows.push({ email: 'popular@example.com', resource_id: resource.body.id, actions: ['read'] });
    }
    const batch = await h.call('POST', '/v1/organizations/acme/invitations/batch', {
      body: { invitations: rows },
    });
    const statuses = batch.body.results.map((row: { status: number }) => row.status);
    expect(statuses.filter((status: number) => status === 201)).toHaveLength(10);
    const refused = batch.body.results.find((row: { status: number }) => row.status === 429);
    expect(refused.error.code).toBe('recipient_limit_reached');

    const created = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'resent@example.com', role: 'member' },
    });
    for (let i = 0; i < 4; i++) {
      h.clock.advance(1000);
      const ok = await h.call('POST', `/v1/organizations/acme/invitations/${created.body.id}/resend`, {
        body: {},
      });
      expect(ok.status).toBe(200);
    }
    const another = await h.call('POST', `/v1/organizations/acme/invitations/${created.body.id}/resend`, {
      body: {},
    });
    expect(another.status).toBe(200);
    const over = await h.call('POST', `/v1/organizations/acme/invitations/${created.body.id}/resend`, {
      body: {},
    });
    expect(over.status).toBe(429);
    expect(over.body.code).toBe('resend_limit_reached');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(over.headers['ratelimit-limit']).toBe('5');
    expect(over.headers['ratelimit-remaining']).toBe('0');
    // Another inviter is not throttled by this lockout.
    const other = await h.user('other-admin@acme.test', 'admin');
    const fresh = await h.call('POST', '/v1/organizations/acme/invitations', {
      key: other.key,
      body: { email: 'someone-new@example.com', role: 'member' },
    });
    expect(fresh.status).toBe(201);
  });

  it("refuses a batch over the inviter's daily cap as a whole", async () => {
    const rows = Array.from({ length: 61 }, (_, i) => ({ email: `bulk${i}@example.com`, role: 'member' }));
    const batch = await h.call('POST', '/v1/organizations/acme/invitations/batch', {
      body: { invitations: rows },
    });
    expect(batch.status).toBe(429);
    expect(batch.body.code).toBe('inviter_limit_reached');
    const count = await h.call('GET', '/v1/organizations/acme/invitations?q=bulk&include_total_size=true');
    expect(count.body.total_size).toBe(0);
  });

  it('records who did what from where in the audit trail', async () => {
    const member = await h.user('june@acme.test', 'member');
    const changed = await h.call('PATCH', `/v1/organizations/acme/members/${member.id}`, {
      body: { role: 'admin' },
      headers: { 'user-agent': 'audit-test/1.0' },
    });
    expect(changed.status).toBe(200);
    const trail = await h.call(
      'GET',
      `/v1/events?organization_id=acme&type=membership.role_changed&subject_id=${h.org.id}/${member.id}`,
    );
    expect(trail.body.events).toHaveLength(1);
    expect(trail.body.events[0]).toMatchObject({
      subject_type: 'membership',
      actor_ip: '127.0.0.1',
      actor_user_agent: 'audit-test/1.0',
      data: { user_id: member.id, from_role: 'member', to_role: 'admin' },
    });
  });

  it('prunes settled messages and their attempts, and old idempotency keys, after their retention', async () => {
    const keyed = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'kept-a-while@example.com', role: 'member' },
      headers: { 'idempotency-key': 'prune-me' },
    });
    expect(keyed.status).toBe(201);
    await delivery.worker.drain();
    const count = async (table: 'outbox' | 'webhook_attempts' | 'idempotency_keys') =>
      Number(
        (
          await h.database.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count('outbox')).toBeGreaterThan(0);
    expect(await count('webhook_attempts')).toBeGreaterThan(0);
    expect(await count('idempotency_keys')).toBeGreaterThan(0);
    h.clock.advance(31 * DAY);
    const swept = await delivery.sweeper.runOnce();
    expect(swept.pruned).toBeGreaterThan(0);
    // What the sweep itself just queued (expiry webhooks) is young and stays.
    const old = await h.database.db
      .selectFrom('outbox')
      .select('id')
      .where('updated_at', '<', new Date(h.clock.now().getTime() - 30 * DAY))
      .execute();
    expect(old).toEqual([]);
    expect(await count('idempotency_keys')).toBe(0);
    expect(await count('webhook_attempts')).toBe(0);
  });

  it('refuses webhook URLs with credentials, and private ones unless allowed', async () => {
    const withCredentials = await h.call('POST', '/v1/organizations/acme/webhooks', {
      body: { url: 'https://user:pw@hooks.example.com/x', event_types: ['invitation.created'] },
    });
    expect(withCredentials.status).toBe(422);
    const strict = await harness();
    try {
      for (const url of [
        'http://127.0.0.1:9/x',
        'https://10.0.0.8/x',
        'https://localhost/x',
        'http://hooks.example.com/x',
      ]) {
        const refused = await strict.call('POST', '/v1/organizations/acme/webhooks', {
          body: { url, event_types: ['invitation.created'] },
        });
        expect(refused.status, url).toBe(422);
        expect(refused.body.code).toBe('invalid_webhook_url');
      }
    } finally {
      await strict.close();
    }
  });
});

describe('rate limits by client address', () => {
  const limits = { ...DEFAULT_ABUSE_LIMITS, perClientAddress: { limit: 3, windowMs: 60_000 } };

  it('ignore X-Forwarded-For from a client that is not a trusted proxy', async () => {
    const h = await harness({ deps: { abuseLimits: limits } });
    try {
      const statuses = [];
      for (let i = 0; i < 5; i++) {
        const response = await h.call('POST', '/v1/invitations/preview', {
          key: null,
          body: { token: 'rsvp_it_nope' },
          headers: { 'x-forwarded-for': `203.0.113.${i}` },
        });
        statuses.push(response.status);
      }
      expect(statuses.slice(3)).toEqual([429, 429]);
    } finally {
      await h.close();
    }
  });

  it('count the addresses of one IPv6 /64 as one client, on the API and on the pages', async () => {
    const h = await harness({ deps: { abuseLimits: limits } });
    try {
      const ask = (ip: string, url: string) =>
        h.app.inject({
          method: url === '/v1/invitations/preview' ? 'POST' : 'GET',
          url,
          remoteAddress: ip,
          ...(url === '/v1/invitations/preview' ? { payload: { token: 'rsvp_it_nope' } } : {}),
        });
      for (const url of ['/v1/invitations/preview', '/sign-up']) {
        const statuses = [];
        for (let i = 1; i <= 4; i++)
          statuses.push((await ask(`2001:db8:${url.length}::${i}`, url)).statusCode);
        expect(statuses.slice(3), url).toEqual([429]);
        expect((await ask(`2001:db8:${url.length}:1::1`, url)).statusCode, url).not.toBe(429);
      }
    } finally {
      await h.close();
    }
  });

  it('count each forwarded client separately behind a trusted proxy', async () => {
    const h = await harness({ deps: { abuseLimits: limits }, app: { trustProxy: '127.0.0.1' } });
    try {
      for (let i = 0; i < 5; i++) {
        const response = await h.call('POST', '/v1/invitations/preview', {
          key: null,
          body: { token: 'rsvp_it_nope' },
          headers: { 'x-forwarded-for': `203.0.113.${i}` },
        });
        expect(response.status).not.toBe(429);
      }
    } finally {
      await h.close();
    }
  });
});

describe('Redis rate limiter', () => {
  it('shares counters between processes', async () => {
    const prefix = `rsvp:test:${Date.now()}:`;
    const a = new RedisRateLimiter('redis://127.0.0.1:6379', { clock: systemClock, prefix });
    const b = new RedisRateLimiter('redis://127.0.0.1:6379', { clock: systemClock, prefix });
    try {
      const rule = { limit: 3, windowMs: 60_000 };
      const decisions = [];
      for (const limiter of [a, b, a, b]) decisions.push(await limiter.consume('recipient:x', rule));
      expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false]);
      expect(decisions[3]!.remaining).toBe(0);
      expect(decisions[3]!.resetSeconds).toBeGreaterThan(0);
      expect((await a.consume('recipient:y', rule)).allowed).toBe(true);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
