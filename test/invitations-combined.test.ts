import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryFor, type Harness, harness } from './helpers.ts';

// Issue 21, the invitation core: combined invitations (a role plus resource grants), public and
// private metadata copied onto the membership, and a validated redirect URL.

let h: Harness;
const APP = 'https://app.example';
beforeAll(async () => {
  h = await harness({ deps: { allowedAppOrigins: [APP] } });
});
afterAll(async () => {
  await h.close();
});

const invite = (body: Record<string, unknown>, key?: string) =>
  h.call('POST', '/v1/organizations/acme/invitations', { body, ...(key ? { key } : {}) });
const resource = async (name: string) =>
  (await h.call('POST', '/v1/organizations/acme/resources', { body: { type: 'dataset', name } })).body.id;
const tokenOf = (acceptUrl: string) => new URL(acceptUrl).searchParams.get('token')!;

/** Signs in on the invitee page as a browser would (cookies, CSRF) and accepts; the answer. */
async function acceptInBrowser(token: string, email: string) {
  const jar = new Map<string, string>();
  const keep = (headers: Record<string, unknown>) => {
    for (const cookie of ([] as string[]).concat((headers['set-cookie'] as string[]) ?? [])) {
      const [pair] = cookie.split(';');
      const [name, value] = pair!.split('=');
      jar.set(name!, value!);
    }
  };
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  const page = await h.app.inject({ method: 'GET', url: `/invite?token=${encodeURIComponent(token)}` });
  keep(page.headers);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const post = (url: string, fields: Record<string, string>) =>
    h.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookie() },
      payload: form(fields),
    });
  const signIn = await post('/invite/sign-in', { token, csrf, email, password: 'correct horse battery' });
  keep(signIn.headers);
  return post('/invite/accept', { token, csrf });
}

describe('redirect_url', () => {
  it('refuses at create an origin outside APP_URL_ALLOWED_ORIGINS, with a pointer', async () => {
    const res = await invite({ email: 'evil@example.com', redirect_url: 'https://evil.example/x' });
    expect([res.status, res.body.code]).toEqual([422, 'redirect_url_not_allowed']);
    expect(res.body.errors).toEqual([{ pointer: '/redirect_url', detail: 'origin not allowed' }]);
    const notHttp = await invite({ email: 'evil@example.com', redirect_url: 'javascript:alert(1)' });
    expect(notHttp.status).toBe(400);
    const batch = await h.call('POST', '/v1/organizations/acme/invitations/batch', {
      body: { invitations: [{ email: 'b1@example.com', redirect_url: 'https://evil.example/' }] },
    });
    expect(batch.body.results[0]).toMatchObject({ status: 422, error: { code: 'redirect_url_not_allowed' } });
  });

  it('is returned, can be changed or cleared, and lands the invitee there after accepting', async () => {
    const created = await invite({
      email: 'lander@example.com',
      redirect_url: `${APP}/welcome?from=rsvp`,
      send_email: false,
    });
    expect(created.status).toBe(201);
    expect(created.body.redirect_url).toBe(`${APP}/welcome?from=rsvp`);
    const path = `/v1/organizations/acme/invitations/${created.body.id}`;
    const bad = await h.call('PATCH', path, { body: { redirect_url: 'https://evil.example/' } });
    expect([bad.status, bad.body.code]).toEqual([422, 'redirect_url_not_allowed']);
    const changed = await h.call('PATCH', path, { body: { redirect_url: `${APP}/start` } });
    expect(changed.body.redirect_url).toBe(`${APP}/start`);
    const cleared = await h.call('PATCH', path, { body: { redirect_url: null } });
    expect(cleared.body.redirect_url).toBeNull();
    await h.call('PATCH', path, { body: { redirect_url: `${APP}/start` } });
    await h.user('lander@example.com');
    const accepted = await acceptInBrowser(tokenOf(created.body.accept_url), 'lander@example.com');
    expect([accepted.statusCode, accepted.headers.location]).toEqual([303, `${APP}/start`]);
  });
});

