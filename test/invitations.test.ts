import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadInstanceKeys } from '../src/instance/instance-keys.ts';
import { DAY, HOUR } from '../src/lib/clock.ts';
import { decrypt } from '../src/lib/secrets.ts';
import { type Harness, harness } from './helpers.ts';

let h: Harness;
beforeAll(async () => {
  h = await harness();
});
afterAll(async () => {
  await h.close();
});

const invite = (body: Record<string, unknown>, key?: string, org = 'acme') =>
  h.call('POST', `/v1/organizations/${org}/invitations`, { body, ...(key ? { key } : {}) });

describe('creating an invitation', () => {
  it('answers 201 with Location and ETag, queues the email with the link sealed, and records an event', async () => {
    const res = await invite({ email: '  Grace@Example.COM ', role: 'member', message: 'Welcome aboard' });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/organizations/${h.org.id}/invitations/${res.body.id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toMatchObject({
      email: 'Grace@Example.COM',
      status: 'pending',
      role: 'member',
      delivery_state: 'queued',
      send_count: 1,
    });
    expect(res.body.id).toMatch(/^inv_[0-9a-v]{20}$/);
    expect(res.body.accept_url).toBeUndefined();
    expect(new Date(res.body.expire_time).getTime() - new Date(res.body.create_time).getTime()).toBe(7 * DAY);
    const outbox = await h.database.db
      .selectFrom('outbox')
      .selectAll()
      .where('invitation_id', '=', res.body.id)
      .execute();
    expect(outbox).toHaveLength(1);
    expect(outbox[0]!.payload).not.toMatch(/rsvp_it_/);
    expect(JSON.parse(outbox[0]!.payload).sealed_accept_url).toMatch(/^v1\./);
    const events = await h.call('GET', `/v1/events?invitation_id=${res.body.id}`);
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual(['invitation.created']);
  });

  it('refuses a second pending invitation for the same address, whatever its case, with Location of the first', async () => {
    const first = await invite({ email: 'dup@example.com' });
    const second = await invite({ email: ' DUP@example.com' });
    expect(second.status).toBe(409);
    expect(second.body.code).toBe('invitation_already_pending');
    expect(second.headers.location).toBe(`/v1/organizations/${h.org.id}/invitations/${first.body.id}`);
    expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('refuses yourself (422), current members (409) and addresses outside the allowed domains (422)', async () => {
    expect((await invite({ email: 'OWNER@acme.test' })).body.code).toBe('cannot_invite_self');
    const member = await h.user('member1@example.com', 'member');
    const res = await invite({ email: member.email });
    expect([res.status, res.body.code]).toEqual([409, 'already_member']);
    const strict = await h.call('POST', '/v1/organizations', {
      body: { slug: 'strict', name: 'Strict', settings: { allowed_email_domains: ['corp.example'] } },
    });
    expect([strict.status, strict.body.settings?.allowed_email_domains]).toEqual([201, ['corp.example']]);
    const blocked = await h.call('PATCH', '/v1/organizations/strict', {
      body: { settings: { blocked_email_domains: [' @Spam.Example'] } },
    });
    expect([blocked.status, blocked.body.settings?.blocked_email_domains]).toEqual([200, ['spam.example']]);
    const outside = await invite({ email: 'x@gmail.com' }, undefined, 'strict');
    expect([outside.status, outside.body.code]).toEqual([422, 'email_domain_not_allowed']);
    expect((await invite({ email: 'x@eu.corp.example' }, undefined, 'strict')).status).toBe(201);
  });

  it('validates addresses within RFC 5321 limits and reports bad input without a 500', async () => {
    expect((await invite({ email: `${'a'.repeat(65)}@example.com` })).body.code).toBe('invalid_email');
    expect((await invite({ email: 'no-at-sign' })).status).toBe(422);
    const unknown = await invite({ email: 'ok@example.com', colour: 'red' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ pointer: '/body/colour', detail: 'unknown field' }]);
    expect((await invite({ email: 'ttl@example.com', ttl_seconds: 60 })).status).toBe(400);
    const far = await invite({
      email: 'far@example.com',
      expire_time: new Date(h.clock.now().getTime() + 31 * DAY).toISOString(),
    });
    expect([far.status, far.body.code]).toEqual([422, 'invalid_expire_time']);
  });

  it('stores a language tag in its canonical case (EN is en), and refuses one that is not a tag', async () => {
    const upper = await invite({ email: 'upper@example.com', locale: 'EN' });
    expect([upper.status, upper.body.locale]).toEqual([201, 'en']);
    const region = await invite({ email: 'region@example.com', locale: 'pt-br' });
    expect(region.body.locale).toBe('pt-BR');
    expect((await invite({ email: 'odd@example.com', locale: 'not a tag' })).status).toBe(400);
    const org = await h.call('PATCH', '/v1/organizations/acme', { body: { settings: { locale: 'FR' } } });
    expect([org.status, org.body.settings?.locale]).toEqual([200, 'fr']);
  });

  it('lets only owners and admins invite, and nobody grant a role above their own', async () => {
    const member = await h.user('plain@example.com', 'member');
    const byMember = await invite({ email: 'someone@example.com' }, member.key);
    expect([byMember.status, byMember.body.code]).toEqual([403, 'admin_role_required']);
    const admin = await h.user('admin1@example.com', 'admin');
    const above = await invite({ email: 'boss@example.com', role: 'owner' }, admin.key);
    expect([above.status, above.body.code]).toEqual([403, 'role_above_own']);
    expect((await invite({ email: 'peer@example.com', role: 'admin' }, admin.key)).status).toBe(201);
  });

  it('answers 404 for organizations and invitations of other tenants', async () => {
    const stranger = await h.user('stranger@example.com');
    await h.call('POST', '/v1/organizations', { key: stranger.key, body: { slug: 'other', name: 'Other' } });
    const theirs = await invite({ email: 'theirs@example.com' }, stranger.key, 'other');
    expect(theirs.status).toBe(201);
    expect((await invite({ email: 'a@example.com' }, stranger.key)).status).toBe(404);
    expect((await h.call('GET', `/v1/organizations/acme/invitations/${theirs.body.id}`)).status).toBe(404);
    expect(
      (await h.call('GET', `/v1/organizations/${h.org.id}/invitations/inv_00000000000000000000`)).status,
    ).toBe(404);
  });

  it('counts members plus pending invitations against the seat limit (402), and the pending maximum', async () => {
    const org = await h.call('POST', '/v1/organizations', {
      body: { slug: 'small', name: 'Small', settings: { seat_limit: 3 } },
    });
    expect(org.status).toBe(201);
    expect((await invite({ email: 's1@example.com' }, undefined, 'small')).status).toBe(201);
    expect((await invite({ email: 's2@example.com' }, undefined, 'small')).status).toBe(201);
    const over = await invite({ email: 's3@example.com' }, undefined, 'small');
    expect([over.status, over.body.code]).toEqual([402, 'seat_limit_reached']);
    await h.call('PATCH', '/v1/organizations/small', {
      body: { settings: { seat_limit: null, max_pending_invitations: 2 } },
    });
    const pendingCap = await invite({ email: 's3@example.com' }, undefined, 'small');
    expect([pendingCap.status, pendingCap.body.code]).toEqual([402, 'pending_limit_reached']);
  });
});

describe('the invitee', () => {
  it('previews by token with nothing beyond org, inviter, role and expiry, then accepts and becomes a member', async () => {
    const created = await invite({ email: 'ada@example.com', role: 'admin', send_email: false });
    expect(created.body.accept_url).toMatch(/^http:\/\/rsvp\.test\/invite\?token=rsvp_it_/);
    expect(created.body.delivery_state).toBe('not_sent');
    const token = new URL(created.body.accept_url).searchParams.get('token')!;
    const got = await h.call('GET', `/v1/organizations/acme/invitations/${created.body.id}`);
    expect(JSON.stringify(got.body)).not.toContain(token);

    const preview = await h.call('POST', '/v1/invitations/preview', { key: null, body: { token } });
    expect(preview.status).toBe(200);
    expect(Object.keys(preview.body).sort()).toEqual([
      'actions',
      'expire_time',
      'inviter_name',
      'organization_name',
      'resource',
      'role',
    ]);
    expect(preview.body).toMatchObject({
      organization_name: 'Acme',
      inviter_name: 'Olive Owner',
      role: 'admin',
    });

    const ada = await h.user('ADA@example.com');
    const wrong = await h.user('eve@example.com');
    const mismatch = await h.call('POST', '/v1/invitations/accept', { key: wrong.key, body: { token } });
    expect([mismatch.status, mismatch.body.code]).toEqual([403, 'invitation_email_mismatch']);
    expect(mismatch.body.detail).toContain('a***@example.com');
    expect(
      (await h.call('POST', `/v1/invitations/${created.body.id}/accept`, { key: wrong.key })).status,
    ).toBe(404);

    const mine = await h.call('GET', '/v1/me/invitations?status=pending', { key: ada.key });
    expect(mine.body.invitations.map((i: { id: string }) => i.id)).toContain(created.body.id);

    const accepted = await h.call('POST', '/v1/invitations/accept', { key: ada.key, body: { token } });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      status: 'accepted',
      role: 'admin',
      organization: { slug: 'acme' },
    });
    const members = await h.call('GET', '/v1/organizations/acme/members?role=admin');
    expect(members.body.members.map((m: { user_id: string }) => m.user_id)).toContain(ada.id);
    const again = await h.call('POST', '/v1/invitations/accept', { key: ada.key, body: { token } });
    expect([again.status, again.body.code]).toEqual([409, 'invitation_not_pending']);
  });

  it('gives exactly one success and one membership for 50 concurrent accepts, and no 500', async () => {
    const created = await invite({ email: 'race@example.com', send_email: false });
    const racer = await h.user('race@example.com');
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        h.call('POST', `/v1/invitations/${created.body.id}/accept`, { key: racer.key }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const memberships = await h.database.db
      .selectFrom('memberships')
      .selectAll()
      .where('user_id', '=', racer.id)
      .execute();
    expect(memberships).toHaveLength(1);
  });

  it('gives exactly one pending invitation for 20 concurrent creates to the same address, and no 500', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => invite({ email: 'twins@example.com', send_email: false })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    expect(new Set(results.filter((r) => r.status === 409).map((r) => r.body.code))).toEqual(
      new Set(['invitation_already_pending']),
    );
    const pending = await h.call('GET', '/v1/organizations/acme/invitations?email=twins@example.com');
    expect(pending.body.invitations).toHaveLength(1);
  });

  it('gets 410 on an expired or revoked invitation, and an expired one frees the slot for a new invitation', async () => {
    const short = await invite({ email: 'late@example.com', ttl_seconds: HOUR / 1000, send_email: false });
    const late = await h.user('late@example.com');
    h.clock.advance(HOUR + 1000);
    expect((await h.call('GET', `/v1/organizations/acme/invitations/${short.body.id}`)).body.status).toBe(
      'expired',
    );
    const expired = await h.call('POST', `/v1/invitations/${short.body.id}/accept`, { key: late.key });
    expect([expired.status, expired.body.code]).toEqual([410, 'invitation_expired']);
    const fresh = await invite({ email: 'late@example.com', send_email: false });
    expect(fresh.status).toBe(201);
    const revoked = await h.call('POST', `/v1/organizations/acme/invitations/${fresh.body.id}/revoke`);
    expect(revoked.body.status).toBe('revoked');
    const token = new URL(fresh.body.accept_url).searchParams.get('token')!;
    const gone = await h.call('POST', '/v1/invitations/accept', { key: late.key, body: { token } });
    expect([gone.status, gone.body.code]).toEqual([410, 'invitation_revoked']);
    const history = await h.call('GET', `/v1/events?invitation_id=${short.body.id}`);
    expect(history.body.events.map((e: { type: string }) => e.type)).toEqual([
      'invitation.created',
      'invitation.expired',
    ]);
  });

  it('declines, and a resource invitation grants its actions on accept', async () => {
    const resource = await h.call('POST', '/v1/organizations/acme/resources', {
      body: { type: 'array', name: 'genomes' },
    });
    expect(resource.status).toBe(201);
    const shared = await invite({
      email: 'sci@example.com',
      resource_id: resource.body.id,
      actions: ['write', 'read', 'read'],
    });
    expect(shared.body).toMatchObject({ target_type: 'resource', role: null, actions: ['read', 'write'] });
    const sci = await h.user('sci@example.com');
    expect((await h.call('POST', `/v1/invitations/${shared.body.id}/accept`, { key: sci.key })).status).toBe(
      200,
    );
    const grants = await h.call('GET', `/v1/organizations/acme/resources/${resource.body.id}/grants`);
    expect(grants.body.grants).toEqual([
      expect.objectContaining({ user_id: sci.id, actions: ['read', 'write'] }),
    ]);

    const declinable = await invite({ email: 'no@example.com' });
    const no = await h.user('no@example.com');
    const declined = await h.call('POST', `/v1/invitations/${declinable.body.id}/decline`, { key: no.key });
    expect(declined.body.status).toBe('declined');
    expect(
      await h.database.db.selectFrom('memberships').selectAll().where('user_id', '=', no.id).execute(),
    ).toHaveLength(0);
  });
});

