import { type Kysely, sql } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * One counter that every change to what an API key grants moves: a key revoked, expired,
 * rescoped or deleted, and any change to a user's identity, status or admin flag. Processes cache principals and compare this
 * counter on every request, so a change made by any process (or by hand) is seen at once.
 * The counter moves inside the changing transaction, so a reader sees the change and the new
 * count together. On PostgreSQL the trigger is deferred to commit: the row's lock is taken
 * last and held for the commit only, so it cannot join a deadlock.
 */
export const KEY_COLUMNS = 'revoked_at, expires_at, scopes, user_id, secret_hash';
// Not `seq` nor `updated_at` alone: SQLite numbers every new user by updating its `seq`, which
// would otherwise empty every cache on each invitation to a new address.
export const USER_COLUMNS =
  'id, email, email_canonical, username, display_name, password_hash, status, is_instance_admin, external_id';

export function authEpoch(engine: Engine) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('auth_epoch')
        .addColumn('id', 'integer', (c) => c.primaryKey())
        .addColumn('version', 'bigint', (c) => c.notNull())
        .execute();
      await sql`insert into auth_epoch (id, version) values (1, 1)`.execute(db);
      if (engine === 'postgres') {
        await sql
          .raw(
            'create function rsvp_bump_auth_epoch() returns trigger language plpgsql as ' +
              '$$ begin update auth_epoch set version = version + 1 where id = 1; return null; end $$',
          )
          .execute(db);
        for (const [name, event] of [
          ['api_keys_auth_epoch', `update of ${KEY_COLUMNS} or delete on api_keys`],
          ['users_auth_epoch', `update of ${USER_COLUMNS} or delete on users`],
        ] as const) {
          await sql
            .raw(
              `create constraint trigger ${name} after ${event} deferrable initially deferred ` +
                'for each row execute function rsvp_bump_auth_epoch()',
            )
            .execute(db);
        }
        return;
      }
      const bump = 'begin update auth_epoch set version = version + 1 where id = 1; end';
      for (const [name, event] of [
        ['api_keys_auth_epoch_update', `update of ${KEY_COLUMNS} on api_keys`],
        ['api_keys_auth_epoch_delete', 'delete on api_keys'],
        ['users_auth_epoch_update', `update of ${USER_COLUMNS} on users`],
        ['users_auth_epoch_delete', 'delete on users'],
      ] as const) {
        await sql.raw(`create trigger ${name} after ${event} ${bump}`).execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      if (engine === 'postgres') {
        await sql.raw('drop trigger if exists api_keys_auth_epoch on api_keys').execute(db);
        await sql.raw('drop trigger if exists users_auth_epoch on users').execute(db);
        await sql.raw('drop function if exists rsvp_bump_auth_epoch()').execute(db);
      } else {
        for (const name of [
          'api_keys_auth_epoch_update',
          'api_keys_auth_epoch_delete',
          'users_auth_epoch_update',
          'users_auth_epoch_delete',
        ]) {
          await sql.raw(`drop trigger if exists ${name}`).execute(db);
        }
      }
      await db.schema.dropTable('auth_epoch').execute();
    },
  };
}
