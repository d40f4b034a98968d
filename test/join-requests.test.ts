import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/delivery/delivery.ts';
import { deliveryFor, type Harness, harness } from './helpers.ts';
import { startSmtpServer } from './smtp.ts';

let h: Harness;
let smtp: Awaited<ReturnType<typeof startSmtpServer>>;
let delivery: Delivery;
let token: string;
let linkId: string;

beforeAll(async () => {
  h = await harness({ deps: { allowPrivateWebhooks: true } });
  smtp = await startSmtpServer();
  delivery = deliveryFor(h, { smtpUrl: smtp.url, allowPrivateWebhooks: true });
  const hook = await h.call('POST', '/v1/organizations/acme/webhooks', {
    body: {
      url: 'http://127.0.0.1:9/hook',
      event_types: [
        'join_request.created',
        'join_request.approved',
        'join_request.rejected',
        'membership.created',
      ],
    },
  });
  expect(hook.status).toBe(201);
  const link = await h.call('POST', '/v1/organizations/acme/join-links', {
    body: { role: 'member', requires_approval: true },
  });
  token = link.body.token;
  linkId = link.body.id;
});
afterAll(async () => {
  await delivery.stop();
  await smtp.close();
  await h.close();
});

let n = 0;
const ask = async () => {
  const person = await h.user(`requester-${++n}@example.com`);
  const answer = await h.call('POST', '/v1/join', { key: person.key, body: { token } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return { ...person, requestId: answer.body.join_request.id as string, answer };
};
const isMember = async (userId: string) =>
  (await h.database.db
    .selectFrom('memberships')
    .select('role')
    .where('organization_id', '=', h.org.id)
    .where('user_id', '=', userId)
    .executeTakeFirst()) !== undefined;
const webhookTopics = async () =>
  (await h.database.db.selectFrom('outbox').select('topic').where('kind', '=', 'webhook').execute()).map(
    (row) => row.topic,
  );

describe('the approval queue', () => {
  it('a link that needs approval files a request instead of joining; the requester and admins see it', async () => {
    const ada = await ask();
    expect(ada.answer.body).toMatchObject({
      status: 'pending',
      join_request: { status: 'pending', role: 'member' },
    });
    expect(await isMember(ada.id)).toBe(false);
    const again = await h.call('POST', '/v1/join', { key: ada.key, body: { token } });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'join_request_pending', join_request_id: ada.requestId });

    const queue = await h.call('GET', '/v1/organizations/acme/join-requests?status=pending');
    expect(queue.body.join_requests).toEqual([
      expect.objectContaining({ id: ada.requestId, email: ada.email, source: 'link', join_link_id: linkId }),
    ]);
    const mine = await h.call('GET', '/v1/me/join-requests', { key: ada.key });
    expect(mine.body.join_requests).toEqual([
      expect.objectContaining({ id: ada.requestId, status: 'pending' }),
    ]);
    expect(await webhookTopics()).toContain('join_request.created');
    const link = await h.call('GET', `/v1/organizations/acme/join-links/${linkId}`);
    expect(link.body.use_count).toBe(1);
  });

  it('admins approve several at once; each is decided on its own and the requesters are emailed', async () => {
    const [bea, cal] = [await ask(), await ask()];
    const approved = await h.call('POST', '/v1/organizations/acme/join-requests/approve', {
      body: { ids: [bea.requestId, cal.requestId, 'jr_unknown'] },
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ decided: 2, failed: 1 });
    expect(approved.body.results.map((r: { status: number }) => r.status)).toEqual([200, 200, 404]);
    expect(approved.body.results[2].error.code).toBe('join_request_not_found');
    expect(await isMember(bea.id)).toBe(true);
    expect(await isMember(cal.id)).toBe(true);

    const twice = await h.call('POST', '/v1/organizations/acme/join-requests/approve', {
      body: { ids: [bea.requestId] },
    });
    expect(twice.body.results[0]).toMatchObject({ status: 409, error: { code: 'join_request_decided' } });

    await delivery.worker.drain();
    const mail = smtp.received.find((m) => m.to.includes(bea.email));
    expect(mail?.subject).toBe('You joined Acme');
    expect(mail?.text).toContain('your role is member');
    const topics = await webhookTopics();
    expect(topics).toEqual(expect.arrayContaining(['join_request.approved', 'membership.created']));
  });

  it('a rejection says why, by email; the person may ask again later', async () => {
    const dan = await ask();
    const rejected = await h.call('POST', '/v1/organizations/acme/join-requests/reject', {
      body: { ids: [dan.requestId], reason: 'We only take staff here.' },
    });
    expect(rejected.body.results[0]).toMatchObject({ status: 200, join_request: { status: 'rejected' } });
    expect(await isMember(dan.id)).toBe(false);
    await delivery.worker.drain();
    const mail = smtp.received.find((m) => m.to.includes(dan.email));
    expect(mail?.subject).toBe('Your request to join Acme was declined');
    expect(mail?.text).toContain('We only take staff here.');
    expect(await webhookTopics()).toContain('join_request.rejected');
    const events = await h.call('GET', `/v1/events?subject_id=${dan.requestId}`);
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual([
      'join_request.created',
      'join_request.rejected',
    ]);
    expect((await h.call('POST', '/v1/join', { key: dan.key, body: { token } })).body.status).toBe('pending');
  });

  it('approval respects the seat limit and the approver’s rank', async () => {
    const eve = await ask();
    const members = await h.call('GET', '/v1/organizations/acme/members?page_size=100');
    await h.call('PATCH', '/v1/organizations/acme', {
      body: { settings: { seat_limit: members.body.members.length } },
    });
    const full = await h.call('POST', '/v1/organizations/acme/join-requests/approve', {
      body: { ids: [eve.requestId] },
    });
    expect(full.body.results[0]).toMatchObject({ status: 402, error: { code: 'seat_limit_reached' } });
    await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { seat_limit: null } } });

    const ownerLink = await h.call('POST', '/v1/organizations/acme/join-links', {
      body: { role: 'owner', requires_approval: true },
    });
    const fay = await h.user(`requester-${++n}@example.com`);
    const filed = await h.call('POST', '/v1/join', { key: fay.key, body: { token: ownerLink.body.token } });
    const admin = await h.user(`queue-admin-${++n}@example.com`, 'admin');
    const above = await h.call('POST', '/v1/organizations/acme/join-requests/approve', {
      key: admin.key,
      body: { ids: [filed.body.join_request.id, eve.requestId] },
    });
    expect(above.body.results.map((r: { status: number }) => r.status)).toEqual([403, 200]);
  });

  it("another organization's owner can neither see nor decide this organization's requests", async () => {
    const gus = await ask();
    const rival = await h.user(`rival-owner-${++n}@example.com`);
    expect(
      (await h.call('POST', '/v1/organizations', { key: rival.key, body: { slug: 'rival', name: 'Rival' } }))
        .status,
    ).toBe(201);
    const theirs = await h.call('POST', '/v1/organizations/rival/join-requests/approve', {
      key: rival.key,
      body: { ids: [gus.requestId] },
    });
    expect(theirs.body.results[0]).toMatchObject({ status: 404, error: { code: 'join_request_not_found' } });
    expect((await h.call('GET', '/v1/organizations/acme/join-requests', { key: rival.key })).status).toBe(
      404,
    );
    expect(
      (await h.call('GET', `/v1/organizations/acme/join-links/${linkId}`, { key: rival.key })).status,
    ).toBe(404);
    expect(await isMember(gus.id)).toBe(false);
  });

  it('only admins see and decide the queue', async () => {
    const member = await h.user(`member-${++n}@example.com`, 'member');
    expect((await h.call('GET', '/v1/organizations/acme/join-requests', { key: member.key })).status).toBe(
      403,
    );
    const decide = await h.call('POST', '/v1/organizations/acme/join-requests/approve', {
      key: member.key,
      body: { ids: ['jr_x'] },
    });
    expect(decide.status).toBe(403);
    expect(
      (await h.call('POST', '/v1/organizations/acme/join-requests/approve', { body: { ids: [] } })).status,
    ).toBe(400);
    expect((await h.call('GET', '/v1/organizations/acme/join-requests?status=nope')).status).toBe(400);
  });
});
