import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfluentApp } from '../src/dialects/confluent/confluent.app.ts';
import { buildTiledbApp } from '../src/dialects/tiledb/tiledb.app.ts';
import { buildTrieveApp } from '../src/dialects/trieve/trieve.app.ts';
import type { App } from '../src/http/app-types.ts';
import { cvatAppFor, type Harness, harness, request } from './helpers.ts';

// What someone generating a client from a dialect listener's GET /openapi.json gets: documents
// both linters pass (run as CI runs them, on files), operations with names, tags and bodies, types
// from openapi-typescript with request and response bodies, and schemas the real replies match.

// biome-ignore lint/suspicious/noExplicitAny: the documents are walked as loose JSON.
type Json = Record<string, any>;
const run = promisify(execFile);
const bin = (name: string) => join('node_modules', '.bin', name);
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];
/** Where `npm run openapi:lint` writes them: redocly-dialects.yaml names these files. */
const DIRECTORY = 'dialect-openapi';
/** TileDB v4's creates answer 201 with no body at all (its spec's "void"). */
const EMPTY_SUCCESSES = new Set(['post /v4/invitations 201', 'post /v4/invitations/admin/{workspace} 201']);

function operations(document: Json) {
  return Object.entries(document.paths as Json).flatMap(([path, item]) =>
    Object.entries(item as Json)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]) => ({ path, method, operation: operation as Json })),
  );
}

/** A validator for one documented response body, its `$ref`s resolved in the document. */
function validatorFor(document: Json, path: string, method: string, status: string) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(
    JSON.parse(JSON.stringify(document).replaceAll('"#/components/', '"doc#/components/')),
    'doc',
  );
  const content = document.paths[path][method].responses[status].content;
  const schema = (Object.values(content)[0] as Json).schema;
  const validate = ajv.compile(
    JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')),
  );
  return (body: unknown) => (validate(body) ? [] : validate.errors);
}

