import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type AppOptions, buildApp } from '../src/app.ts';
import { bootstrap } from '../src/bootstrap.ts';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { createDelivery, type Delivery } from '../src/delivery/delivery.ts';
import { buildCvatApp } from '../src/dialects/cvat/cvat.app.ts';
import { type InstanceKeys, loadInstanceKeys } from '../src/instance/instance-keys.ts';
import { ManualClock, systemClock } from '../src/lib/clock.ts';
import type { Deps } from '../src/services.ts';
import { findUserById } from '../src/users/user.repository.ts';

export const ENGINE = process.env.RSVP_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
export const PG_ADMIN_URL = process.env.RSVP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh, migrated database for one test file: in-memory SQLite, or a new PostgreSQL database. */
export async function freshDatabase(options: { shared?: boolean } = {}): Promise<{
  database: Database;
  url: string;
  drop: () => Promise<void>;
}> {
  if (ENGINE === 'sqlite') {
    // In memory, unless another process (a spawned `rsvp serve`) must open it too.
    const dir = options.shared ? mkdtempSync(join(tmpdir(), 'rsvp-test-')) : undefined;
    const url = dir ? join(dir, 'rsvp.db') : ':memory:';
    const database = openDatabase({ url });
    await migrateToLatest(database);
    return {
      database,
      url,
      drop: async () => {
        await database.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const name = `rsvp_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  admin.on('error', () => {});
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const database = openDatabase({ url, poolSize: 20 });
  await migrateToLatest(database);
  return {
    database,
    url,
    drop: async () => {
      await database.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

export interface Harness {
  keys: InstanceKeys;
  app: Awaited<ReturnType<typeof buildApp>>['app'];
  services: Awaited<ReturnType<typeof buildApp>>['services'];
  database: Database;
  clock: ManualClock;
  /** The bootstrap admin's API key, owner of `org`. */
  adminKey: string;
  /** The bootstrap organization, with the ids the dialects use (Trieve's uuid, CVAT's number). */
  org: OrganizationIds & { slug: string };
  close: () => Promise<void>;
  call: (
    method: string,
    url: string,
    options?: { key?: string | null; body?: unknown; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies as loose JSON.
  ) => Promise<{ status: number; body: any; headers: import('node:http').OutgoingHttpHeaders }>;
  /** A user with a password and an API key, optionally a member of `org` with a role. */
  user: (email: string, role?: string) => Promise<{ id: string; key: string; email: string }>;
}

export async function harness(options: { deps?: Partial<Deps>; app?: AppOptions } = {}): Promise<Harness> {
  const { database, drop } = await freshDatabase();
  const clock = new ManualClock(new Date('2026-11-23T12:00:00.000Z'));
  const keys = await loadInstanceKeys(database, undefined);
  const { app, services } = await buildApp(
    { database, keys, clock, publicUrl: 'http://rsvp.test', ...options.deps },
    options.app,
  );
  await app.ready();
  const boot = await bootstrap(database, services, {
    email: 'owner@acme.test',
    password: 'owner-password',
    displayName: 'Olive Owner',
    organizationSlug: 'acme',
    organizationName: 'Acme',
  });
  const call: Harness['call'] = (method, url, options = {}) => {
    const key = options.key === undefined ? boot.secret : options.key;
    return request(app, method, url, {
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers },
      body: options.body,
    });
  };
  const user: Harness['user'] = async (email, role) => {
    const created = await call('POST', '/v1/users', { body: { email, password: 'correct horse battery' } });
    if (created.status !== 201) throw new Error(`user: ${JSON.stringify(created.body)}`);
    const record = (await findUserById(database.db, created.body.id))!;
    const principal = { method: 'operator' as const, user: record, apiKeyId: null, scopes: 'all' as const };
    const { secret } = await services.apiKeys.create(principal, created.body.id, { name: 'test' });
    if (role) {
      await database.db
        .insertInto('memberships')
        .values({
          organization_id: boot.organization.id,
          user_id: created.body.id,
          role,
          created_at: clock.now(),
          updated_at: clock.now(),
        })
        .execute();
    }
    return { id: created.body.id, key: secret, email };
  };
  return {
    keys,
    app,
    services,
    database,
    clock,
    adminKey: boot.secret,
    org: { ...(await organizationIds(database, { id: boot.organization.id })), slug: boot.organization.slug },
    call,
    user,
    close: async () => {
      await app.close();
      await drop();
    },
  };
}

export interface OrganizationIds {
  id: string;
  uuid: string;
  seq: number;
}

/** An organization's three ids (native `org_…`, Trieve/Confluent uuid, CVAT/TileDB number). */
export async function organizationIds(
  database: Database,
  where: { id: string } | { slug: string },
): Promise<OrganizationIds> {
  const [column, value] = 'id' in where ? (['id', where.id] as const) : (['slug', where.slug] as const);
  const row = await database.db
    .selectFrom('organizations')
    .select(['id', 'uuid', 'seq'])
    .where(column, '=', value)
    .executeTakeFirstOrThrow();
  return { id: row.id, uuid: row.uuid, seq: Number(row.seq) };
}

/** The CVAT listener over a harness's services, as `main.ts` builds it (not yet ready). */
export function cvatAppFor(h: Harness, listenerUrl = 'https://cvat.rsvp.test') {
  return buildCvatApp(h.services, {
    keyMac: h.keys.pageTokenSigning,
    sessionKey: h.keys.sessionSigning,
    clock: h.clock,
    publicUrl: 'http://rsvp.test',
    listenerUrl,
  });
}

/**
 * A request injected into any of the apps (native or dialect); the body comes back parsed as
 * JSON when it is JSON, as text otherwise.
 */
export async function request(
  app: { inject: Awaited<ReturnType<typeof buildApp>>['app']['inject'] },
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: unknown } = {},
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies as loose JSON.
): Promise<{ status: number; body: any; headers: import('node:http').OutgoingHttpHeaders }> {
  const response = await app.inject({
    method: method as 'GET',
    url,
    headers: options.headers ?? {},
    ...(options.body !== undefined ? { payload: options.body as object } : {}),
  });
  let body: unknown = response.body;
  try {
    body = response.body ? JSON.parse(response.body) : null;
  } catch {}
  return { status: response.statusCode, body, headers: response.headers };
}

/** A port free on loopback right now, for servers a test starts itself. */
export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export const quietLogger = { info() {}, warn() {}, error() {} };

/**
 * The harness's outbox worker and sweeper: SMTP to `smtpUrl`, or the capture mailbox without
 * one. Tests drive them by hand (`worker.drain()`, `sweeper.runOnce()`).
 */
export function deliveryFor(
  h: Harness,
  options: { smtpUrl?: string; publicUrl?: string; mailFrom?: string; allowPrivateWebhooks?: boolean } = {},
): Delivery {
  return createDelivery({
    database: h.database,
    clock: h.clock,
    keys: h.keys,
    logger: quietLogger,
    config: {
      smtp: options.smtpUrl
        ? { url: options.smtpUrl, requireTls: false, rejectUnauthorized: true, timeoutMs: 5000 }
        : undefined,
      mailFrom: options.mailFrom ?? 'rsvp <no-reply@rsvp.test>',
      publicUrl: options.publicUrl ?? 'http://rsvp.test',
      allowPrivateWebhooks: options.allowPrivateWebhooks ?? false,
      outboxPollMs: 50,
      outboxLeaseMs: 60_000,
      sweepIntervalMs: 60_000,
    },
  });
}

/**
 * For a database that spawned `rsvp serve` processes share with the test: the owner of `acme`
 * and their API key, made in process. Returns the key.
 */
export async function bootstrapShared(database: Database): Promise<string> {
  const keys = await loadInstanceKeys(database, undefined);
  const { services } = await buildApp({ database, keys, clock: systemClock, publicUrl: 'http://rsvp.test' });
  const { secret } = await bootstrap(database, services, {
    email: 'owner@acme.test',
    organizationSlug: 'acme',
    organizationName: 'Acme',
  });
  return secret;
}

/** Waits until a spawned server answers `/readyz`. */
export async function waitUntilReady(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`${url} did not become ready`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
