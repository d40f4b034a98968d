import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { type AppOptions, buildApp } from '../src/app.ts';
import { bootstrap } from '../src/bootstrap.ts';
import { type Database, openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { type InstanceKeys, loadInstanceKeys } from '../src/instance/instance-keys.ts';
import { ManualClock } from '../src/lib/clock.ts';
import type { Deps } from '../src/services.ts';
import { findUserById } from '../src/users/user.repository.ts';

export const ENGINE = process.env.RSVP_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
export const PG_ADMIN_URL = process.env.RSVP_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh, migrated database for one test file: in-memory SQLite, or a new PostgreSQL database. */
export async function freshDatabase(): Promise<{
  database: Database;
  url: string;
  drop: () => Promise<void>;
}> {
  if (ENGINE === 'sqlite') {
    const database = openDatabase({ url: ':memory:' });
    await migrateToLatest(database);
    return { database, url: ':memory:', drop: () => database.close() };
  }
  const name = `rsvp_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  const database = openDatabase({ url, poolSize: 20 });
  await migrateToLatest(database);
  return {
    database,
    url,
    drop: async () => {
      await database.close();
      await admin.unsafe(`drop database if exists ${name} with (force)`);
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
  org: { id: string; slug: string };
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
  const call: Harness['call'] = async (method, url, options = {}) => {
    const key = options.key === undefined ? boot.secret : options.key;
    const response = await app.inject({
      method: method as 'GET',
      url,
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...options.headers },
      ...(options.body !== undefined ? { payload: options.body as object } : {}),
    });
    let body: unknown = response.body;
    try {
      body = response.body ? JSON.parse(response.body) : null;
    } catch {}
    return { status: response.statusCode, body, headers: response.headers };
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
    org: { id: boot.organization.id, slug: boot.organization.slug },
    call,
    user,
    close: async () => {
      await app.close();
      await drop();
    },
  };
}
