import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfluentApp } from '../src/dialects/confluent/confluent.app.ts';
import { buildCvatApp } from '../src/dialects/cvat/cvat.app.ts';
import { buildTiledbApp } from '../src/dialects/tiledb/tiledb.app.ts';
import { buildTrieveApp } from '../src/dialects/trieve/trieve.app.ts';
import { WEBHOOK_EVENT_TYPES } from '../src/events/event.repository.ts';
import type { App } from '../src/http/app-types.ts';
import { declaredRoutes } from '../src/http/route-auth.ts';
import { type Harness, harness } from './helpers.ts';

// What a user of the API reference and of generated clients notices, read from the document the
// server serves at /openapi.json (the committed openapi.json is the same, `npm run openapi:check`).

// biome-ignore lint/suspicious/noExplicitAny: the documents are walked as loose JSON.
type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
const RATE_LIMIT_NAMES = ['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit-policy'];

/** Browser pages and the reference itself: HTML for people, not API operations. */
const NOT_OPERATIONS = new Set([
  'GET /openapi.json',
  'GET /docs',
  'GET /docs/scalar.js',
  'GET /invite',
  'POST /invite/sign-in',
  'POST /invite/sign-up',
  'POST /invite/sign-out',
  'POST /invite/accept',
  'POST /invite/decline',
  'GET /join',
  'POST /join/sign-in',
  'POST /join/sign-out',
  'POST /join',
  'GET /sign-up',
  'POST /sign-up/email',
  'POST /sign-up',
  'GET /dev/mailbox',
  'GET /dev/mailbox/:id',
  'POST /dev/mailbox/sign-in',
  'POST /dev/mailbox/sign-out',
  'GET /console',
  'GET /console/*',
]);

const openapiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');

function operations(document: Json) {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({
        path,
        method,
        operation: operation as Json,
        name: `${method} ${path}`,
      })),
  );
}

function resolver(document: Json) {
  return (value: Json | undefined): Json | undefined => {
    let current = value;
    while (current?.$ref) {
      current = (current.$ref as string)
        .slice(2)
        .split('/')
        .reduce((node: Json, key) => node?.[key], document);
    }
    return current;
  };
}

/** Does this media type show an example (its own, or its schema's, or a member's of a union)? */
function hasExample(media: Json, resolve: ReturnType<typeof resolver>): boolean {
  if (media.example !== undefined || media.examples) return true;
  const schema = resolve(media.schema);
  if (!schema) return false;
  if (schema.examples || schema.example !== undefined) return true;
  const members = (schema.anyOf ?? schema.oneOf ?? []) as Json[];
  return members.some((member) => {
    const resolved = resolve(member);
    return Boolean(resolved?.examples);
  });
}

