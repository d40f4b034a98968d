import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Principal, SCOPES, type Scope } from '../src/access/principal.ts';
import { buildConfluentApp } from '../src/dialects/confluent/confluent.app.ts';
import { buildCvatApp } from '../src/dialects/cvat/cvat.app.ts';
import { createDialectApp } from '../src/dialects/dialect-app.ts';
import { buildTiledbApp } from '../src/dialects/tiledb/tiledb.app.ts';
import { buildTrieveApp } from '../src/dialects/trieve/trieve.app.ts';
import { TRIEVE_DOCUMENT } from '../src/dialects/trieve/trieve.document.ts';
import type { App } from '../src/http/app-types.ts';
import { declaredRoutes, declareRoute } from '../src/http/route-auth.ts';
import { findUserById } from '../src/users/user.repository.ts';
import { type Harness, harness, request } from './helpers.ts';

const REFERENCE = ['GET /openapi.json', 'GET /docs', 'GET /docs/scalar.js'];

/**
 * Routes that answer without a scoped credential, per listener. A route that becomes public must
 * be added here on purpose; every other route is checked below against its declared scope.
 */
const PUBLIC: Record<string, string[]> = {
  native: [
    'GET /healthz',
    'GET /readyz',
    'POST /oauth/token',
    'POST /v1/invitations/preview',
    'POST /v1/join-links/preview',
    'GET /metrics',
    'GET /dev/mailbox',
    'GET /dev/mailbox/:id',
    'POST /dev/mailbox/sign-in',
    'POST /dev/mailbox/sign-out',
    'GET /invite',
    'POST /invite/sign-in',
    'POST /invite/sign-up',
    'POST /invite/sign-out',
    'POST /invite/accept',
    'POST /invite/decline',
    // The join-link page: the token is the credential, as for /invite. GET only previews; signing
    // in is throttled like every password check; Join and sign-out need the page's CSRF token, and
    // Join a browser session (the person presses it themselves).
    'GET /join',
    'POST /join/sign-in',
    'POST /join/sign-out',
    'POST /join',
    // Sign-up: an address gets a one-time link (limited per address and per client, the same
    // answer whether or not it has an account); the link's secret creates the account. CSRF on both.
    'GET /sign-up',
    'POST /sign-up/email',
    'POST /sign-up',
    // The API reference: the document, the page and its script are for anyone who can reach the API.
    'GET /openapi.json',
    'GET /docs',
    'GET /docs/scalar.js',
    // Browser sessions: reading one's own session and CSRF token, signing in (password checked,
    // throttled, CSRF token required) and out (CSRF token required).
    'GET /v1/session',
    'POST /v1/session',
    'DELETE /v1/session',
    // The admin console's page and static modules; every call it makes is authenticated.
    'GET /console',
    'GET /console/*',
  ],
  // Each dialect listener publishes its own document and reference, public for the same reason.
  tiledb: ['POST /v4/invitations/:invitation_id', ...REFERENCE],
  trieve: ['GET /api/auth', ...REFERENCE],
  cvat: ['POST /api/auth/login', 'POST /api/auth/logout', ...REFERENCE],
  confluent: ['POST /sts/v1/oauth2/token', ...REFERENCE],
};

type Credential = (key: { id: string; secret: string }) => Record<string, string>;
const bearer: Credential = (key) => ({ authorization: `Bearer ${key.secret}` });

