import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../src/api/metrics.ts';
import { createDelivery, type Delivery } from '../src/delivery/delivery.ts';
import { HOUR } from '../src/lib/clock.ts';
import { type Harness, harness, quietLogger } from './helpers.ts';
import { linkIn, startSmtpServer } from './smtp.ts';

/** Counters an operator reads, scraped from /metrics as Prometheus would. */
describe('operator counters on /metrics', () => {
  let h: Harness;
  let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
  let delivery: Delivery;
  let receiver: http.Server;
  let receiverUrl: string;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    receiver = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(204).end());
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hooks`;
    const metrics = new Metrics();
    h = await harness({ deps: { allowPrivateWebhooks: true }, app: { metrics } });
    delivery = createDelivery({
      database: h.database,
      clock: h.clock,
      keys: h.keys,
      logger: quietLogger,
      onSettled: (attempt) => metrics.settled(attempt),
      config: {
        smtp: { url: smtp.url, requireTls: false, rejectUnauthorized: true, timeoutMs: 5000 },
        mailFrom: 'rsvp <no-reply@rsvp.test>',
        publicUrl: 'http://rsvp.test',
        allowPrivateWebhooks: true,
        outboxPollMs: 50,
        outboxLeaseMs: 60_000,
        sweepIntervalMs: 60_000,
      },
    });
  });

  afterAll(async () => {
    await delivery.stop();
    await smtp.close();
    receiver.close();
    await h.close();
  });

  const scrape = async () => {
    const response = await h.call('GET', '/metrics');
    expect(response.status).toBe(200);
    const text = String(response.body);
    return (series: string) => {
      const escaped = series.replace(/[{}"]/g, '\\$&');
      return Number(new RegExp(`^${escaped} ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    };
  };
  const invite = (email: string, extra: object = {}) =>
    h.call('POST', '/v1/organizations/acme/invitations', { body: { email, ...extra } });

  it('counts invitations as they are created, answered, revoked and expired, and emails and webhooks as they settle', async () => {
    const hook = await h.call('POST', '/v1/organizations/acme/webhooks', {
      body: { url: receiverUrl, event_types: ['invitation.accepted'] },
    });
    expect(hook.status).toBe(201);
    const initially = await scrape();
    expect(initially('rsvp_invitations_total{event="created"}')).toBe(0);
    expect(initially('rsvp_emails_total{outcome="sent"}')).toBe(0);
    expect(initially('rsvp_webhook_deliveries_total{outcome="delivered"}')).toBe(0);

    const accepter = await h.user('accepter@example.com');
    const decliner = await h.user('decliner@example.com');
    expect((await invite(accepter.email)).status).toBe(201);
    const declinable = await invite(decliner.email);
    const revocable = await invite('revoked@example.com');
    await invite('lapsing@example.com', { ttl_seconds: 3600 });
    await invite('bounce-me@example.com');
    await delivery.worker.drain();

    const token = new URL(linkIn(smtp.received.find((mail) => mail.to === accepter.email)!)).searchParams.get(
      'token',
    );
    expect(
      (await h.call('POST', '/v1/invitations/accept', { key: accepter.key, body: { token } })).status,
    ).toBe(200);
    expect(
      (await h.call('POST', `/v1/invitations/${declinable.body.id}/decline`, { key: decliner.key })).status,
    ).toBe(200);
    expect(
      (await h.call('POST', `/v1/organizations/acme/invitations/${revocable.body.id}/revoke`)).status,
    ).toBe(200);
    // A refused revoke (already revoked) changes nothing and counts nothing.
    expect(
      (await h.call('POST', `/v1/organizations/acme/invitations/${revocable.body.id}/revoke`)).status,
    ).toBeGreaterThanOrEqual(400);
    h.clock.advance(2 * HOUR);
    expect((await delivery.sweeper.runOnce()).expired).toBe(1);
    await delivery.worker.drain();

    const scraped = await scrape();
    expect(scraped('rsvp_invitations_total{event="created"}')).toBe(5);
    expect(scraped('rsvp_invitations_total{event="accepted"}')).toBe(1);
    expect(scraped('rsvp_invitations_total{event="declined"}')).toBe(1);
    expect(scraped('rsvp_invitations_total{event="revoked"}')).toBe(1);
    expect(scraped('rsvp_invitations_total{event="expired"}')).toBe(1);
    expect(scraped('rsvp_emails_total{outcome="sent"}')).toBe(4);
    expect(scraped('rsvp_emails_total{outcome="bounced"}')).toBe(1);
    expect(scraped('rsvp_webhook_deliveries_total{outcome="delivered"}')).toBe(1);
    expect(scraped('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('does not count a create the database refused', async () => {
    const count = async () => (await scrape())('rsvp_invitations_total{event="created"}');
    const before = await count();
    expect(before).toBeGreaterThan(0);
    expect((await invite('not an address')).status).toBe(422);
    expect((await invite('accepter@example.com')).status).toBe(409);
    expect(await count()).toBe(before);
  });
});
