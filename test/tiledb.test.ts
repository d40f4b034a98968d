import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Delivery } from '../src/delivery/delivery.ts';
import { buildTiledbApp } from '../src/dialects/tiledb/tiledb.app.ts';
import type { App } from '../src/http/app-types.ts';
import { deliveryFor, type Harness, harness, request } from './helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('TileDB dialect', () => {
  let h: Harness;
  let tiledb: App;
  let delivery: Delivery;
  let workspace: string;

  beforeAll(async () => {
    h = await harness();
    tiledb = buildTiledbApp(h.services);
    await tiledb.ready();
    delivery = deliveryFor(h);
    workspace = `ws_${h.org.id.slice(4)}`;
  });

  afterAll(async () => {
    await delivery.stop();
    await tiledb.close();
    await h.close();
  });

  /** A request to the TileDB listener; `key` goes in X-TILEDB-REST-API-KEY unless null. */
  async function call(
    method: string,
    url: string,
    options: { key?: string | null; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const key = options.key === undefined ? h.adminKey : options.key;
    return request(tiledb, method, url, {
      headers: { ...(key ? { 'x-tiledb-rest-api-key': key } : {}), ...options.headers },
      body: options.body,
    });
  }

  /** The secret the latest email to `email` carries (what the invitee's link holds). */
  async function linkSecret(email: string): Promise<string> {
    await delivery.worker.drain();
    const mail = await h.database.db
      .selectFrom('captured_emails')
      .select('text_body')
      .where('to_address', '=', email)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    return /\/invite\?token=(\S+)/.exec(mail.text_body)![1]!;
  }

  const expectTiledbError = (body: Record<string, unknown>) => {
    expect(body).toMatchObject({
      code: expect.any(Number),
      message: expect.any(String),
      request_id: expect.any(String),
    });
  };

  describe('v4', () => {
    it('creates workspace invitations in bulk (201, no body), visible through the native API', async () => {
      const created = await call('POST', '/v4/invitations', {
        body: [
          {
            invitee_email: 'ana@example.com',
            workspace_invitation: { workspace_id: workspace, prospective_role: 'member' },
          },
          {
            invitee_email: 'ben@example.com',
            workspace_invitation: { workspace_id: workspace, prospective_role: 'admin' },
          },
        ],
      });
      expect(created.status).toBe(201);
      expect(created.body).toBeNull();
      const native = await h.call('GET', '/v1/organizations/acme/invitations?order_by=email');
      expect(
        native.body.invitations.map((inv: { email: string; role: string }) => [inv.email, inv.role]),
      ).toEqual([
        ['ana@example.com', 'member'],
        ['ben@example.com', 'admin'],
      ]);
    });

    it('emails a link whose JWT lets the invitee read the invitation, and nothing else', async () => {
      const jwt = await linkSecret('ana@example.com');
      expect(jwt.split('.')).toHaveLength(3);
      const native = await h.call('GET', '/v1/organizations/acme/invitations?email=ana@example.com');
      const id = native.body.invitations[0].id;
      expect(id).toMatch(/^inv_[0-9a-v]{20}$/);

      const read = await call('POST', `/v4/invitations/${id}`, { key: null, body: { jwt } });
      expect(read.status).toBe(200);
      expect(read.body.data).toEqual({
        invitation_id: id,
        invitee_email: 'ana@example.com',
        created_by: {
          user_id: expect.stringMatching(/^usr_/),
          display_name: 'Olive Owner',
          email: 'owner@acme.test',
          workspace_role: 'owner',
        },
        created_at: expect.any(String),
        workspace_invitation: { workspace_id: workspace, name: 'Acme', prospective_role: 'member' },
      });

      const [header, payload, signature] = jwt.split('.') as [string, string, string];
      const forged = `${header}.${payload}.${signature.slice(0, -4)}AAAA`;
      for (const secret of [
        forged,
        'not-a-jwt',
        `${header}.${Buffer.from('{"sub":"x"}').toString('base64url')}.${signature}`,
      ]) {
        const refused = await call('POST', `/v4/invitations/${id}`, { key: null, body: { jwt: secret } });
        expect(refused.status).toBe(404);
        expectTiledbError(refused.body);
      }
      const otherId = (await h.call('GET', '/v1/organizations/acme/invitations?email=ben@example.com')).body
        .invitations[0].id;
      expect((await call('POST', `/v4/invitations/${otherId}`, { key: null, body: { jwt } })).status).toBe(
        404,
      );
    });

    it('lets the signed-in invitee accept with the JWT (204) and become a member', async () => {
      const ana = await h.user('ana@example.com');
      const jwt = await linkSecret('ana@example.com');
      const id = (await h.call('GET', '/v1/organizations/acme/invitations?email=ana@example.com')).body
        .invitations[0].id;
      const anonymous = await call('PATCH', `/v4/invitations/${id}`, {
        key: null,
        body: { jwt, response: 'accept' },
      });
      expect(anonymous.status).toBe(401);
      expectTiledbError(anonymous.body);
      const outsider = await h.user('zed@example.com');
      const wrongPerson = await call('PATCH', `/v4/invitations/${id}`, {
        key: outsider.key,
        body: { jwt, response: 'accept' },
      });
      expect(wrongPerson.status).toBe(403);

      const accepted = await call('PATCH', `/v4/invitations/${id}`, {
        key: ana.key,
        body: { jwt, response: 'accept' },
      });
      expect(accepted.status).toBe(204);
      const members = await h.call('GET', '/v1/organizations/acme/members');
      expect(members.body.members.map((m: { email: string }) => m.email)).toContain('ana@example.com');
      const again = await call('PATCH', `/v4/invitations/${id}`, {
        key: ana.key,
        body: { jwt, response: 'reject' },
      });
      expect(again.status).toBe(409);
      expectTiledbError(again.body);
    });

    it('rejects with response=reject', async () => {
      const ben = await h.user('ben@example.com');
      const jwt = await linkSecret('ben@example.com');
      const id = (await h.call('GET', '/v1/organizations/acme/invitations?email=ben@example.com')).body
        .invitations[0].id;
      expect(
        (await call('PATCH', `/v4/invitations/${id}`, { key: ben.key, body: { jwt, response: 'reject' } }))
          .status,
      ).toBe(204);
      expect((await h.call('GET', `/v1/organizations/acme/invitations/${id}`)).body.status).toBe('declined');
    });

    it('lists what the caller sent with page numbers, and revokes with DELETE', async () => {
      await call('POST', '/v4/invitations', {
        body: ['cy', 'di', 'ed'].map((name) => ({
          invitee_email: `${name}@example.com`,
          workspace_invitation: { workspace_id: h.org.id, prospective_role: 'member' },
        })),
      });
      const page = await call('GET', '/v4/invitations?page=2&per_page=2');
      expect(page.status).toBe(200);
      expect(page.body.pagination_metadata).toEqual({ page: 2, per_page: 2, total_pages: 2, total_items: 3 });
      expect(page.body.data).toHaveLength(1);
      const first = await call('GET', '/v4/invitations?per_page=2');
      const id = first.body.data[0].invitation_id;
      expect((await call('DELETE', `/v4/invitations/${id}`)).status).toBe(204);
      expect((await h.call('GET', `/v1/organizations/acme/invitations/${id}`)).body.status).toBe('revoked');
      const twice = await call('DELETE', `/v4/invitations/${id}`);
      expect(twice.status).toBe(410);
      expectTiledbError(twice.body);
      const member = await h.user('mo@acme.test', 'member');
      expect(
        (await call('GET', '/v4/invitations', { key: member.key })).body.pagination_metadata.total_items,
      ).toBe(0);
      expect(
        (await call('DELETE', `/v4/invitations/${first.body.data[1].invitation_id}`, { key: member.key }))
          .status,
      ).toBe(403);
    });

    it('creates all or nothing, and says which rows failed', async () => {
      const bad = await call('POST', '/v4/invitations', {
        body: [
          {
            invitee_email: 'fine@example.com',
            workspace_invitation: { workspace_id: workspace, prospective_role: 'member' },
          },
          {
            invitee_email: 'not an email',
            workspace_invitation: { workspace_id: workspace, prospective_role: 'member' },
          },
        ],
      });
      expect(bad.status).toBe(422);
      expect(bad.body.validation_error.fields).toEqual([
        { field: '[1].invitee_email', message: expect.any(String) },
      ]);
      const fine = await h.call('GET', '/v1/organizations/acme/invitations?email=fine@example.com');
      expect(fine.body.invitations).toHaveLength(0);

      const malformed = await call('POST', '/v4/invitations', { body: { invitee_email: 'x@example.com' } });
      expect(malformed.status).toBe(400);
      expect(malformed.body.validation_error.fields.length).toBeGreaterThan(0);
      const unknownRole = await call('POST', '/v4/invitations', {
        body: [
          {
            invitee_email: 'x@example.com',
            workspace_invitation: { workspace_id: workspace, prospective_role: 'boss' },
          },
        ],
      });
      expect(unknownRole.status).toBe(400);
      const elsewhere = await call('POST', '/v4/invitations', {
        body: [
          {
            invitee_email: 'x@example.com',
            workspace_invitation: { workspace_id: 'ws_00000000000000000000', prospective_role: 'member' },
          },
        ],
      });
      expect(elsewhere.status).toBe(404);
      expectTiledbError(elsewhere.body);
    });

    it('keeps JWT links across a resend, and the old JWT stops working', async () => {
      await call('POST', '/v4/invitations', {
        body: [
          {
            invitee_email: 'flo@example.com',
            workspace_invitation: { workspace_id: workspace, prospective_role: 'member' },
          },
        ],
      });
      const before = await linkSecret('flo@example.com');
      const id = (await h.call('GET', '/v1/organizations/acme/invitations?email=flo@example.com')).body
        .invitations[0].id;
      const resent = await h.call('POST', `/v1/organizations/acme/invitations/${id}/resend`, { body: {} });
      expect(resent.status, JSON.stringify(resent.body)).toBe(200);
      const after = await linkSecret('flo@example.com');
      expect(after).not.toBe(before);
      expect(after.split('.')).toHaveLength(3);
      expect((await call('POST', `/v4/invitations/${id}`, { key: null, body: { jwt: before } })).status).toBe(
        404,
      );
      expect((await call('POST', `/v4/invitations/${id}`, { key: null, body: { jwt: after } })).status).toBe(
        200,
      );
      // The invitee pages open the JWT link too.
      const page = await h.app.inject({ method: 'GET', url: `/invite?token=${after}` });
      expect(page.statusCode).toBe(200);
    });
  });

  describe('v1', () => {
    let genome: string;
    let cohort: string;

    beforeAll(async () => {
      genome = (
        await h.call('POST', '/v1/organizations/acme/resources', { body: { type: 'array', name: 'genome' } })
      ).body.id;
      cohort = (
        await h.call('POST', '/v1/organizations/acme/resources', { body: { type: 'group', name: 'cohort' } })
      ).body.id;
    });

    it('invites to join an organization: 204, then 207 for some failures and 500 when all fail', async () => {
      const joined = await call('POST', '/v1/invitations/acme/join', {
        body: {
          invitee_email: ['gus@example.com', 'hal@example.com'],
          organization_role: 'read_only',
          actions: ['read'],
        },
      });
      expect(joined.status).toBe(204);
      const native = await h.call('GET', '/v1/organizations/acme/invitations?email=gus@example.com');
      expect(native.body.invitations[0]).toMatchObject({
        role: 'member',
        metadata: { tiledb_role: 'read_only', tiledb_actions: 'read' },
      });
      const some = await call('POST', '/v1/invitations/acme/join', {
        body: {
          invitee_email: ['ida@example.com', 'gus@example.com', 'nobody-by-that-name'],
          organization_role: 'admin',
        },
      });
      expect(some.status).toBe(207);
      expect(some.body).toEqual({ failed_recipients: ['gus@example.com', 'nobody-by-that-name'] });
      const none = await call('POST', '/v1/invitations/acme/join', {
        body: { invitee_email: ['gus@example.com', 'bad address'], organization_role: 'admin' },
      });
      expect(none.status).toBe(500);
      expect(none.body).toEqual({ failed_recipients: ['gus@example.com', 'bad address'] });
      const byUsername = await h.call('POST', '/v1/users', {
        body: { email: 'jo@example.com', username: 'jo', password: 'correct horse battery' },
      });
      expect(byUsername.status).toBe(201);
      expect(
        (
          await call('POST', '/v1/invitations/acme/join', {
            body: { invitee_email: ['jo'], organization_role: 'read_write' },
          })
        ).status,
      ).toBe(204);
      const bad = await call('POST', '/v1/invitations/acme/join', {
        body: { invitee_email: ['x@example.com'], organization_role: 'king' },
      });
      expect(bad.status).toBe(400);
      expectTiledbError(bad.body);
      expect(bad.body.validation_error).toBeUndefined();
      expect(
        (
          await call('POST', '/v1/invitations/nowhere/join', {
            body: { invitee_email: ['x@example.com'], organization_role: 'admin' },
          })
        ).status,
      ).toBe(404);
    });

    it('shares arrays and groups by invitation, by name or tiledb:// URI', async () => {
      expect(
        (
          await call('POST', '/v1/invitations/acme/genome/share', {
            body: { invitee_email: ['kim@example.com'], actions: ['read', 'write'] },
          })
        ).status,
      ).toBe(204);
      expect(
        (
          await call('POST', `/v1/invitations/acme/${encodeURIComponent('tiledb://acme/genome')}/share`, {
            body: { invitee_email: ['lee@example.com'], actions: ['read'] },
          })
        ).status,
      ).toBe(204);
      expect(
        (
          await call('POST', '/v1/invitations/group/acme/cohort/share', {
            body: {
              invitee_email_or_name: ['max@example.com'],
              array_actions: ['read'],
              group_actions: ['read', 'edit'],
            },
          })
        ).status,
      ).toBe(204);
      const missing = await call('POST', '/v1/invitations/acme/nope/share', {
        body: { invitee_email: ['kim@example.com'], actions: ['read'] },
      });
      expect(missing.status).toBe(404);
      expectTiledbError(missing.body);
      const onGenome = await h.call(
        'GET',
        `/v1/organizations/acme/invitations?resource_id=${genome}&order_by=email`,
      );
      expect(
        onGenome.body.invitations.map((inv: { email: string; actions: string[] }) => [
          inv.email,
          inv.actions,
        ]),
      ).toEqual([
        ['kim@example.com', ['read', 'write']],
        ['lee@example.com', ['read']],
      ]);
      const native = await h.call('GET', `/v1/organizations/acme/invitations?resource_id=${cohort}`);
      expect(native.body.invitations[0]).toMatchObject({
        actions: ['edit', 'read'],
        metadata: { tiledb_array_actions: 'read' },
      });
    });

    it('lists with TileDB filters, fields and page numbers', async () => {
      const all = await call('GET', '/v1/invitations?organization=acme&per_page=100');
      expect(all.status).toBe(200);
      const gus = all.body.invitations.find((inv: { email: string }) => inv.email === 'gus@example.com');
      expect(gus).toEqual({
        id: expect.stringMatching(UUID),
        invitation_type: 'JOIN_ORGANIZATION',
        owner_namespace_uuid: expect.stringMatching(UUID),
        inviter_uuid: expect.stringMatching(UUID),
        user_namespace_uuid: '',
        organization_user_uuid: '',
        organization_name: 'acme',
        organization_role: 'read_only',
        organization_uuid: expect.stringMatching(UUID),
        array_uuid: '',
        group_uuid: '',
        array_name: '',
        email: 'gus@example.com',
        actions: 'read',
        group_actions: '',
        status: 'PENDING',
        created_at: expect.any(String),
        expires_at: expect.any(String),
        accepted_at: null,
        namespace_invited: '',
      });
      const arrays = await call(
        'GET',
        '/v1/invitations?organization=acme&type=ARRAY_SHARE&orderby=array_name',
      );
      expect(
        arrays.body.invitations.map((inv: { email: string; actions: string; array_name: string }) => [
          inv.email,
          inv.array_name,
          inv.actions,
        ]),
      ).toEqual([
        ['lee@example.com', 'genome', 'read'],
        ['kim@example.com', 'genome', 'read,write'],
      ]);
      const groups = await call('GET', '/v1/invitations?organization=acme&type=GROUP_SHARE');
      expect(groups.body.invitations[0]).toMatchObject({
        invitation_type: 'GROUP_SHARE',
        group_actions: 'edit,read',
        actions: 'read',
        group_uuid: expect.stringMatching(UUID),
      });
      const byArray = await call(
        'GET',
        `/v1/invitations?array=${encodeURIComponent('tiledb://acme/genome')}`,
      );
      expect(byArray.body.pagination_metadata.total_items).toBe(2);
      const paged = await call(
        'GET',
        '/v1/invitations?organization=acme&type=JOIN_ORGANIZATION&page=2&per_page=2',
      );
      expect(paged.body.pagination_metadata).toMatchObject({ page: 2, per_page: 2 });
      expect(paged.body.invitations).toHaveLength(2);
      const future = Math.floor(h.clock.now().getTime() / 1000) + 3600;
      expect(
        (await call('GET', `/v1/invitations?organization=acme&start=${future}`)).body.invitations,
      ).toEqual([]);
      expect((await call('GET', '/v1/invitations?status=EXPIRED')).status).toBe(400);
    });

    it('accepts by invitation UUID with an empty form-encoded POST, as the published client sends it', async () => {
      const gus = await h.user('gus@example.com');
      const mine = await call('GET', '/v1/invitations', { key: gus.key });
      expect(mine.body.invitations.map((inv: { email: string }) => inv.email)).toEqual(['gus@example.com']);
      const uuid = mine.body.invitations[0].id;
      const accepted = await call('POST', `/v1/invitations/${uuid}`, {
        key: gus.key,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect(accepted.status).toBe(204);
      const after = await call('GET', '/v1/invitations?organization=acme&status=ACCEPTED');
      expect(after.body.invitations[0]).toMatchObject({
        email: 'gus@example.com',
        status: 'ACCEPTED',
        user_namespace_uuid: expect.stringMatching(UUID),
        organization_user_uuid: expect.stringMatching(UUID),
        accepted_at: expect.any(String),
      });
      const unknown = await call('POST', '/v1/invitations/00000000-0000-4000-8000-000000000000', {
        key: gus.key,
      });
      expect(unknown.status).toBe(404);
      expect(unknown.body.message).toBe('Could not find invitation identifier');
      expect((await call('POST', '/v1/invitations/not-a-uuid', { key: gus.key })).status).toBe(404);
    });

    it('cancels by UUID and path (204), and answers 404 for anything else', async () => {
      const list = (await call('GET', '/v1/invitations?organization=acme&per_page=100')).body.invitations as {
        id: string;
        email: string;
      }[];
      const uuidOf = (email: string) => list.find((inv) => inv.email === email)!.id;
      const wrongPath = await call(
        'DELETE',
        `/v1/invitations/${uuidOf('hal@example.com')}/acme/genome/share`,
      );
      expect(wrongPath.status).toBe(404);
      expect(wrongPath.body.message).toBe('No invitation was found to cancel');
      expect((await call('DELETE', `/v1/invitations/${uuidOf('hal@example.com')}/acme/join`)).status).toBe(
        204,
      );
      expect((await call('DELETE', `/v1/invitations/${uuidOf('hal@example.com')}/acme/join`)).status).toBe(
        404,
      );
      expect(
        (await call('DELETE', `/v1/invitations/${uuidOf('kim@example.com')}/acme/genome/share`)).status,
      ).toBe(204);
      expect(
        (await call('DELETE', `/v1/invitations/group/${uuidOf('max@example.com')}/acme/cohort/share`)).status,
      ).toBe(204);
      const native = await h.call(
        'GET',
        '/v1/organizations/acme/invitations?status=revoked&include_total_size=true',
      );
      expect(native.body.invitations.map((inv: { email: string }) => inv.email).sort()).toEqual(
        expect.arrayContaining(['hal@example.com', 'kim@example.com', 'max@example.com']),
      );
    });

    it('takes HTTP Basic and bearer credentials, and answers 401 in its own body without', async () => {
      const basic = Buffer.from('owner@acme.test:owner-password').toString('base64');
      expect(
        (await call('GET', '/v1/invitations', { key: null, headers: { authorization: `Basic ${basic}` } }))
          .status,
      ).toBe(200);
      expect(
        (
          await call('GET', '/v1/invitations', {
            key: null,
            headers: { authorization: `Bearer ${h.adminKey}` },
          })
        ).status,
      ).toBe(200);
      const none = await call('GET', '/v1/invitations', { key: null });
      expect(none.status).toBe(401);
      expectTiledbError(none.body);
      expect((await call('GET', '/v1/invitations', { key: 'rsvp_sk_wrong' })).status).toBe(401);
    });
  });

  describe('the published client @tiledb-inc/tiledb-cloud', () => {
    it('invites, lists, accepts and cancels through its v1 InvitationApi', async () => {
      await tiledb.listen({ host: '127.0.0.1', port: 0 });
      const { port } = tiledb.server.address() as { port: number };
      const require = createRequire(import.meta.url);
      const { InvitationApi, Configuration } = require('@tiledb-inc/tiledb-cloud/lib/v1/index.js');
      const basePath = `http://127.0.0.1:${port}/v1`;
      const admin = new InvitationApi(new Configuration({ apiKey: h.adminKey, basePath }));

      const joined = await admin.joinOrganization('acme', {
        invitee_email: ['nia@example.com', 'oli@example.com'],
        organization_role: 'read_write',
      });
      expect(joined.status).toBe(204);
      const listed = await admin.fetchInvitations(
        'acme',
        undefined,
        undefined,
        undefined,
        1,
        50,
        'JOIN_ORGANIZATION',
        'PENDING',
        'timestamp',
      );
      const emails = listed.data.invitations.map((inv: { email: string }) => inv.email);
      expect(emails).toEqual(expect.arrayContaining(['nia@example.com', 'oli@example.com']));
      const uuidOf = (email: string) =>
        listed.data.invitations.find((inv: { email: string }) => inv.email === email).id;

      const nia = await h.user('nia@example.com');
      const invitee = new InvitationApi(new Configuration({ apiKey: nia.key, basePath }));
      expect((await invitee.acceptInvitation(uuidOf('nia@example.com'))).status).toBe(204);
      expect((await admin.cancelJoinOrganization(uuidOf('oli@example.com'), 'acme')).status).toBe(204);
      await expect(admin.cancelJoinOrganization(uuidOf('oli@example.com'), 'acme')).rejects.toMatchObject({
        response: { status: 404, data: { message: 'No invitation was found to cancel' } },
      });
      const shared = await admin.shareArrayByInvite('acme', 'genome', {
        invitee_email: ['pia@example.com'],
        actions: ['read'],
      });
      expect(shared.status).toBe(204);

      const members = await h.call('GET', '/v1/organizations/acme/members');
      expect(members.body.members.map((m: { email: string }) => m.email)).toContain('nia@example.com');
      const native = await h.call('GET', '/v1/organizations/acme/invitations?email=oli@example.com');
      expect(native.body.invitations[0].status).toBe('revoked');
    });
  });
});