describe('public and private metadata', () => {
  const publicMetadata = { plan: 'pro', seats: { team: 'data' } };
  const privateMetadata = { crm_id: 42, notes: 'met at the conference' };

  it('refuses more than 8 KB of JSON, and a non-object', async () => {
    const big = await invite({ email: 'big@example.com', public_metadata: { blob: 'x'.repeat(8200) } });
    expect(big.status).toBe(400);
    expect(big.body.errors[0].pointer).toBe('/body/public_metadata');
    const list = await invite({ email: 'big@example.com', private_metadata: [1, 2] });
    expect(list.status).toBe(400);
    // Deep nesting is refused by depth, never by a blown stack (depth 5,000 answered 500).
    for (const depth of [11, 5000]) {
      const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const deep = await h.app.inject({
        method: 'POST',
        url: '/v1/organizations/acme/invitations',
        headers: { authorization: `Bearer ${h.adminKey}`, 'content-type': 'application/json' },
        payload: `{"email":"deep@example.com","send_email":false,"private_metadata":${nested}}`,
      });
      expect(deep.statusCode, `depth ${depth}`).toBe(400);
    }
  });

  it('shows private metadata to admins only: never in the preview, the invitee API, the page or the email', async () => {
    const created = await invite({
      email: 'meta@example.com',
      public_metadata: publicMetadata,
      private_metadata: privateMetadata,
      metadata: { legacy: 'kept' },
      send_email: false,
    });
    expect(created.body).toMatchObject({
      public_metadata: publicMetadata,
      private_metadata: privateMetadata,
      metadata: { legacy: 'kept' },
    });
    const token = tokenOf(created.body.accept_url);
    const preview = await h.call('POST', '/v1/invitations/preview', { key: null, body: { token } });
    expect(preview.body.public_metadata).toEqual(publicMetadata);
    const invitee = await h.user('meta@example.com');
    const mine = await h.call('GET', '/v1/me/invitations', { key: invitee.key });
    expect(mine.body.invitations[0].public_metadata).toEqual(publicMetadata);
    const page = await h.app.inject({ method: 'GET', url: `/invite?token=${encodeURIComponent(token)}` });
    for (const shown of [JSON.stringify(preview.body), JSON.stringify(mine.body), page.body]) {
      expect(shown).not.toContain('crm_id');
      expect(shown).not.toContain('met at the conference');
      expect(shown).not.toContain('legacy');
    }
    const resent = await h.call('POST', `/v1/organizations/acme/invitations/${created.body.id}/resend`, {
      body: {},
    });
    expect(resent.status).toBe(200);
    const delivery = deliveryFor(h);
    await delivery.worker.drain();
    await delivery.stop();
    const mail = await h.database.db
      .selectFrom('captured_emails')
      .select(['subject', 'text_body', 'html_body'])
      .where('to_address', '=', 'meta@example.com')
      .executeTakeFirstOrThrow();
    expect(mail.text_body).toContain('/invite?token=');
    for (const part of [mail.subject, mail.text_body, mail.html_body]) {
      expect(part).not.toContain('crm_id');
      expect(part).not.toContain('met at the conference');
    }
  });

  it('copies both onto the membership on accept; members see the public part, admins both', async () => {
    const created = await invite({
      email: 'joiner@example.com',
      public_metadata: publicMetadata,
      private_metadata: privateMetadata,
    });
    const joiner = await h.user('joiner@example.com');
    const accepted = await h.call('POST', `/v1/invitations/${created.body.id}/accept`, { key: joiner.key });
    expect(accepted.status).toBe(200);
    const asAdmin = await h.call('GET', '/v1/organizations/acme/members?page_size=100');
    const row = asAdmin.body.members.find((m: { user_id: string }) => m.user_id === joiner.id);
    expect(row).toMatchObject({ public_metadata: publicMetadata, private_metadata: privateMetadata });
    const asMember = await h.call('GET', '/v1/organizations/acme/members?page_size=100', { key: joiner.key });
    const self = asMember.body.members.find((m: { user_id: string }) => m.user_id === joiner.id);
    expect(self.public_metadata).toEqual(publicMetadata);
    expect(self.private_metadata).toBeUndefined();
    const events = await h.call('GET', `/v1/events?invitation_id=${created.body.id}`);
    const joined = events.body.events.find((e: { type: string }) => e.type === 'membership.created');
    expect(joined.data).toMatchObject({ public_metadata: publicMetadata, private_metadata: privateMetadata });
  });

  it('can be replaced while pending', async () => {
    const created = await invite({ email: 'patch-meta@example.com', public_metadata: { a: 1 } });
    const path = `/v1/organizations/acme/invitations/${created.body.id}`;
    const res = await h.call('PATCH', path, {
      body: { public_metadata: { b: 2 }, private_metadata: { c: 3 } },
    });
    expect(res.body).toMatchObject({ public_metadata: { b: 2 }, private_metadata: { c: 3 } });
  });
});

