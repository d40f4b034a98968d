import { type Kysely, sql } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * A second counter beside the auth epoch (row 2 of `auth_epoch`), moved by every change to who
 * may act in an organization and how: a membership added, changed or removed, an organization
 * changed or deleted. Processes keep an API key's organization access between its requests and
 * compare this counter on every request, read in the same statement as the auth epoch, so a
 * member removed or demoted by any process (or by hand) loses that access on the next request.
 * As with migration 011, the counter moves inside the changing transaction (on PostgreSQL at its
 * commit, the row's lock taken last).
 */
const TRIGGERS = {
  postgres: [
    ['memberships_access_epoch', 'insert or update or delete on memberships'],
    ['organizations_access_epoch', 'update or delete on organizations'],
  ],
  sqlite: [
    ['memberships_access_epoch_insert', 'insert on memberships'],
    ['memberships_access_epoch_update', 'update on memberships'],
    ['memberships_access_epoch_delete', 'delete on memberships'],
    ['organizations_access_epoch_update', 'update on organizations'],
    ['organizations_access_epoch_delete', 'delete on organizations'],
  ],
} as const;

export function accessEpoch(engine: Engine) {
  return {
    async up(db: Kysely<unknown>) {
      await sql`insert into auth_epoch (id, version) values (2, 1)`.execute(db);
      if (engine === 'postgres') {
        await sql
          .raw(
            'create function rsvp_bump_access_epoch() returns trigger language plpgsql as ' +
              '$$ begin update auth_epoch set version = version + 1 where id = 2; return null; end $$',
          )
          .execute(db);
        for (const [name, event] of TRIGGERS.postgres) {
          await sql
            .raw(
              `create constraint trigger ${name} after ${event} deferrable initially deferred ` +
                'for each row execute function rsvp_bump_access_epoch()',
            )
            .execute(db);
        }
        return;
      }
      const bump = 'begin update auth_epoch set version = version + 1 where id = 2; end';
      for (const [name, event] of TRIGGERS.sqlite) {
        await sql.raw(`create trigger ${name} after ${event} ${bump}`).execute(db);
      }
    },
    async down(db: Kysely<unknown>) {
      if (engine === 'postgres') {
        await sql.raw('drop trigger if exists memberships_access_epoch on memberships').execute(db);
        await sql.raw('drop trigger if exists organizations_access_epoch on organizations').execute(db);
        await sql.raw('drop function if exists rsvp_bump_access_epoch()').execute(db);
      } else {
        for (const [name] of TRIGGERS.sqlite) await sql.raw(`drop trigger if exists ${name}`).execute(db);
      }
      await sql`delete from auth_epoch where id = 2`.execute(db);
    },
  };
}
