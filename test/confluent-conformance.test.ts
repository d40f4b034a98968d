import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfluentApp } from '../src/dialects/confluent/confluent.app.ts';
import type { App } from '../src/http/app-types.ts';
import { type Harness, harness, request } from './helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What Confluent's IAM v2 spec promises that its Go SDK and Python client rely on. */
describe('Confluent IAM v2 conformance', () => {
  let h: Harness;
  let app: App;
  let basic: string;

  beforeAll(async () => {
    h = await harness();
    app = buildConfluentApp(h.services, {
      pageTokenKey: h.keys.pageTokenSigning,
      listenerUrl: 'http://confluent.rsvp.test',
    });
    await app.ready();
    const key = await h.call('POST', '/v1/api-keys', { body: { name: 'confluent' } });
    basic = `Basic ${Buffer.from(`${key.body.id}:${key.body.secret}`).toString('base64')}`;
  });
  afterAll(async () => {
    await app.close();
    await h.close();
  });

  const call = (method: string, url: string, options: { auth?: string; body?: unknown } = {}) =>
    request(app, method, url, { headers: { authorization: options.auth ?? basic }, body: options.body });

  it('points query errors at the parameter by name, with a UUID error id', async () => {
    for (const query of ['page_size=0', 'status=NOPE', 'page_size=abc']) {
      const refused = await call('GET', `/iam/v2/invitations?${query}`);
      expect(refused.status).toBe(400);
      expect(refused.body.errors[0].source).toEqual({ parameter: query.split('=')[0] });
      expect(refused.body.errors[0].id).toMatch(UUID);
    }
    const body = await call('POST', '/iam/v2/invitations', { body: { email: 42 } });
    expect(body.body.errors[0].source).toEqual({ pointer: '/email' });
    expect(body.body.errors[0].id).toMatch(UUID);
    const missing = await call('GET', '/iam/v2/invitations/i-00000000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0].id).toMatch(UUID);
  });

  it('serves the users that invitations link to, with the IAM v2 User fields', async () => {
    const created = await call('POST', '/iam/v2/invitations', { body: { email: 'linked@example.com' } });
    expect(created.status).toBe(201);
    for (const ref of [created.body.user, created.body.creator]) {
      const path = new URL(ref.related).pathname;
      const user = await call('GET', path);
      expect(user.status, path).toBe(200);
      expect(user.body).toEqual({
        api_version: 'iam/v2',
        kind: 'User',
        id: ref.id,
        metadata: {
          self: ref.related,
          resource_name: ref.resource_name,
          created_at: expect.any(String),
          updated_at: expect.any(String),
        },
        email: expect.any(String),
        full_name: expect.any(String),
        auth_type: 'AUTH_TYPE_LOCAL',
      });
    }
    const invitee = await call('GET', new URL(created.body.user.related).pathname);
    expect(invitee.body.email).toBe('linked@example.com');
    const creator = await call('GET', new URL(created.body.creator.related).pathname);
    expect(creator.body).toMatchObject({ email: 'owner@acme.test', full_name: 'Olive Owner' });
  });

  it("hides users outside the caller's organization, and answers 401 without credentials", async () => {
    const made = await h.call('POST', '/v1/users', { body: { email: 'stranger@example.com' } });
    const strangerId = `u-${made.body.id.slice(4)}`;
    const hidden = await call('GET', `/iam/v2/users/${strangerId}`);
    expect(hidden.status).toBe(404);
    expect(hidden.body.errors[0]).toMatchObject({ status: '404', code: 'not_found' });
    expect((await call('GET', '/iam/v2/users/u-00000000000000000000')).status).toBe(404);
    expect((await call('GET', '/iam/v2/users/nonsense')).status).toBe(404);
    const member = await h.user('member@acme.test', 'member');
    const memberAuth = `Bearer ${member.key}`;
    // A plain member acts in their only organization and sees its members, nobody else.
    expect((await call('GET', `/iam/v2/users/${strangerId}`, { auth: memberAuth })).status).toBe(404);
    expect((await call('GET', `/iam/v2/users/u-${member.id.slice(4)}`, { auth: memberAuth })).status).toBe(
      200,
    );
    expect((await call('GET', `/iam/v2/users/${strangerId}`, { auth: 'Basic eDp5' })).status).toBe(401);
  });

  it('lists organization invitations only, and hides resource invitations by id', async () => {
    const resource = await h.call('POST', '/v1/organizations/acme/resources', {
      body: { type: 'array', name: 'confluent-hidden' },
    });
    const made = await h.call('POST', '/v1/organizations/acme/invitations', {
      body: { email: 'shared@example.com', resource_id: resource.body.id, actions: ['read'] },
    });
    expect(made.status, JSON.stringify(made.body)).toBeLessThan(300);
    const listed = await call('GET', '/iam/v2/invitations?page_size=100');
    expect(listed.body.data.map((inv: { email: string }) => inv.email)).not.toContain('shared@example.com');
    expect(listed.body.metadata.total_size).toBe(listed.body.data.length);
    const byId = await call('GET', `/iam/v2/invitations/i-${made.body.id.slice(4)}`);
    expect(byId.status).toBe(404);
  });
});
