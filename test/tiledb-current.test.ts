import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTiledbApp } from '../src/dialects/tiledb/tiledb.app.ts';
import type { App } from '../src/http/app-types.ts';
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
});