describe('managing invitations', () => {
  it('updates only with the current ETag and resends with a fresh token', async () => {
    const created = await invite({ email: 'edit@example.com', send_email: false });
    const stale = await h.call('PATCH', `/v1/organizations/acme/invitations/${created.body.id}`, {
      body: { message: 'x' },
      headers: { 'if-match': '"7"' },
    });
    expect([stale.status, stale.body.code]).toEqual([412, 'precondition_failed']);
    // An entity tag that can never be this invitation's fails the precondition too (RFC 9110);
    // a header that is not an entity tag at all is a bad request.
    for (const [ifMatch, expected] of [
      ['W/"1"', [412, 'precondition_failed']],
      ['"abc"', [412, 'precondition_failed']],
      ['W/"x", "y"', [412, 'precondition_failed']],
      ['"9", "1"', [200, undefined]],
      ['abc', [400, 'invalid_if_match']],
    ] as const) {
      const answer = await h.call('PATCH', `/v1/organizations/acme/invitations/${created.body.id}`, {
        body: { message: 'tagged' },
        headers: { 'if-match': ifMatch },
      });
      expect([ifMatch, answer.status, answer.body.code]).toEqual([ifMatch, ...expected]);
    }
    const current = await h.call('GET', `/v1/organizations/acme/invitations/${created.body.id}`);
    const ok = await h.call('PATCH', `/v1/organizations/acme/invitations/${created.body.id}`, {
      body: { role: 'admin', metadata: { team: 'blue' } },
      headers: { 'if-match': current.headers.etag as string },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ role: 'admin', metadata: { team: 'blue' } });
    expect(ok.headers.etag).toBe('"3"');

    const oldToken = new URL(created.body.accept_url).searchParams.get('token')!;
    const resent = await h.call('POST', `/v1/organizations/acme/invitations/${created.body.id}/resend`, {
      body: { send_email: false },
    });
    expect(resent.status).toBe(200);
    const newToken = new URL(resent.body.accept_url).searchParams.get('token')!;
    expect(newToken).not.toBe(oldToken);
    expect(
      (await h.call('POST', '/v1/invitations/preview', { key: null, body: { token: oldToken } })).status,
    ).toBe(404);
    expect(
      (await h.call('POST', '/v1/invitations/preview', { key: null, body: { token: newToken } })).status,
    ).toBe(200);
  });

  it('creates many in one call with a result per row', async () => {
    const res = await h.call('POST', '/v1/organizations/acme/invitations/batch', {
      body: {
        invitations: [
          { email: 'b1@example.com' },
          { email: 'not-an-email' },
          { email: 'B1@example.com' },
          { email: 'b2@example.com', role: 'nope' },
          { email: 'b3@example.com', role: 'admin' },
        ],
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { status: number }) => r.status)).toEqual([201, 422, 409, 422, 201]);
    expect(res.body.results[2].error.code).toBe('duplicate_in_request');
    expect([res.body.created, res.body.failed]).toEqual([2, 3]);
    const tooMany = await h.call('POST', '/v1/organizations/acme/invitations/batch', {
      body: { invitations: Array.from({ length: 1001 }, (_, i) => ({ email: `m${i}@example.com` })) },
    });
    expect(tooMany.status).toBe(400);
  });

  it('lists with filters, free text and cursor pages that visit every row once', async () => {
    await h.call('POST', '/v1/organizations', { body: { slug: 'paged', name: 'Paged' } });
    for (let i = 0; i < 7; i++) {
      h.clock.advance(1000);
      await invite({ email: `page${i}@paged.example` }, undefined, 'paged');
    }
    const seen: string[] = [];
    let token: string | null = null;
    do {
      const query = `status=pending&page_size=3${token ? `&page_token=${token}` : ''}`;
      const page = await h.call('GET', `/v1/organizations/paged/invitations?${query}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.invitations.map((i: { email: string }) => i.email));
      token = page.body.next_page_token;
    } while (token);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `page${6 - i}@paged.example`));
    const searched = await h.call(
      'GET',
      '/v1/organizations/paged/invitations?q=PAGE3&include_total_size=true',
    );
    expect(searched.body.invitations.map((i: { email: string }) => i.email)).toEqual(['page3@paged.example']);
    expect(searched.body.total_size).toBe(1);
    const first = await h.call('GET', '/v1/organizations/paged/invitations?page_size=2');
    const mismatched = await h.call(
      'GET',
      `/v1/organizations/paged/invitations?page_size=2&q=x&page_token=${first.body.next_page_token}`,
    );
    expect([mismatched.status, mismatched.body.code]).toEqual([400, 'page_token_mismatch']);
    expect((await h.call('GET', '/v1/organizations/paged/invitations?page_size=500')).status).toBe(400);
    expect((await h.call('GET', '/v1/organizations/paged/invitations?status=bogus')).status).toBe(400);
  });
});

describe('the outbox', () => {
  it('keeps a sealed link that opens, with the instance key, to a link that works', async () => {
    const created = await invite({ email: 'sealed@example.com' });
    const message = await h.database.db
      .selectFrom('outbox')
      .select('payload')
      .where('invitation_id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    const keys = await loadInstanceKeys(h.database, undefined);
    const link = decrypt(keys.encryption, JSON.parse(message.payload).sealed_accept_url);
    const token = new URL(link).searchParams.get('token')!;
    const preview = await h.call('POST', '/v1/invitations/preview', { key: null, body: { token } });
    expect(preview.status).toBe(200);
  });
});
