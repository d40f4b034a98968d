import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTiledbApp } from '../src/dialects/tiledb/tiledb.app.ts';
import type { App } from '../src/http/app-types.ts';
import { findUserById } from '../src/users/user.repository.ts';
import { type Harness, harness, request } from './helpers.ts';

/**
 * What TileDB's current clients (JS 1.0.12, Java 2025-09) send beyond the seeds: v4's admin
 * operations under the workspace, and v1's payment shares and workspace/teamspace paths.
 */
describe('TileDB current clients', () => {
  let h: Harness;
  let tiledb: App;
  let workspace: string;

  beforeAll(async () => {
    h = await harness();
    tiledb = buildTiledbApp(h.services);
    await tiledb.ready();
    workspace = `ws_${h.org.id.slice(4)}`;
  });

  afterAll(async () => {
    await tiledb.close();
    await h.close();
  });

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

  const nativeStatus = async (email: string) =>
    (await h.call('GET', `/v1/organizations/acme/invitations?email=${email}`)).body.invitations[0];

  describe('v4 admin operations under the workspace', () => {
    it('creates with the workspace in the path: 201 with an empty body', async () => {
      const created = await tiledb.inject({
        method: 'POST',
        url: `/v4/invitations/admin/${workspace}`,
        headers: { 'x-tiledb-rest-api-key': h.adminKey },
        payload: [
          { invitee_email: 'wa@example.com' },
          {
            invitee_email: 'wb@example.com',
            workspace_invitation: { workspace_id: workspace, prospective_role: 'admin' },
          },
        ],
      });
      expect(created.statusCode).toBe(201);
      expect(created.body).toBe('');
      expect((await nativeStatus('wa@example.com')).role).toBe('member');
      expect((await nativeStatus('wb@example.com')).role).toBe('admin');
    });

    it("answers the seed's create with an empty body too", async () => {
      const created = await tiledb.inject({
        method: 'POST',
        url: '/v4/invitations',
        headers: { 'x-tiledb-rest-api-key': h.adminKey },
        payload: [
          {
            invitee_email: 'wc@example.com',
            workspace_invitation: { workspace_id: workspace, prospective_role: 'member' },
          },
        ],
      });
      expect(created.statusCode).toBe(201);
      expect(created.body).toBe('');
    });

    it('refuses an item naming another workspace than the path, creating nothing', async () => {
      const refused = await call('POST', `/v4/invitations/admin/${workspace}`, {
        body: [
          { invitee_email: 'wd@example.com' },
          {
            invitee_email: 'we@example.com',
            workspace_invitation: { workspace_id: 'ws_00000000000000000000', prospective_role: 'member' },
          },
        ],
      });
      expect(refused.status).toBe(400);
      expect(refused.body.validation_error.fields[0].field).toBe('/1/workspace_invitation/workspace_id');
      const none = await h.call('GET', '/v1/organizations/acme/invitations?email=wd@example.com');
      expect(none.body.invitations).toEqual([]);
    });

    it("lists the workspace's pending invitations with page numbers", async () => {
      const page = await call('GET', `/v4/invitations/admin/${workspace}?page=1&per_page=2`);
      expect(page.status).toBe(200);
      expect(page.body.pagination_metadata).toEqual({ page: 1, per_page: 2, total_pages: 2, total_items: 3 });
      expect(page.body.data[0]).toMatchObject({
        invitation_id: expect.stringMatching(/^inv_/),
        invitee_email: 'wc@example.com',
        created_by: { email: 'owner@acme.test', workspace_role: 'owner' },
        workspace_invitation: { workspace_id: workspace, name: 'Acme', prospective_role: 'member' },
      });
      const member = await h.user('wm@acme.test', 'member');
      expect((await call('GET', `/v4/invitations/admin/${workspace}`, { key: member.key })).status).toBe(403);
    });

    it('revokes under the workspace: 204, then the invitation is revoked', async () => {
      const id = (await nativeStatus('wa@example.com')).id;
      const other = await call('DELETE', `/v4/invitations/admin/ws_00000000000000000000/${id}`);
      expect(other.status).toBe(404);
      const revoked = await call('DELETE', `/v4/invitations/admin/${workspace}/${id}`);
      expect(revoked.status).toBe(204);
      expect(revoked.body).toBeNull();
      expect((await nativeStatus('wa@example.com')).status).toBe('revoked');
    });

    it('answers a wrong or missing key with 401 on every admin route, whatever the workspace', async () => {
      for (const ws of [workspace, 'ws_00000000000000000000']) {
        for (const [method, url, body] of [
          ['POST', `/v4/invitations/admin/${ws}`, [{ invitee_email: 'x@example.com' }]],
          ['GET', `/v4/invitations/admin/${ws}`, undefined],
          ['DELETE', `/v4/invitations/admin/${ws}/inv_00000000000000000000`, undefined],
        ] as const) {
          for (const key of ['rsvp_sk_wrong', null]) {
            const answer = await call(method, url, { key, body });
            expect(answer.status, `${method} ${url} ${key}`).toBe(401);
            expect(answer.body).toMatchObject({ code: expect.any(Number), request_id: expect.any(String) });
          }
        }
      }
    });
  });

  describe('v1 payment shares', () => {
    let payer: { id: string; key: string };

    /** A user with a username and an API key. */
    async function named(username: string) {
      const made = await h.call('POST', '/v1/users', {
        body: { email: `${username}@example.com`, username, password: 'correct horse battery' },
      });
      const user = (await findUserById(h.database.db, made.body.id))!;
      const operator = { method: 'operator' as const, user, apiKeyId: null, scopes: 'all' as const };
      const { secret } = await h.services.apiKeys.create(operator, made.body.id, { name: 'test' });
      return { id: made.body.id as string, key: secret };
    }

    beforeAll(async () => {
      payer = await named('payer');
      // Another tenant, whose owner answers for it.
      const treasurer = await named('treasurer');
      const org = await h.call('POST', '/v1/organizations', {
        key: treasurer.key,
        body: { slug: 'payer-co', name: 'Payer Co' },
      });
      expect(org.status).toBe(201);
    });

    it('invites namespaces (users, organizations) to share the payment method: 204, listed as PAYMENT_SHARE', async () => {
      const shared = await call('POST', '/v1/invitations/share_payment/acme', {
        body: { namespaces: ['payer'] },
      });
      expect(shared.status).toBe(204);
      const listed = await call('GET', '/v1/invitations?organization=acme&type=PAYMENT_SHARE');
      expect(listed.status).toBe(200);
      expect(listed.body.invitations).toHaveLength(1);
      expect(listed.body.invitations[0]).toMatchObject({
        invitation_type: 'PAYMENT_SHARE',
        email: 'payer@example.com',
        namespace_invited: 'payer',
        status: 'PENDING',
        array_uuid: '',
      });
      const joins = await call('GET', '/v1/invitations?organization=acme&type=JOIN_ORGANIZATION');
      expect(joins.body.invitations.map((inv: { email: string }) => inv.email)).not.toContain(
        'payer@example.com',
      );
    });

    it('answers 207 with the namespaces it could not reach (emails, unknown names, itself, repeats)', async () => {
      const partial = await call('POST', '/v1/invitations/share_payment/acme', {
        body: { namespaces: ['payer-co', 'someone@example.com', 'nobody-here', 'acme', 'payer'] },
      });
      expect(partial.status).toBe(207);
      expect(partial.body.failed_recipients).toEqual(['someone@example.com', 'nobody-here', 'acme', 'payer']);
      const all = await call('POST', '/v1/invitations/share_payment/acme', {
        body: { namespaces: ['nobody-here'] },
      });
      expect(all.status).toBe(500);
      expect(all.body.failed_recipients).toEqual(['nobody-here']);
      const listed = await call('GET', '/v1/invitations?organization=acme&type=PAYMENT_SHARE');
      expect(
        listed.body.invitations.map((inv: { namespace_invited: string }) => inv.namespace_invited).sort(),
      ).toEqual(['payer', 'payer-co']);
    });

    it('is accepted like the others: the invitee gets the use of the payment method', async () => {
      const listed = await call('GET', '/v1/invitations?organization=acme&type=PAYMENT_SHARE');
      const uuid = listed.body.invitations.find(
        (inv: { namespace_invited: string }) => inv.namespace_invited === 'payer',
      ).id;
      expect((await call('POST', `/v1/invitations/${uuid}`, { key: payer.key })).status).toBe(204);
      const resources = await h.call('GET', '/v1/organizations/acme/resources?type=payment_method');
      expect(resources.body.resources).toHaveLength(1);
      const grants = await h.call(
        'GET',
        `/v1/organizations/acme/resources/${resources.body.resources[0].id}/grants`,
      );
      expect(grants.body.grants).toEqual([expect.objectContaining({ user_id: payer.id, actions: ['use'] })]);
      const accepted = await call(
        'GET',
        '/v1/invitations?organization=acme&type=PAYMENT_SHARE&status=ACCEPTED',
      );
      expect(accepted.body.invitations[0]).toMatchObject({ status: 'ACCEPTED', namespace_invited: 'payer' });
    });

    it('cancels by namespace and target: 204, then 404', async () => {
      expect((await call('DELETE', '/v1/invitations/share_payment/acme/payer')).status).toBe(404);
      const cancelled = await call('DELETE', '/v1/invitations/share_payment/acme/payer-co');
      expect(cancelled.status).toBe(204);
      const again = await call('DELETE', '/v1/invitations/share_payment/acme/payer-co');
      expect(again.status).toBe(404);
      expect(again.body.message).toBe('No invitation was found to cancel');
      const pending = await call(
        'GET',
        '/v1/invitations?organization=acme&type=PAYMENT_SHARE&status=PENDING',
      );
      expect(pending.body.invitations).toEqual([]);
      const member = await h.user('pm@acme.test', 'member');
      expect(
        (
          await call('POST', '/v1/invitations/share_payment/acme', {
            key: member.key,
            body: { namespaces: ['payer-co'] },
          })
        ).status,
      ).toBe(403);
      expect(
        (await call('POST', '/v1/invitations/share_payment/acme', { body: { namespaces: [] } })).status,
      ).toBe(400);
    });

    it('lists, without an organization, what the caller received and what their organizations sent', async () => {
      const mine = await call('GET', '/v1/invitations?per_page=100', { key: payer.key });
      expect(mine.status).toBe(200);
      expect(mine.body.invitations.map((inv: { email: string }) => inv.email)).toContain('payer@example.com');
      const sent = await call('GET', '/v1/invitations?per_page=100');
      expect(sent.body.invitations.map((inv: { email: string }) => inv.email)).toEqual(
        expect.arrayContaining(['wb@example.com', 'payer@example.com']),
      );
      const payments = await call('GET', '/v1/invitations?per_page=100&type=PAYMENT_SHARE');
      expect(payments.body.invitations).toEqual([
        expect.objectContaining({ namespace_invited: 'payer', status: 'ACCEPTED' }),
      ]);
      const member = await h.user('pn@acme.test', 'member');
      const theirs = await call('GET', '/v1/invitations?per_page=100', { key: member.key });
      expect(theirs.body.invitations).toEqual([]);
    });

    it("lists them through the published client's fetchInvitations with no organization", async () => {
      await tiledb.listen({ host: '127.0.0.1', port: 0 });
      const { port } = tiledb.server.address() as { port: number };
      const require = createRequire(import.meta.url);
      const { InvitationApi, Configuration } = require('@tiledb-inc/tiledb-cloud/lib/v1/index.js');
      const basePath = `http://127.0.0.1:${port}/v1`;
      const admin = new InvitationApi(new Configuration({ apiKey: h.adminKey, basePath }));
      const listed = await admin.fetchInvitations(undefined, undefined, undefined, undefined, 1, 100);
      expect(listed.status).toBe(200);
      const types = new Set(
        listed.data.invitations.map((inv: { invitation_type: string }) => inv.invitation_type),
      );
      expect(types).toEqual(new Set(['JOIN_ORGANIZATION', 'PAYMENT_SHARE']));
      const payments = await admin.fetchInvitations(
        undefined,
        undefined,
        undefined,
        undefined,
        1,
        100,
        'PAYMENT_SHARE',
      );
      expect(
        payments.data.invitations.map((inv: { namespace_invited: string }) => inv.namespace_invited),
      ).toEqual(['payer']);
    });
  });

  describe('v1 workspace/teamspace paths', () => {
    let arrayUuid: string;

    beforeAll(async () => {
      for (const [type, name] of [
        ['array', 'lab/genome'],
        ['group', 'lab/cohort'],
      ]) {
        const made = await h.call('POST', '/v1/organizations/acme/resources', { body: { type, name } });
        expect(made.status).toBe(201);
      }
    });

    it('shares an array of a teamspace: 204, listed with the array', async () => {
      const shared = await call('POST', `/v1/invitations/${workspace}/lab/genome/share`, {
        body: { invitee_email: ['ts1@example.com'], actions: ['read'] },
      });
      expect(shared.status).toBe(204);
      const listed = await call('GET', '/v1/invitations?organization=acme&type=ARRAY_SHARE');
      const invitation = listed.body.invitations.find(
        (inv: { email: string }) => inv.email === 'ts1@example.com',
      );
      expect(invitation).toMatchObject({ array_name: 'lab/genome', actions: 'read', status: 'PENDING' });
      arrayUuid = invitation.id;
      const missing = await call('POST', `/v1/invitations/acme/other-team/genome/share`, {
        body: { invitee_email: ['ts1@example.com'], actions: ['read'] },
      });
      expect(missing.status).toBe(404);
    });

    it('cancels it by workspace, teamspace and array: 204, then 404', async () => {
      expect((await call('DELETE', `/v1/invitations/${arrayUuid}/acme/other/genome/share`)).status).toBe(404);
      expect((await call('DELETE', `/v1/invitations/${arrayUuid}/acme/lab/genome/share`)).status).toBe(204);
      expect((await call('DELETE', `/v1/invitations/${arrayUuid}/acme/lab/genome/share`)).status).toBe(404);
    });

    it('shares and cancels a group of a teamspace', async () => {
      const shared = await call('POST', `/v1/invitations/group/${workspace}/lab/cohort/share`, {
        body: {
          invitee_email_or_name: ['ts2@example.com'],
          array_actions: ['read'],
          group_actions: ['read'],
        },
      });
      expect(shared.status).toBe(204);
      const listed = await call('GET', '/v1/invitations?organization=acme&type=GROUP_SHARE');
      const uuid = listed.body.invitations.find(
        (inv: { email: string }) => inv.email === 'ts2@example.com',
      ).id;
      expect((await call('DELETE', `/v1/invitations/group/${uuid}/acme/lab/cohort/share`)).status).toBe(204);
      expect((await call('DELETE', `/v1/invitations/group/${uuid}/acme/lab/cohort/share`)).status).toBe(404);
    });

    it('shares and cancels the payment method under the workspace', async () => {
      const shared = await call('POST', `/v1/invitations/share_payment/${workspace}/lab`, {
        body: { namespaces: ['payer-co'] },
      });
      expect(shared.status).toBe(204);
      expect((await call('DELETE', `/v1/invitations/share_payment/${workspace}/lab/payer-co`)).status).toBe(
        204,
      );
      expect((await call('DELETE', `/v1/invitations/share_payment/${workspace}/lab/payer-co`)).status).toBe(
        404,
      );
    });

    it('answers 401 to a wrong key on these routes', async () => {
      for (const [method, url] of [
        ['POST', `/v1/invitations/${workspace}/lab/genome/share`],
        ['POST', '/v1/invitations/share_payment/acme'],
        ['DELETE', '/v1/invitations/share_payment/acme/payer'],
        ['DELETE', `/v1/invitations/group/${arrayUuid}/acme/lab/cohort/share`],
      ] as const) {
        expect(
          (await call(method, url, { key: 'rsvp_sk_wrong', body: method === 'POST' ? {} : undefined }))
            .status,
        ).toBe(401);
      }
    });
  });
});