describe('combined invitations', () => {
  it('grants the role and every resource in one accept, shown to the invitee before they answer', async () => {
    const [r1, r2] = [await resource('alpha'), await resource('beta')];
    const created = await invite({
      email: 'combo@example.com',
      role: 'admin',
      grants: [
        { resource_id: r1, actions: ['write', 'read', 'read'] },
        { resource_id: r2, actions: ['read'] },
      ],
      send_email: false,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      target_type: 'organization',
      role: 'admin',
      grants: [
        { resource_id: r1, actions: ['read', 'write'] },
        { resource_id: r2, actions: ['read'] },
      ],
    });
    const token = tokenOf(created.body.accept_url);
    const preview = await h.call('POST', '/v1/invitations/preview', { key: null, body: { token } });
    expect(preview.body.grants).toEqual([
      { resource: { type: 'dataset', name: 'alpha' }, actions: ['read', 'write'] },
      { resource: { type: 'dataset', name: 'beta' }, actions: ['read'] },
    ]);
    const page = await h.app.inject({ method: 'GET', url: `/invite?token=${encodeURIComponent(token)}` });
    expect(page.body).toContain('<strong>alpha</strong> (dataset): read, write');
    const invitee = await h.user('combo@example.com');
    const accepted = await h.call('POST', `/v1/invitations/${created.body.id}/accept`, { key: invitee.key });
    expect(accepted.body.grants).toHaveLength(2);
    const member = await h.call('GET', '/v1/organizations/acme/members?role=admin&page_size=100');
    expect(member.body.members.map((m: { user_id: string }) => m.user_id)).toContain(invitee.id);
    for (const [id, actions] of [
      [r1, ['read', 'write']],
      [r2, ['read']],
    ] as const) {
      const grants = await h.call('GET', `/v1/organizations/acme/resources/${id}/grants`);
      expect(grants.body.grants.find((g: { user_id: string }) => g.user_id === invitee.id).actions).toEqual(
        actions,
      );
    }
    const events = await h.call('GET', `/v1/events?invitation_id=${created.body.id}`);
    const acceptedEvent = events.body.events.find((e: { type: string }) => e.type === 'invitation.accepted');
    expect(acceptedEvent.data.granted_resource_ids).toEqual([r1, r2]);
  });

  it('holds each of its targets: no second pending invitation to the organization or a granted resource', async () => {
    const r = await resource('gamma');
    const combined = await invite({
      email: 'hold@example.com',
      grants: [{ resource_id: r, actions: ['read'] }],
    });
    expect(combined.status).toBe(201);
    const onResource = await invite({ email: 'hold@example.com', resource_id: r, actions: ['write'] });
    expect([onResource.status, onResource.body.code]).toEqual([409, 'invitation_already_pending']);
    expect(onResource.body.existing_invitation_id).toBe(combined.body.id);
    const r2 = await resource('delta');
    const single = await invite({ email: 'hold2@example.com', resource_id: r2, actions: ['read'] });
    const overlapping = await invite({
      email: 'hold2@example.com',
      grants: [{ resource_id: r2, actions: ['read'] }],
    });
    expect([overlapping.status, overlapping.body.existing_invitation_id]).toEqual([409, single.body.id]);
    const batch = await h.call('POST', '/v1/organizations/acme/invitations/batch', {
      body: {
        invitations: [
          { email: 'hold3@example.com', grants: [{ resource_id: r2, actions: ['read'] }] },
          { email: 'hold3@example.com', resource_id: r2, actions: ['read'] },
        ],
      },
    });
    expect(batch.body.results.map((row: { status: number }) => row.status)).toEqual([201, 409]);
  });

  it('lets exactly one of concurrent combined and resource invitations hold the same resource', async () => {
    const r = await resource('raced');
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        invite(
          i % 2
            ? { email: 'race@example.com', resource_id: r, actions: ['read'], send_email: false }
            : {
                email: 'race@example.com',
                grants: [{ resource_id: r, actions: ['read'] }],
                send_email: false,
              },
        ),
      ),
    );
    expect(answers.filter((answer) => answer.status === 201)).toHaveLength(1);
    expect(new Set(answers.filter((a) => a.status !== 201).map((a) => a.body.code))).toEqual(
      new Set(['invitation_already_pending']),
    );
  });

  it('is found by the resource it grants, in the list and in a bulk revoke by filter', async () => {
    const shared = await resource('found-by-grant');
    const plain = await invite({
      email: 'plain-r@example.com',
      resource_id: shared,
      actions: ['read'],
      send_email: false,
    });
    const combined = await invite({
      email: 'combined-r@example.com',
      grants: [{ resource_id: shared, actions: ['read'] }],
      send_email: false,
    });
    const elsewhere = await invite({ email: 'org-only@example.com', send_email: false });
    const listed = await h.call('GET', `/v1/organizations/acme/invitations?resource_id=${shared}`);
    expect(listed.body.invitations.map((i: { id: string }) => i.id).sort()).toEqual(
      [plain.body.id, combined.body.id].sort(),
    );
    // A resource id with LIKE's wildcards matches only itself.
    const wild = await h.call('GET', '/v1/organizations/acme/invitations?resource_id=res_%25');
    expect(wild.body.invitations).toEqual([]);
    const revoked = await h.call('POST', '/v1/organizations/acme/invitations/bulk-revoke', {
      body: { filter: { resource_id: shared } },
    });
    expect(revoked.body.results.map((r: { id: string }) => r.id).sort()).toEqual(
      [plain.body.id, combined.body.id].sort(),
    );
    const still = await h.call('GET', `/v1/organizations/acme/invitations/${elsewhere.body.id}`);
    expect(still.body.status).toBe('pending');
  });

  it('refuses grants with resource_id, a resource twice, or a resource of another organization', async () => {
    const r = await resource('epsilon');
    const both = await invite({ email: 'x@example.com', resource_id: r, actions: ['read'], grants: [] });
    expect(both.status).toBe(400);
    const mixed = await invite({
      email: 'x@example.com',
      resource_id: r,
      actions: ['read'],
      grants: [{ resource_id: r, actions: ['read'] }],
    });
    expect([mixed.status, mixed.body.code]).toEqual([422, 'invalid_target']);
    const twice = await invite({
      email: 'x@example.com',
      grants: [
        { resource_id: r, actions: ['read'] },
        { resource_id: r, actions: ['write'] },
      ],
    });
    expect([twice.status, twice.body.code]).toEqual([422, 'invalid_target']);
    const ghost = await invite({
      email: 'x@example.com',
      grants: [{ resource_id: 'res_nope', actions: ['read'] }],
    });
    expect([ghost.status, ghost.body.code]).toEqual([404, 'resource_not_found']);
  });

  it('counts one seat and one pending invitation, and declines or revokes as a whole', async () => {
    await h.call('POST', '/v1/organizations', {
      body: { slug: 'tiny', name: 'Tiny', settings: { seat_limit: 2 } },
    });
    const tr = (
      await h.call('POST', '/v1/organizations/tiny/resources', { body: { type: 'dataset', name: 't' } })
    ).body.id;
    const grants = [{ resource_id: tr, actions: ['read'] }];
    const first = await h.call('POST', '/v1/organizations/tiny/invitations', {
      body: { email: 'seat1@example.com', grants },
    });
    expect(first.status).toBe(201);
    const second = await h.call('POST', '/v1/organizations/tiny/invitations', {
      body: { email: 'seat2@example.com', grants },
    });
    expect([second.status, second.body.code]).toEqual([402, 'seat_limit_reached']);
    const decliner = await h.user('seat1@example.com');
    const declined = await h.call('POST', `/v1/invitations/${first.body.id}/decline`, { key: decliner.key });
    expect(declined.body.status).toBe('declined');
    const grantsAfter = await h.call('GET', `/v1/organizations/tiny/resources/${tr}/grants`);
    expect(grantsAfter.body.grants).toEqual([]);
    const third = await h.call('POST', '/v1/organizations/tiny/invitations', {
      body: { email: 'seat3@example.com', grants },
    });
    const revoked = await h.call('POST', `/v1/organizations/tiny/invitations/${third.body.id}/revoke`);
    expect(revoked.body).toMatchObject({
      status: 'revoked',
      grants: [{ resource_id: tr, actions: ['read'] }],
    });
    const again = await h.call('POST', '/v1/organizations/tiny/invitations', {
      body: { email: 'seat3@example.com', resource_id: tr, actions: ['read'] },
    });
    expect(again.status).toBe(201);
  });

  it('expires as a whole, frees its resources, and is not resent over a newer invitation to one of them', async () => {
    const r = await resource('lapsing');
    const combined = await invite({
      email: 'lapse@example.com',
      grants: [{ resource_id: r, actions: ['read'] }],
      ttl_seconds: 3600,
      send_email: false,
    });
    h.clock.advance(2 * 3600 * 1000);
    const read = await h.call('GET', `/v1/organizations/acme/invitations/${combined.body.id}`);
    expect(read.body.status).toBe('expired');
    const newer = await invite({
      email: 'lapse@example.com',
      resource_id: r,
      actions: ['read'],
      send_email: false,
    });
    expect(newer.status).toBe(201);
    const resent = await h.call('POST', `/v1/organizations/acme/invitations/${combined.body.id}/resend`, {
      body: { send_email: false },
    });
    expect([resent.status, resent.body.code, resent.body.existing_invitation_id]).toEqual([
      409,
      'invitation_already_pending',
      newer.body.id,
    ]);
  });

  it('skips on accept a granted resource deleted meanwhile, and gives the rest', async () => {
    const [keep, gone] = [await resource('keep'), await resource('gone')];
    const created = await invite({
      email: 'skip@example.com',
      grants: [
        { resource_id: keep, actions: ['read'] },
        { resource_id: gone, actions: ['read'] },
      ],
    });
    expect((await h.call('DELETE', `/v1/organizations/acme/resources/${gone}`)).status).toBe(204);
    // The admin's view no longer lists the deleted resource, and says why it changed.
    const seen = await h.call('GET', `/v1/organizations/acme/invitations/${created.body.id}`);
    expect([seen.body.status, seen.body.grants]).toEqual([
      'pending',
      [{ resource_id: keep, actions: ['read'] }],
    ]);
    const audit = await h.call('GET', `/v1/events?invitation_id=${created.body.id}&type=invitation.updated`);
    expect(audit.body.events).toMatchObject([{ data: { reason: 'resource_deleted', resource_id: gone } }]);
    const invitee = await h.user('skip@example.com');
    const accepted = await h.call('POST', `/v1/invitations/${created.body.id}/accept`, { key: invitee.key });
    expect(accepted.status).toBe(200);
    expect(accepted.body.grants).toEqual([
      { resource: { id: keep, type: 'dataset', name: 'keep' }, actions: ['read'] },
    ]);
  });

  it('shows its grants in the webhook payload', async () => {
    const hook = await h.call('POST', '/v1/organizations/acme/webhooks', {
      body: { url: 'https://hooks.example.com/rsvp', event_types: ['invitation.created'] },
    });
    expect(hook.status).toBe(201);
    const r = await resource('hooked');
    const created = await invite({
      email: 'hook@example.com',
      grants: [{ resource_id: r, actions: ['read'] }],
    });
    const message = await h.database.db
      .selectFrom('outbox')
      .select('payload')
      .where('invitation_id', '=', created.body.id)
      .where('kind', '=', 'webhook')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(message.payload).data.invitation.grants).toEqual([
      { resource_id: r, actions: ['read'] },
    ]);
  });
});
