import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR } from '../src/lib/clock.ts';
import { type Harness, harness } from './helpers.ts';

// Issue 21, the invitation core: bulk revoke and resend (by ids or filter, per-row results),
// `locale` on resend, and backward and offset pages on the native list.

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

const base = '/v1/organizations/acme/invitations';
const invite = async (email: string, extra: Record<string, unknown> = {}) => {
  const res = await h.call('POST', base, { body: { email, send_email: false, ...extra } });
  if (res.status !== 201) throw new Error(JSON.stringify(res.body));
  return res.body.id as string;
};

describe('bulk revoke', () => {
  it('revokes by ids with one result per row, in order, and records each revocation', async () => {
    const [a, b] = [await invite('br1@example.com'), await invite('br2@example.com')];
    await h.call('POST', `${base}/${b}/revoke`);
    const res = await h.call('POST', `${base}/bulk-revoke`, {
      body: { ids: [a, b, 'inv_00000000000000000000', a] },
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((row: { id: string; status: number }) => [row.id, row.status])).toEqual([
      [a, 200],
      [b, 410],
      ['inv_00000000000000000000', 404],
    ]);
    expect(res.body.results[0].invitation.status).toBe('revoked');
    expect(res.body.results[1].error.code).toBe('invitation_revoked');
    expect([res.body.succeeded, res.body.failed]).toEqual([1, 2]);
    const events = await h.call('GET', `/v1/events?invitation_id=${a}`);
    expect(events.body.events.map((e: { type: string }) => e.type)).toContain('invitation.revoked');
  });

  it('revokes every pending match of a filter, and nothing else', async () => {
    const campaign = ['f1@campaign.example', 'f2@campaign.example', 'f3@campaign.example'];
    const ids = [];
    for (const email of campaign) ids.push(await invite(email));
    const other = await invite('keep@example.com');
    const res = await h.call('POST', `${base}/bulk-revoke`, { body: { filter: { q: '@campaign.example' } } });
    expect(res.body.results.map((row: { id: string }) => row.id)).toEqual(ids);
    expect(res.body.succeeded).toBe(3);
    expect((await h.call('GET', `${base}/${other}`)).body.status).toBe('pending');
    const none = await h.call('POST', `${base}/bulk-revoke`, {
      body: { filter: { q: '@campaign.example' } },
    });
    expect(none.body).toEqual({ results: [], succeeded: 0, failed: 0 });
  });

  it('refuses both or neither of ids and filter, over 1,000 ids, non-admins, and keys without the scope', async () => {
    const both = await h.call('POST', `${base}/bulk-revoke`, { body: { ids: ['x'], filter: {} } });
    expect([both.status, both.body.code]).toEqual([422, 'invalid_selection']);
    expect((await h.call('POST', `${base}/bulk-revoke`, { body: {} })).status).toBe(422);
    const many = Array.from({ length: 1001 }, (_, i) => `inv_${i}`);
    expect((await h.call('POST', `${base}/bulk-revoke`, { body: { ids: many } })).status).toBe(400);
    const unknownFilter = await h.call('POST', `${base}/bulk-revoke`, {
      body: { filter: { colour: 'red' } },
    });
    expect(unknownFilter.status).toBe(400);
    const member = await h.user('bulk-member@example.com', 'member');
    const byMember = await h.call('POST', `${base}/bulk-revoke`, { key: member.key, body: { ids: ['x'] } });
    expect([byMember.status, byMember.body.code]).toEqual([403, 'admin_role_required']);
  });

  it('answers a replay with the same Idempotency-Key from the first answer, revoking nothing twice', async () => {
    const id = await invite('idem@example.com');
    const headers = { 'idempotency-key': 'bulk-revoke-1' };
    const first = await h.call('POST', `${base}/bulk-revoke`, { body: { ids: [id] }, headers });
    const again = await h.call('POST', `${base}/bulk-revoke`, { body: { ids: [id] }, headers });
    expect(first.body.results[0].status).toBe(200);
    expect(again.body).toEqual(first.body);
    const events = await h.call('GET', `/v1/events?invitation_id=${id}`);
    expect(events.body.events.filter((e: { type: string }) => e.type === 'invitation.revoked')).toHaveLength(
      1,
    );
  });
});

describe('bulk resend', () => {
  it('resends pending and expired matches with new links, in the language asked, within the send cap', async () => {
    await h.call('POST', '/v1/organizations', {
      body: { slug: 'capped', name: 'Capped', settings: { max_sends_per_invitation: 1 } },
    });
    const capped = '/v1/organizations/capped/invitations';
    const sent = (await h.call('POST', capped, { body: { email: 'sent@example.com' } })).body.id;
    const quiet = (await h.call('POST', capped, { body: { email: 'quiet@example.com', send_email: false } }))
      .body.id;
    const res = await h.call('POST', `${capped}/bulk-resend`, { body: { ids: [sent, quiet], locale: 'fr' } });
    expect(res.body.results.map((row: { status: number }) => row.status)).toEqual([409, 200]);
    expect(res.body.results[0].error.code).toBe('send_limit_reached');
    expect(res.body.results[1].invitation).toMatchObject({
      locale: 'fr',
      send_count: 1,
      delivery_state: 'queued',
    });
    const mail = await h.database.db
      .selectFrom('outbox')
      .select('payload')
      .where('invitation_id', '=', quiet)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(mail.payload).locale).toBe('fr');
  });

  it('takes the filter and the single resend options, and gives each link once without email', async () => {
    const expiring = await invite('exp@bulk-resend.example', { ttl_seconds: HOUR / 1000 });
    const pending = await invite('pend@bulk-resend.example');
    h.clock.advance(2 * HOUR);
    const res = await h.call('POST', `${base}/bulk-resend`, {
      body: { filter: { q: 'bulk-resend.example' }, send_email: false },
    });
    expect(res.body.results.map((row: { id: string }) => row.id)).toEqual([expiring, pending]);
    for (const row of res.body.results) {
      expect(row.invitation).toMatchObject({ status: 'pending', delivery_state: 'not_sent' });
      expect(row.invitation.accept_url).toMatch(/token=rsvp_it_/);
    }
  });

  it('takes locale on a single resend too', async () => {
    const id = await invite('one-locale@example.com');
    const res = await h.call('POST', `${base}/${id}/resend`, {
      body: { locale: 'pt-BR', send_email: false },
    });
    expect(res.body.locale).toBe('pt-BR');
    const bad = await h.call('POST', `${base}/${id}/resend`, { body: { locale: 'not a tag' } });
    expect(bad.status).toBe(400);
  });
});

