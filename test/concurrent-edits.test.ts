import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ROLES } from '../src/access/roles.ts';
import { DEFAULT_ABUSE_LIMITS } from '../src/lib/rate-limiter.ts';
import { deliveryFor, ENGINE, type Harness, harness } from './helpers.ts';

// Concurrent requests in one process: on main each of these lost an update or let a request
// fail because of another's timing in most rounds (figures in docs/reliability.md).
let h: Harness;

/** Runs `fn` after `turns` turns of the event loop: rounds vary it to visit other interleavings. */
async function afterTurns<T>(turns: number, fn: () => Promise<T>): Promise<T> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
  return fn();
}

/** Runs `fn` after `ms` milliseconds. */
async function afterMs<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  return fn();
}

beforeAll(async () => {
  h = await harness({
    deps: {
      abuseLimits: {
        ...DEFAULT_ABUSE_LIMITS,
        perRecipient: { limit: 100_000, windowMs: 60_000 },
        perRecipientShared: { limit: 100_000, windowMs: 60_000 },
        perInviter: { limit: 100_000, windowMs: 60_000 },
        perInvitationResend: { limit: 100_000, windowMs: 60_000 },
        perOrganizationTestEmail: { limit: 5, windowMs: 3_600_000 },
        perClientAddress: { limit: 100_000, windowMs: 60_000 },
        signIn: { limit: 10, windowMs: 60_000 },
        signInPerAddress: { limit: 100, windowMs: 60_000 },
        perPrincipal: { limit: 100_000, windowMs: 60_000 },
        perJoiner: { limit: 100_000, windowMs: 60_000 },
        perDomainCheck: { limit: 100_000, windowMs: 60_000 },
        perOrganizationTemplateRender: { limit: 100_000, windowMs: 60_000 },
      },
    },
  });
});
afterAll(async () => {
  await h.close();
}, 120_000);