describe('the OpenAPI document', () => {
  let h: Harness;
  let document: Json;
  let resolve: ReturnType<typeof resolver>;

  beforeAll(async () => {
    h = await harness({ app: { devMailbox: true } });
    const response = await h.app.inject('/openapi.json');
    expect(response.statusCode).toBe(200);
    document = response.json();
    resolve = resolver(document);
  });
  afterAll(() => h?.close());

  it('is OpenAPI 3.1 with contact, license, servers and described tags', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.info.contact).toBeTruthy();
    expect(document.info.license.identifier).toBe('Apache-2.0');
    expect(document.servers.length).toBeGreaterThan(0);
    const declared = new Set(document.tags.map((tag: Json) => tag.name));
    for (const tag of document.tags) expect(tag.description, tag.name).toBeTruthy();
    for (const { name, operation } of operations(document)) {
      for (const tag of operation.tags ?? []) expect(declared.has(tag), `${name}: tag ${tag}`).toBe(true);
    }
  });

  it('lists every API route the server registers, and nothing it does not', () => {
    const served = declaredRoutes(h.app)
      .map((route) => `${route.method} ${route.url}`)
      .filter((route) => !NOT_OPERATIONS.has(route));
    const documented = operations(document).map(({ method, path }) => `${method.toUpperCase()} ${path}`);
    expect(documented.sort()).toEqual([...new Set(served.map((r) => openapiPath(r)))].sort());
  });

  it('gives every operation an id, a summary, a description and a tag', () => {
    const ids = new Set<string>();
    for (const { name, operation } of operations(document)) {
      expect(operation.operationId, name).toMatch(/^[a-zA-Z]+$/);
      expect(ids.has(operation.operationId), name).toBe(false);
      ids.add(operation.operationId);
      expect(operation.summary, name).toBeTruthy();
      expect(operation.description?.length ?? 0, name).toBeGreaterThan(20);
      expect(operation.tags?.length, name).toBe(1);
    }
  });

  it('shows an example on every request body and every response with a body, and no "Default Response"', () => {
    for (const { name, operation } of operations(document)) {
      for (const [type, media] of Object.entries((operation.requestBody?.content ?? {}) as Json)) {
        expect(hasExample(media, resolve), `${name} request ${type}`).toBe(true);
        // On the media itself, where "try it" and generators look first.
        expect(media.example ?? media.examples, `${name} request ${type} example`).toBeDefined();
      }
      for (const [status, raw] of Object.entries(operation.responses as Json)) {
        const response = resolve(raw)!;
        expect(response.description, `${name} ${status}`).not.toBe('Default Response');
        for (const [type, media] of Object.entries((response.content ?? {}) as Json)) {
          expect(hasExample(media, resolve), `${name} ${status} ${type}`).toBe(true);
        }
      }
    }
  });

  it('documents errors as application/problem+json, as the server sends them', async () => {
    for (const { name, path, operation } of operations(document)) {
      for (const [status, raw] of Object.entries(operation.responses as Json)) {
        if (Number(status) < 400) continue;
        const content = resolve(raw)!.content as Json;
        // OAuth's token endpoint answers RFC 6749 errors; /readyz its own status body.
        if (path === '/oauth/token' || path === '/readyz') continue;
        expect(Object.keys(content), `${name} ${status}`).toEqual(['application/problem+json']);
        expect(content['application/problem+json'].schema.$ref).toBe('#/components/schemas/Problem');
      }
    }
    const missing = await h.call('GET', '/v1/organizations/org_nope');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(document.components.schemas.Problem.properties.code.enum).toContain(missing.body.code);
  });

  it('marks a body the server does without as optional (resend, template preview)', async () => {
    const resend = document.paths['/v1/organizations/{org_id}/invitations/{invitation_id}/resend'].post;
    expect(resend.requestBody.required).toBe(false);
    const created = await h.call('POST', `/v1/organizations/${h.org.slug}/invitations`, {
      body: { email: 'no-body-resend@example.com', send_email: false },
    });
    const resent = await h.app.inject({
      method: 'POST',
      url: `/v1/organizations/${h.org.slug}/invitations/${created.body.id}/resend`,
      headers: { authorization: `Bearer ${h.adminKey}` },
    });
    expect(resent.statusCode).toBe(200);
    const required = operations(document)
      .filter(({ operation }) => operation.requestBody?.required)
      .map(({ name }) => name);
    expect(required).not.toContain('post /v1/organizations/{org_id}/invitations/{invitation_id}/resend');
  });

  it('says who may call what: preview is public, others name their scope and answer 401, 403 and 429', () => {
    const preview = document.paths['/v1/invitations/preview'].post;
    expect(preview.security).toEqual([]);
    expect(preview.responses['401']).toBeUndefined();
    expect(preview.responses['429']).toBeTruthy();
    for (const route of declaredRoutes(h.app)) {
      const operation = document.paths[openapiPath(route.url)]?.[route.method.toLowerCase()];
      if (!operation) continue;
      if (route.auth === 'public') {
        expect(operation['x-required-scope'], route.url).toBeUndefined();
        continue;
      }
      expect(operation.security, route.url).toBeUndefined();
      expect(operation['x-required-scope'], route.url).toBe(route.auth.scope);
      for (const status of ['401', '403', '429', '503'])
        expect(operation.responses[status], `${route.url} ${status}`).toBeTruthy();
    }
  });

  it('documents Idempotency-Key, the RateLimit headers, Retry-After, ETag and Location where the server uses them', async () => {
    const tooMany = resolve(document.components.responses.TooManyRequests)!;
    for (const header of [
      'Retry-After',
      'RateLimit-Limit',
      'RateLimit-Remaining',
      'RateLimit-Reset',
      'RateLimit-Policy',
    ])
      expect(tooMany.headers[header], header).toBeTruthy();
    for (const { name, method, operation } of operations(document)) {
      const parameters = (operation.parameters ?? []).map((p: Json) => resolve(p)!.name);
      const writes = (method === 'post' || method === 'patch') && operation['x-required-scope'];
      expect(parameters.includes('Idempotency-Key'), name).toBe(Boolean(writes));
      for (const [status, raw] of Object.entries(operation.responses as Json)) {
        expect(resolve(raw)!.headers?.['X-Request-Id'], `${name} ${status}`).toBeTruthy();
        if (status === '201') expect(resolve(raw)!.headers.Location, name).toBeTruthy();
      }
    }
    const read = document.paths['/v1/organizations/{org_id}'];
    expect(read.get.responses['200'].headers.ETag).toBeTruthy();
    expect(read.patch.parameters.map((p: Json) => resolve(p)!.name)).toContain('if-match');
    expect(read.patch.responses['412']).toBeTruthy();

    // And the server does send them.
    const created = await h.call('POST', '/v1/organizations', {
      body: { slug: 'docs-check', name: 'Docs check' },
      headers: { 'idempotency-key': 'docs-check-1' },
    });
    expect(created.status).toBe(201);
    expect(created.headers.location).toMatch(/^\/v1\/organizations\//);
    expect(created.headers['x-request-id']).toBeTruthy();
    const replay = await h.call('POST', '/v1/organizations', {
      body: { slug: 'docs-check', name: 'Docs check' },
      headers: { 'idempotency-key': 'docs-check-1' },
    });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect((await h.call('GET', '/v1/organizations/docs-check')).headers.etag).toBeTruthy();
  });

  it('declares every header the server sends on invitation answers and on a refused password', async () => {
    const SENT = ['etag', 'location', 'retry-after', 'idempotent-replayed', ...RATE_LIMIT_NAMES];
    const undeclared = (template: string, method: string, status: number, headers: Json) => {
      const response = resolve(document.paths[template][method].responses[String(status)]);
      expect(response, `${method} ${template} ${status} is documented`).toBeTruthy();
      const declared = Object.keys(response!.headers ?? {}).map((name) => name.toLowerCase());
      return SENT.filter((name) => headers[name] !== undefined && !declared.includes(name));
    };
    const list = '/v1/organizations/{org_id}/invitations';
    const one = `${list}/{invitation_id}`;
    const created = await h.call('POST', `/v1/organizations/${h.org.slug}/invitations`, {
      body: { email: 'headers@example.com', send_email: false },
    });
    expect([created.status, created.headers.etag === undefined]).toEqual([201, false]);
    expect(undeclared(list, 'post', 201, created.headers)).toEqual([]);
    const again = await h.call('POST', `/v1/organizations/${h.org.slug}/invitations`, {
      body: { email: 'headers@example.com', send_email: false },
    });
    expect([again.status, again.headers.location === undefined]).toEqual([409, false]);
    expect(undeclared(list, 'post', 409, again.headers)).toEqual([]);
    const path = `/v1/organizations/${h.org.slug}/invitations/${created.body.id}`;
    const read = await h.call('GET', path);
    expect(undeclared(one, 'get', 200, read.headers)).toEqual([]);
    const patched = await h.call('PATCH', path, { body: { role: 'admin' } });
    expect(undeclared(one, 'patch', patched.status, patched.headers)).toEqual([]);
    const resent = await h.call('POST', `${path}/resend`, { body: {} });
    expect(undeclared(`${one}/resend`, 'post', resent.status, resent.headers)).toEqual([]);
    const revoked = await h.call('POST', `${path}/revoke`);
    expect(undeclared(`${one}/revoke`, 'post', revoked.status, revoked.headers)).toEqual([]);
    // A wrong password counts against the sign-in limits, and says so in the RateLimit headers.
    const refused = await h.app.inject({
      method: 'GET',
      url: `/v1/organizations/${h.org.slug}/invitations`,
      headers: { authorization: `Basic ${Buffer.from('owner@acme.test:wrong password').toString('base64')}` },
    });
    expect([refused.statusCode, refused.headers['ratelimit-remaining'] === undefined]).toEqual([401, false]);
    expect(undeclared(list, 'get', 401, refused.headers)).toEqual([]);
  });

  it('describes the webhook messages under `webhooks`, one per event type and the test, with the signature headers', () => {
    expect(Object.keys(document.webhooks).sort()).toEqual([...WEBHOOK_EVENT_TYPES, 'webhook.test'].sort());
    for (const [type, item] of Object.entries(document.webhooks as Json)) {
      const operation = item.post;
      expect(operation.description, type).toBeTruthy();
      const headers = operation.parameters.map((p: Json) => p.name);
      expect(headers).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
      const schema = resolve(operation.requestBody.content['application/json'].schema)!;
      expect(schema.properties.type.const, type).toBe(type);
      expect(schema.examples[0].type, type).toBe(type);
    }
  });
});