describe('every route of every listener enforces the scope it declares', () => {
  let h: Harness;
  const listeners: { name: string; app: App; credential: Credential }[] = [];
  /** The owner's keys: one holding only each scope, one holding every scope but it. */
  const only = new Map<Scope, { id: string; secret: string }>();
  const allBut = new Map<Scope, { id: string; secret: string }>();

  beforeAll(async () => {
    h = await harness({ app: { devMailbox: true } });
    const deps = { publicUrl: 'http://rsvp.test' };
    const { uuid } = h.org;
    listeners.push(
      { name: 'native', app: h.app, credential: bearer },
      { name: 'tiledb', app: buildTiledbApp(h.services), credential: bearer },
      {
        name: 'trieve',
        app: buildTrieveApp(h.services, deps),
        // Trieve answers 401 to a call that names no organization, before anything else.
        credential: (key) => ({ ...bearer(key), 'tr-organization': uuid }),
      },
      {
        name: 'cvat',
        app: buildCvatApp(h.services, {
          keyMac: h.keys.pageTokenSigning,
          sessionKey: h.keys.sessionSigning,
          clock: h.clock,
          ...deps,
          listenerUrl: 'http://cvat.rsvp.test',
        }),
        credential: (key) => ({ authorization: `Token ${key.secret}` }),
      },
      {
        name: 'confluent',
        app: buildConfluentApp(h.services, {
          pageTokenKey: h.keys.pageTokenSigning,
          listenerUrl: 'http://confluent.rsvp.test',
        }),
        credential: (key) => ({
          authorization: `Basic ${Buffer.from(`${key.id}:${key.secret}`).toString('base64')}`,
        }),
      },
    );
    for (const listener of listeners) await listener.app.ready();
    const ownerId = (await h.call('GET', '/v1/me')).body.id as string;
    const owner = (await findUserById(h.database.db, ownerId))!;
    const principal: Principal = { method: 'operator', user: owner, apiKeyId: null, scopes: 'all' };
    for (const scope of SCOPES) {
      const a = await h.services.apiKeys.create(principal, owner.id, {
        name: `only ${scope}`,
        scopes: [scope],
      });
      only.set(scope, { id: a.key.id, secret: a.secret });
      const rest = SCOPES.filter((s) => s !== scope);
      const b = await h.services.apiKeys.create(principal, owner.id, { name: `not ${scope}`, scopes: rest });
      allBut.set(scope, { id: b.key.id, secret: b.secret });
    }
  });
  afterAll(async () => {
    for (const listener of listeners.slice(1)) await listener.app.close();
    await h.close();
  });

  const refusedForScope = (response: { status: number; headers: Record<string, unknown> }, scope: Scope) =>
    response.status === 403 &&
    String(response.headers['www-authenticate'] ?? '').includes(
      `error="insufficient_scope", scope="${scope}"`,
    );

  it('route × listener × key scopes: the declared scope is required, and enough', async () => {
    const checked: string[] = [];
    const failures: string[] = [];
    for (const listener of listeners) {
      const routes = declaredRoutes(listener.app);
      expect(routes.length, listener.name).toBeGreaterThan(0);
      const publicRoutes = routes
        .filter((route) => route.auth === 'public')
        .map((route) => `${route.method} ${route.url}`);
      expect(publicRoutes.sort(), `public routes of ${listener.name}`).toEqual(
        [...PUBLIC[listener.name]!].sort(),
      );
      for (const route of routes) {
        if (route.auth === 'public') continue;
        const scope = route.auth.scope;
        const url = route.url.replace(/:[A-Za-z_]+/g, 'x').replace(/\*/g, 'x');
        const send = (key: { id: string; secret: string }) =>
          request(listener.app, route.method, url, { headers: listener.credential(key) });
        const name = `${listener.name} ${route.method} ${route.url} (${scope})`;
        const without = await send(allBut.get(scope)!);
        if (!refusedForScope(without, scope))
          failures.push(`${name}: a key without it got ${without.status}`);
        const withIt = await send(only.get(scope)!);
        if (refusedForScope(withIt, scope) || withIt.status === 401)
          failures.push(`${name}: a key with only it got ${withIt.status}`);
        checked.push(name);
      }
    }
    expect(failures).toEqual([]);
    // Each listener has routes behind scopes, so the loop above is never vacuous.
    for (const listener of listeners) {
      expect(
        checked.some((name) => name.startsWith(`${listener.name} `)),
        listener.name,
      ).toBe(true);
    }
  });

  it('refuses what the issue found: an organizations:read key creates, lists and deletes nothing', async () => {
    const reader = only.get('organizations:read')!;
    const trieve = listeners.find((l) => l.name === 'trieve')!;
    const cvat = listeners.find((l) => l.name === 'cvat')!;
    const trieveHeaders = { ...bearer(reader), 'tr-organization': h.org.uuid };
    const created = await request(trieve.app, 'POST', '/api/invitation', {
      headers: trieveHeaders,
      body: {
        email: 'mallory@example.com',
        user_role: 2,
        app_url: 'http://rsvp.test',
        redirect_uri: 'http://rsvp.test/after',
      },
    });
    expect(created.status).toBe(403);
    expect(
      (await request(trieve.app, 'GET', `/api/invitations/${h.org.uuid}`, { headers: trieveHeaders })).status,
    ).toBe(403);
    const cvatCreate = await request(cvat.app, 'POST', `/api/invitations?org=${h.org.slug}`, {
      headers: cvat.credential(reader),
      body: { email: 'mallory@example.com', role: 'worker' },
    });
    expect(cvatCreate.status).toBe(403);
    const rows = await h.database.db
      .selectFrom('invitations')
      .select('id')
      .where('email', '=', 'mallory@example.com')
      .execute();
    expect(rows).toEqual([]);
  });

  it('metrics and the dev mailbox need instance:read from an instance admin credential', async () => {
    const native = listeners[0]!;
    for (const path of ['/metrics', '/dev/mailbox']) {
      const without = await request(native.app, 'GET', path, {
        headers: bearer(allBut.get('instance:read')!),
      });
      expect(refusedForScope(without, 'instance:read'), path).toBe(true);
      const withIt = await request(native.app, 'GET', path, { headers: bearer(only.get('instance:read')!) });
      expect(withIt.status, path).toBe(200);
    }
  });

  it('refuses at registration a route that declares no scope, on every kind of app', async () => {
    const dialect = createDialectApp({
      document: TRIEVE_DOCUMENT,
      errorBody: () => ({}),
      authenticate: async () => {},
    });
    expect(() =>
      // @ts-expect-error 'authenticated' without a scope is not a RouteAuth any more.
      dialect.get('/x', { config: { auth: 'authenticated' } }, async () => ({})),
    ).toThrow(/must declare auth/);
    expect(() => dialect.get('/y', async () => ({}))).toThrow(/must declare auth/);
    expect(() =>
      // @ts-expect-error an unknown scope is not a Scope.
      dialect.get('/z', { config: { auth: { scope: 'everything' } } }, async () => ({})),
    ).toThrow(/must declare auth/);
    // The native app applies the same check to every route (not only /v1).
    const probe = Fastify();
    probe.addHook('onRoute', (route) => declareRoute(probe, route));
    expect(() => probe.get('/dev/anything', async () => ({}))).toThrow(/must declare auth/);
    await dialect.close();
    await probe.close();
  });
});