describe('concurrent edits', () => {
  it('keeps every one of three concurrent PATCHes of different settings', async () => {
    let lost = 0;
    const rounds = 10;
    for (let round = 0; round < rounds; round++) {
      const base = 3600 * (round + 2);
      const changes = [
        { default_ttl_seconds: base + 1 },
        { reminder_before_expiry_seconds: base + 2 },
        { max_sends_per_invitation: round + 3 },
      ];
      const answers = await Promise.all(
        changes.map((settings) => h.call('PATCH', '/v1/organizations/acme', { body: { settings } })),
      );
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200]);
      const after = (await h.call('GET', '/v1/organizations/acme')).body.settings;
      const kept = changes.filter((change) =>
        Object.entries(change).every(([key, value]) => after[key] === value),
      );
      if (kept.length !== changes.length) lost++;
    }
    console.log(`[${ENGINE}] organization PATCH: rounds with a lost update ${lost}/${rounds}`);
    expect(lost).toBe(0);
  }, 180_000);

  it('answers 412 to a PATCH whose If-Match is stale, and applies one whose ETag is current', async () => {
    const read = await h.call('GET', '/v1/organizations/acme');
    expect(read.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    // If-Match compares strongly (RFC 9110): the weak form of the current tag does not match.
    const weak = await h.call('PATCH', '/v1/organizations/acme', {
      body: { name: 'Acme Weak' },
      headers: { 'if-match': `W/${read.headers.etag}` },
    });
    expect([weak.status, weak.body.code]).toEqual([412, 'precondition_failed']);
    const first = await h.call('PATCH', '/v1/organizations/acme', {
      body: { name: 'Acme One' },
      headers: { 'if-match': String(read.headers.etag) },
    });
    expect(first.status).toBe(200);
    expect(first.headers.etag).not.toBe(read.headers.etag);
    const stale = await h.call('PATCH', '/v1/organizations/acme', {
      body: { settings: { default_ttl_seconds: 7200 } },
      headers: { 'if-match': String(read.headers.etag) },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('precondition_failed');
    expect(stale.body.etag).toBe(first.headers.etag);
    const after = await h.call('GET', '/v1/organizations/acme');
    expect(after.body.name).toBe('Acme One');
    expect(after.body.settings.default_ttl_seconds).not.toBe(7200);
  });

  it('never leaves an invitation (or a member) holding a role removed from the catalog meanwhile', async () => {
    const withGhost = [...DEFAULT_ROLES, { name: 'ghost', rank: 5, admin: false, description: 'Soon gone' }];
    const member = await h.user('ghost-member@example.com', 'member');
    let ghosts = 0;
    const rounds = 40;
    for (let round = 0; round < rounds; round++) {
      const added = await h.call('PATCH', '/v1/organizations/acme', {
        body: { settings: { roles: withGhost } },
      });
      expect(added.status).toBe(200);
      const [created, removed, promoted] = await Promise.all([
        afterTurns(round % 4, () =>
          h.call('POST', '/v1/organizations/acme/invitations', {
            body: { email: `ghost-${round}@example.com`, role: 'ghost', send_email: false },
          }),
        ),
        afterMs(round % 5, () =>
          h.call('PATCH', '/v1/organizations/acme', { body: { settings: { roles: DEFAULT_ROLES } } }),
        ),
        afterTurns((round + 2) % 4, () =>
          h.call('PATCH', `/v1/organizations/acme/members/${member.id}`, { body: { role: 'ghost' } }),
        ),
      ]);
      expect([201, 422]).toContain(created.status);
      expect([200, 409]).toContain(removed.status);
      expect([200, 422]).toContain(promoted.status);
      const catalog = (await h.call('GET', '/v1/organizations/acme')).body.settings.roles.map(
        (role: { name: string }) => role.name,
      );
      const pending = await h.database.db
        .selectFrom('invitations')
        .select('role')
        .where('organization_id', '=', h.org.id)
        .where('status', '=', 'pending')
        .execute();
      const members = await h.database.db
        .selectFrom('memberships')
        .select('role')
        .where('organization_id', '=', h.org.id)
        .execute();
      if ([...pending, ...members].some((row) => row.role !== null && !catalog.includes(row.role))) ghosts++;
      // Next round starts clean: the invitation revoked and the member back to `member`.
      if (created.status === 201) {
        await h.call('POST', `/v1/organizations/acme/invitations/${created.body.id}/revoke`, { body: {} });
      }
      await h.database.db
        .updateTable('memberships')
        .set({ role: 'member' })
        .where('user_id', '=', member.id)
        .execute();
      if (removed.status === 409) {
        expect(
          (await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { roles: DEFAULT_ROLES } } }))
            .status,
        ).toBe(200);
      }
    }
    console.log(`[${ENGINE}] role removed while offered: rounds leaving a ghost role ${ghosts}/${rounds}`);
    expect(ghosts).toBe(0);
  }, 180_000);

  it('never fails a resend without If-Match because the delivery worker settled the email meanwhile', async () => {
    const delivery = deliveryFor(h);
    let conflicts = 0;
    const rounds = 60;
    for (let round = 0; round < rounds; round++) {
      const created = await h.call('POST', '/v1/organizations/acme/invitations', {
        body: { email: `race-${round}@example.com` },
      });
      expect(created.status).toBe(201);
      const [resent] = await Promise.all([
        afterMs(round % 8, () =>
          h.call('POST', `/v1/organizations/acme/invitations/${created.body.id}/resend`, { body: {} }),
        ),
        delivery.worker.drain(),
      ]);
      if (resent.status === 409) conflicts++;
      else expect(resent.status).toBe(200);
    }
    await delivery.worker.drain();
    console.log(`[${ENGINE}] resend racing delivery: 409 answers ${conflicts}/${rounds}`);
    expect(conflicts).toBe(0);
  }, 180_000);

  it('keeps the ETag a client read valid across delivery of the email (bookkeeping is not a version)', async () => {
    const delivery = deliveryFor(h);
    const created = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'etag-after-send@example.com' },
    });
    await delivery.worker.drain();
    const sent = await h.call('GET', `/v1/organizations/acme/invitations/${created.body.id}`);
    expect(sent.body.delivery_state).toBe('sent');
    expect(sent.headers.etag).toBe(created.headers.etag);
    const changed = await h.call('PATCH', `/v1/organizations/acme/invitations/${created.body.id}`, {
      body: { message: 'Still yours' },
      headers: { 'if-match': String(created.headers.etag) },
    });
    expect(changed.status).toBe(200);
  });
});