describe('each dialect listener publishes its own OpenAPI document', () => {
  let h: Harness;
  const listeners: [string, App][] = [];

  beforeAll(async () => {
    h = await harness();
    const deps = { publicUrl: 'http://rsvp.test' };
    listeners.push(
      ['TileDB', buildTiledbApp(h.services)],
      ['Trieve', buildTrieveApp(h.services, deps)],
      [
        'CVAT',
        buildCvatApp(h.services, {
          keyMac: h.keys.pageTokenSigning,
          sessionKey: h.keys.sessionSigning,
          clock: h.clock,
          ...deps,
          listenerUrl: 'http://cvat.rsvp.test',
        }),
      ],
      [
        'Confluent',
        buildConfluentApp(h.services, {
          pageTokenKey: h.keys.pageTokenSigning,
          listenerUrl: 'http://c.rsvp.test',
        }),
      ],
    );
  });
  afterAll(async () => {
    for (const [, app] of listeners) await app.close();
    await h?.close();
  });

  it('at GET /openapi.json, without credentials: OpenAPI 3.1 listing every route the listener serves', async () => {
    for (const [name, app] of listeners) {
      const response = await app.inject('/openapi.json');
      expect(response.statusCode, name).toBe(200);
      expect(response.headers['content-type'], name).toMatch(/^application\/json/);
      const document = response.json();
      expect(document.openapi, name).toBe('3.1.0');
      expect(document.info.title, name).toContain(name);
      // Paths that differ only in their parameters' names share one path item, named `a_or_b`.
      const shape = (path: string) => path.replace(/\{[^}]+\}/g, '{}');
      const served = declaredRoutes(app)
        .map((route) => `${route.method} ${openapiPath(route.url)}`)
        .filter((route) => !NOT_OPERATIONS.has(route))
        .map(shape);
      const documented = operations(document).map(({ method, path }) =>
        shape(`${method.toUpperCase()} ${path}`),
      );
      expect(documented.sort(), name).toEqual([...new Set(served)].sort());
      for (const { operation } of operations(document)) {
        expect(operation.responses.default.content, name).toBeTruthy();
      }
      expect((await app.inject('/docs')).statusCode, name).toBe(200);
    }
  });
});
