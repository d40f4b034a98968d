import { type Kysely, sql } from 'kysely';
import type { Engine } from '../database.ts';
import { KEY_COLUMNS, USER_COLUMNS } from './011_auth_epoch.ts';

/**
 * A second counter beside the auth epoch (row 2 of `auth_epoch`), moved by every change to who
 * may act in an organization and how: a membership added, changed or removed, an organization
 * changed or deleted. Processes keep an API key's organization access between its requests and
 * compare this counter on every request, read in the same statement as the auth epoch, so a
 * member removed or demoted by any process (or by hand) loses that access on the next request.
 * As with migration 011, the counter moves inside the changing transaction (on PostgreSQL at its
 * commit, the row's lock taken last).
 *
 * Both counters now move to the current time in milliseconds when that is ahead of the next
 * number, so a counter set back (a backup restored under running processes) does not climb
 * back through values a process still holds memories of: its next move lands past them. On
 * PostgreSQL, TRUNCATE (which fires no row trigger) moves them too.
 */
const NOW_MS = {
  postgres: '(extract(epoch from clock_timestamp()) * 1000)::bigint',
  sqlite: "cast((julianday('now') - 2440587.5) * 86400000 as integer)",
} as const;
const bumpTo = (engine: Engine, id: 1 | 2) =>
  `update auth_epoch set version = ${engine === 'postgres' ? 'greatest' : 'max'}(version + 1, ${NOW_MS[engine]}) where id = ${id}`;
const plainBump = (id: 1 | 2) => `update auth_epoch set version = version + 1 where id = ${id}`;

const pgFunction = (name: string, body: string) =>
  sql.raw(
    `create or replace function ${name}() returns trigger language plpgsql as $$ begin ${body}; return null; end $$`,
  );

/** Migration 011's SQLite triggers, whose bodies this migration changes. */
const AUTH_TRIGGERS_SQLITE = [
  ['api_keys_auth_epoch_update', `update of ${KEY_COLUMNS} on api_keys`],
  ['api_keys_auth_epoch_delete', 'delete on api_keys'],
  ['users_auth_epoch_update', `update of ${USER_COLUMNS} on users`],
  ['users_auth_epoch_delete', 'delete on users'],
] as const;
const ACCESS_TRIGGERS_SQLITE = [
  ['memberships_access_epoch_insert', 'insert on memberships'],
  ['memberships_access_epoch_update', 'update on memberships'],
  ['memberships_access_epoch_delete', 'delete on memberships'],
  ['organizations_access_epoch_update', 'update on organizations'],
  ['organizations_access_epoch_delete', 'delete on organizations'],
] as const;
const ACCESS_TRIGGERS_PG = [
  ['memberships_access_epoch', 'insert or update or delete on memberships'],
  ['organizations_access_epoch', 'update or delete on organizations'],
] as const;
const TRUNCATE_TRIGGERS_PG = [
  ['api_keys_auth_epoch_truncate', 'api_keys', 'rsvp_bump_auth_epoch'],
  ['users_auth_epoch_truncate', 'users', 'rsvp_bump_auth_epoch'],
  ['memberships_access_epoch_truncate', 'memberships', 'rsvp_bump_access_epoch'],
  ['organizations_access_epoch_truncate', 'organizations', 'rsvp_bump_access_epoch'],
] as const;

async function upPostgres(db: Kysely<unknown>) {
  await pgFunction('rsvp_bump_auth_epoch', bumpTo('postgres', 1)).execute(db);
  await pgFunction('rsvp_bump_access_epoch', bumpTo('postgres', 2)).execute(db);
  for (const [name, event] of ACCESS_TRIGGERS_PG) {
    await sql
      .raw(
        `create constraint trigger ${name} after ${event} deferrable initially deferred ` +
          'for each row execute function rsvp_bump_access_epoch()',
      )
      .execute(db);
  }
  for (const [name, table, fn] of TRUNCATE_TRIGGERS_PG) {
    await sql
      .raw(`create trigger ${name} after truncate on ${table} for each statement execute function ${fn}()`)
      .execute(db);
  }
}

async function downPostgres(db: Kysely<unknown>) {
  for (const [name, table] of TRUNCATE_TRIGGERS_PG)
    await sql.raw(`drop trigger if exists ${name} on ${table}`).execute(db);
  await sql.raw('drop trigger if exists memberships_access_epoch on memberships').execute(db);
  await sql.raw('drop trigger if exists organizations_access_epoch on organizations').execute(db);
  await sql.raw('drop function if exists rsvp_bump_access_epoch()').execute(db);
  await pgFunction('rsvp_bump_auth_epoch', plainBump(1)).execute(db);
}

async function sqliteTriggers(
  db: Kysely<unknown>,
  triggers: readonly (readonly [string, string])[],
  body: string | null,
) {
  for (const [name, event] of triggers) {
    await sql.raw(`drop trigger if exists ${name}`).execute(db);
    if (body !== null) await sql.raw(`create trigger ${name} after ${event} begin ${body}; end`).execute(db);
  }
}

export function accessEpoch(engine: Engine) {
  return {
    async up(db: Kysely<unknown>) {
      await sql`insert into auth_epoch (id, version) values (2, 1)`.execute(db);
      if (engine === 'postgres') return upPostgres(db);
      await sqliteTriggers(db, AUTH_TRIGGERS_SQLITE, bumpTo('sqlite', 1));
      await sqliteTriggers(db, ACCESS_TRIGGERS_SQLITE, bumpTo('sqlite', 2));
    },
    async down(db: Kysely<unknown>) {
      if (engine === 'postgres') await downPostgres(db);
      else {
        await sqliteTriggers(db, ACCESS_TRIGGERS_SQLITE, null);
        await sqliteTriggers(db, AUTH_TRIGGERS_SQLITE, plainBump(1));
      }
      await sql`delete from auth_epoch where id = 2`.execute(db);
    },
  };
}
