import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR } from '../src/lib/clock.ts';
import { deliveryFor, ENGINE, type Harness, harness } from './helpers.ts';
import { startSmtpServer } from './smtp.ts';

let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
beforeAll(async () => {
  h = await harness();
  smtp = await startSmtpServer();
});
afterAll(async () => {
  await h.close();
  await smtp.close();
});

const backlog = async () => (await h.call('GET', '/readyz', { key: null })).body.outbox;
const gauge = async (name: string) => {
  const text = String((await h.call('GET', '/metrics')).body);
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1]);
};

describe('an SMTP outage of a working day', () => {
  it('fails no queued invitation, shows the error on it, counts it as retrying, and delivers after', async () => {
    const delivery = deliveryFor(h, { smtpUrl: smtp.url });
    smtp.setRefusing(true);
    const invited = await Promise.all(
      ['outage-1@example.com', 'outage-2@example.com', 'outage-3@example.com'].map((email) =>
        h.call('POST', '/v1/organizations/acme/invitations', { body: { email } }),
      ),
    );
    expect(invited.map((res) => res.status)).toEqual([201, 201, 201]);
    const ids: string[] = invited.map((res) => res.body.id);
    const start = h.clock.now().getTime();
    let attempts = 0;
    // Eight hours of refusals, attempt after attempt as the schedule brings them due.
    while (h.clock.now().getTime() - start < 8 * HOUR) {
      attempts += await delivery.worker.drain();
      const next = await h.database.db
        .selectFrom('outbox')
        .select((eb) => eb.fn.min('next_attempt_at').as('next'))
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (!next?.next) break;
      const wait = new Date(next.next as string | Date).getTime() - h.clock.now().getTime();
      h.clock.advance(Math.max(wait, 1000));
    }
    const during = await Promise.all(
      ids.map(async (id) => (await h.call('GET', `/v1/organizations/acme/invitations/${id}`)).body),
    );
    console.log(
      `[${ENGINE}] after ${Math.round((h.clock.now().getTime() - start) / HOUR)} h of refusals: ` +
        `${attempts} attempts, states ${during.map((inv) => inv.delivery_state).join(',')}`,
    );
    for (const invitation of during) {
      expect(invitation.delivery_state).toBe('queued');
      expect(invitation.delivery_error).toMatch(/421|not available/);
    }
    // Right after a failed attempt nothing is due, yet three messages wait: they are counted.
    await delivery.worker.drain();
    const waiting = await backlog();
    expect(waiting.retrying + waiting.due).toBe(3);
    expect(waiting.dead).toBe(0);
    expect((await gauge('rsvp_outbox_retrying_messages')) + (await gauge('rsvp_outbox_due_messages'))).toBe(
      3,
    );

    smtp.setRefusing(false);
    h.clock.advance(2 * HOUR);
    await delivery.worker.drain();
    expect(smtp.received.filter((mail) => mail.to.startsWith('outage-'))).toHaveLength(3);
    for (const id of ids) {
      const after = (await h.call('GET', `/v1/organizations/acme/invitations/${id}`)).body;
      expect([after.delivery_state, after.delivery_error]).toEqual(['sent', null]);
    }
    expect(await backlog()).toEqual({ due: 0, retrying: 0, dead: 0 });
    await delivery.worker.stop();
  });
});