describe('list pages backwards and by offset', () => {
  it('walks forwards with page_token and back with before, seeing the same pages', async () => {
    await h.call('POST', '/v1/organizations', { body: { slug: 'paged', name: 'Paged' } });
    const paged = '/v1/organizations/paged/invitations';
    for (let i = 0; i < 7; i++) {
      await h.call('POST', paged, { body: { email: `p${i}@example.com`, send_email: false } });
      h.clock.advance(1000);
    }
    const forward = [];
    let page = await h.call('GET', `${paged}?page_size=3&order_by=email`);
    expect(page.body.prev_page_token).toBeNull();
    forward.push(page.body);
    while (page.body.next_page_token) {
      page = await h.call(
        'GET',
        `${paged}?page_size=3&order_by=email&page_token=${page.body.next_page_token}`,
      );
      forward.push(page.body);
    }
    const emails = (body: { invitations: { email: string }[] }) => body.invitations.map((inv) => inv.email);
    expect(forward.map(emails)).toEqual([
      ['p0@example.com', 'p1@example.com', 'p2@example.com'],
      ['p3@example.com', 'p4@example.com', 'p5@example.com'],
      ['p6@example.com'],
    ]);
    const back = await h.call(
      'GET',
      `${paged}?page_size=3&order_by=email&before=${forward[2].prev_page_token}`,
    );
    expect(emails(back.body)).toEqual(emails(forward[1]));
    const first = await h.call(
      'GET',
      `${paged}?page_size=3&order_by=email&before=${back.body.prev_page_token}`,
    );
    expect(emails(first.body)).toEqual(emails(forward[0]));
    expect(first.body.prev_page_token).toBeNull();
    expect(first.body.next_page_token).not.toBeNull();
    const newestFirst = await h.call('GET', `${paged}?page_size=2`);
    const next = await h.call('GET', `${paged}?page_size=2&page_token=${newestFirst.body.next_page_token}`);
    const prev = await h.call('GET', `${paged}?page_size=2&before=${next.body.prev_page_token}`);
    expect(emails(prev.body)).toEqual(['p6@example.com', 'p5@example.com']);
  });

  it('jumps by offset within 10,000, and refuses mixed positions or a token in the wrong place', async () => {
    const paged = '/v1/organizations/paged/invitations';
    const third = await h.call('GET', `${paged}?page_size=2&order_by=email&offset=4`);
    expect(third.body.invitations.map((inv: { email: string }) => inv.email)).toEqual([
      'p4@example.com',
      'p5@example.com',
    ]);
    expect(third.body.prev_page_token).not.toBeNull();
    const rest = await h.call(
      'GET',
      `${paged}?page_size=2&order_by=email&page_token=${third.body.next_page_token}`,
    );
    expect(rest.body.invitations.map((inv: { email: string }) => inv.email)).toEqual(['p6@example.com']);
    expect((await h.call('GET', `${paged}?offset=10001`)).status).toBe(400);
    const mixed = await h.call('GET', `${paged}?offset=2&page_token=${third.body.next_page_token}`);
    expect([mixed.status, mixed.body.code]).toEqual([400, 'conflicting_page_position']);
    const swapped = await h.call(
      'GET',
      `${paged}?order_by=email&page_size=2&before=${third.body.next_page_token}`,
    );
    expect([swapped.status, swapped.body.code]).toEqual([400, 'invalid_page_token']);
    expect(swapped.body.errors[0].pointer).toBe('/query/before');
  });

  it("pages the invitee's own list the same ways", async () => {
    const orgs = ['mine-a', 'mine-b', 'mine-c', 'mine-d', 'mine-e'];
    for (const slug of orgs) {
      await h.call('POST', '/v1/organizations', { body: { slug, name: slug } });
      await h.call('POST', `/v1/organizations/${slug}/invitations`, {
        body: { email: 'paged-invitee@example.com', send_email: false },
      });
      h.clock.advance(1000);
    }
    const invitee = await h.user('paged-invitee@example.com');
    const mine = (query: string) => h.call('GET', `/v1/me/invitations?${query}`, { key: invitee.key });
    const slugs = (body: { invitations: { organization: { slug: string } }[] }) =>
      body.invitations.map((inv) => inv.organization.slug);
    const first = await mine('page_size=2');
    expect(slugs(first.body)).toEqual(['mine-e', 'mine-d']);
    expect(first.body.prev_page_token).toBeNull();
    const second = await mine(`page_size=2&page_token=${first.body.next_page_token}`);
    expect(slugs(second.body)).toEqual(['mine-c', 'mine-b']);
    const back = await mine(`page_size=2&before=${second.body.prev_page_token}`);
    expect(slugs(back.body)).toEqual(['mine-e', 'mine-d']);
    expect(back.body.prev_page_token).toBeNull();
    expect(slugs((await mine('page_size=2&offset=4')).body)).toEqual(['mine-a']);
    // A token issued for other filters opens nothing.
    const other = await mine(`status=accepted&page_size=2&page_token=${first.body.next_page_token}`);
    expect([other.status, other.body.code]).toEqual([400, 'page_token_mismatch']);
    const reordered = await mine('status=pending,revoked&page_size=2');
    const sameQuery = await mine(
      `status=revoked,pending&page_size=2&page_token=${reordered.body.next_page_token}`,
    );
    expect(slugs(sameQuery.body)).toEqual(['mine-c', 'mine-b']);
    const mixed = await mine(`offset=2&before=${second.body.prev_page_token}`);
    expect([mixed.status, mixed.body.code]).toEqual([400, 'conflicting_page_position']);
  });
});