describe('dialect OpenAPI documents', () => {
  let h: Harness;
  const apps: Record<string, App> = {};
  const documents: Record<string, Json> = {};

  beforeAll(async () => {
    h = await harness();
    apps.tiledb = buildTiledbApp(h.services);
    apps.trieve = buildTrieveApp(h.services, { publicUrl: 'http://rsvp.test' });
    apps.cvat = cvatAppFor(h);
    apps.confluent = buildConfluentApp(h.services, {
      pageTokenKey: h.keys.pageTokenSigning,
      listenerUrl: 'https://confluent.rsvp.test',
    });
    mkdirSync(DIRECTORY, { recursive: true });
    for (const [name, app] of Object.entries(apps)) {
      documents[name] = (await app.inject('/openapi.json')).json();
      writeFileSync(join(DIRECTORY, `${name}.json`), JSON.stringify(documents[name], null, 2));
    }
  });
  afterAll(async () => {
    for (const app of Object.values(apps)) await app.close();
    await h?.close();
  });

  it('pass Redocly (recommended-strict) and Spectral (spectral:oas) with nothing at warn level', async () => {
    for (const name of Object.keys(apps)) {
      const file = join(DIRECTORY, `${name}.json`);
      const env = { ...process.env, REDOCLY_SUPPRESS_NOTIFICATIONS: 'true' };
      const redocly = await run(bin('redocly'), ['lint', file, '--config', 'redocly-dialects.yaml'], {
        env,
      }).catch((error) => ({
        stdout: error.stdout as string,
        stderr: `${error.stderr}\n(exit ${error.code})`,
      }));
      expect(redocly.stderr, name).toContain('Your API description is valid');
      expect(redocly.stderr, name).not.toMatch(/warning|error/i);
      const spectral = await run(bin('spectral'), [
        'lint',
        file,
        '--ruleset',
        '.spectral.yaml',
        '--fail-severity=warn',
      ]).catch((error) => ({
        stdout: `${error.stdout}\n(exit ${error.code})`,
        stderr: error.stderr as string,
      }));
      expect(spectral.stdout, name).toContain('No results with a severity of');
    }
  }, 120_000);

  it('name, summarize, describe and tag every operation, with a body schema for every success that has a body', () => {
    for (const [name, document] of Object.entries(documents)) {
      const ids = new Set<string>();
      const tags = new Set(document.tags.map((tag: Json) => tag.name));
      for (const { path, method, operation } of operations(document)) {
        const at = `${name}: ${method} ${path}`;
        expect(operation.operationId, at).toMatch(/^[A-Za-z][A-Za-z0-9_.]*$/);
        expect(ids.has(operation.operationId), at).toBe(false);
        ids.add(operation.operationId);
        expect(operation.summary, at).toBeTruthy();
        expect(operation.description, at).toBeTruthy();
        expect(operation.tags?.length, at).toBe(1);
        expect(tags.has(operation.tags[0]), at).toBe(true);
        const successes = Object.entries(operation.responses as Json).filter(([status]) => /^2/.test(status));
        expect(successes.length + (operation.responses['303'] ? 1 : 0), at).toBeGreaterThan(0);
        for (const [status, response] of successes) {
          if (status === '204' || EMPTY_SUCCESSES.has(`${method} ${path} ${status}`)) {
            expect(response.content, `${at} ${status}`).toBeUndefined();
            continue;
          }
          const [media] = Object.values(response.content ?? {}) as Json[];
          expect(media?.schema, `${at} ${status}`).toBeTruthy();
          expect(media?.example, `${at} ${status}`).toBeDefined();
        }
      }
      // Only what the document uses: none of the native API's ~180 components.
      expect(Object.keys(document.components.schemas).length, name).toBeLessThan(12);
    }
  });

  it('give openapi-typescript request and response bodies (CVAT’s hand-parsed create and change included)', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'rsvp-dialect-types-'));
    const types: Record<string, string> = {};
    for (const name of Object.keys(apps)) {
      const out = join(directory, `${name}.ts`);
      // From elsewhere, as a user of the listener runs it: in this repository it would take
      // redocly.yaml's rules, meant for the native document.
      await run(resolve(bin('openapi-typescript')), [resolve(DIRECTORY, `${name}.json`), '-o', out], {
        cwd: directory,
      });
      types[name] = readFileSync(out, 'utf8');
    }
    const block = (text: string, operationId: string) => {
      const start = text.indexOf(`\n    ${operationId}: {\n`);
      expect(start, operationId).toBeGreaterThan(-1);
      const end = text.slice(start + 1).search(/\n {4}[A-Za-z][A-Za-z0-9_.]*: \{\n/);
      return text.slice(start, end === -1 ? undefined : start + 1 + end);
    };
    const create = block(types.cvat!, 'invitations_create');
    expect(create).not.toContain('requestBody?: never');
    expect(create).toMatch(/"application\/json": components\["schemas"\]\["InvitationWriteRequest"\]/);
    expect(create).toMatch(/"multipart\/form-data": components\["schemas"\]\["InvitationWriteRequest"\]/);
    expect(create).toMatch(
      /201: \{[\s\S]*"application\/vnd\.cvat\+json": components\["schemas"\]\["InvitationRead"\]/,
    );
    expect(block(types.cvat!, 'invitations_partial_update')).not.toContain('requestBody?: never');
    expect(block(types.trieve!, 'get_invitations')).toContain('components["schemas"]["Invitation"][]');
    expect(block(types.confluent!, 'createIamV2Invitation')).toMatch(/201: \{[\s\S]*"iam\.v2\.Invitation"/);
    expect(block(types.tiledb!, 'fetch_invitations')).toContain('components["schemas"]["InvitationData"]');
    for (const [name, document] of Object.entries(documents)) {
      for (const { operation } of operations(document)) {
        if (operation.requestBody)
          expect(block(types[name]!, operation.operationId), operation.operationId).not.toContain(
            'requestBody?: never',
          );
      }
    }
  }, 120_000);

  it('describe the bodies the routes really answer with', async () => {
    const check = (name: string, path: string, method: string, status: string, reply: Json) => {
      expect(reply.status, `${name} ${method} ${path}`).toBe(Number(status));
      expect(
        validatorFor(documents[name]!, path, method, status)(reply.body),
        `${name} ${method} ${path}`,
      ).toEqual([]);
    };
    const tiledb = { 'x-tiledb-rest-api-key': h.adminKey };
    const joined = await request(apps.tiledb!, 'POST', '/v1/invitations/acme/join', {
      headers: tiledb,
      body: { invitee_email: ['tess@example.com'], organization_role: 'read_write' },
    });
    expect(joined.status).toBe(204);
    const v1 = await request(apps.tiledb!, 'GET', '/v1/invitations?organization=acme', { headers: tiledb });
    expect(v1.body.invitations.length).toBeGreaterThan(0);
    check('tiledb', '/v1/invitations', 'get', '200', v1);
    const workspace = `ws_${h.org.id.slice(4)}`;
    const v4 = await request(apps.tiledb!, 'GET', `/v4/invitations/admin/${workspace}`, { headers: tiledb });
    expect(v4.body.data.length).toBeGreaterThan(0);
    check('tiledb', '/v4/invitations/admin/{workspace}', 'get', '200', v4);

    const trieve = { authorization: `Bearer ${h.adminKey}`, 'tr-organization': h.org.uuid };
    const invited = await request(apps.trieve!, 'POST', '/api/invitation', {
      headers: trieve,
      body: {
        email: 'trudy@example.com',
        user_role: 0,
        app_url: 'http://rsvp.test/api',
        redirect_uri: 'http://rsvp.test/dashboard',
      },
    });
    expect(invited.status).toBe(204);
    const list = await request(apps.trieve!, 'GET', `/api/invitations/${h.org.uuid}`, { headers: trieve });
    expect(list.body.length).toBeGreaterThan(0);
    check('trieve', '/api/invitations/{organization_id}', 'get', '200', list);

    const cvat = { authorization: `Token ${h.adminKey}`, 'x-organization': 'acme' };
    const created = await request(apps.cvat!, 'POST', '/api/invitations', {
      headers: cvat,
      body: { role: 'worker', email: 'carl@example.com' },
    });
    check('cvat', '/api/invitations', 'post', '201', created);
    check(
      'cvat',
      '/api/invitations',
      'get',
      '200',
      await request(apps.cvat!, 'GET', '/api/invitations', { headers: cvat }),
    );

    const key = await h.call('POST', '/v1/api-keys', { body: { name: 'confluent' } });
    const confluent = {
      authorization: `Basic ${Buffer.from(`${key.body.id}:${key.body.secret}`).toString('base64')}`,
    };
    const sent = await request(apps.confluent!, 'POST', '/iam/v2/invitations', {
      headers: confluent,
      body: { email: 'cora@example.com' },
    });
    check('confluent', '/iam/v2/invitations', 'post', '201', sent);
    check(
      'confluent',
      '/iam/v2/invitations',
      'get',
      '200',
      await request(apps.confluent!, 'GET', '/iam/v2/invitations', { headers: confluent }),
    );
    const creator = await request(apps.confluent!, 'GET', `/iam/v2/users/${sent.body.creator.id}`, {
      headers: confluent,
    });
    check('confluent', '/iam/v2/users/{id}', 'get', '200', creator);
  });
});
