import { type Kysely, sql } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * Integer numbers for organizations and users, for wire formats whose ids are integers (CVAT).
 * PostgreSQL: a `bigserial` column. SQLite: existing rows are numbered in rowid order, and a
 * trigger numbers new rows (SQLite cannot add an autoincrement column; its single writer makes
 * `max + 1` safe).
 */
export function sequenceNumbers(engine: Engine) {
  return {
    async up(db: Kysely<unknown>) {
      for (const table of ['organizations', 'users']) {
        if (engine === 'postgres') {
          await sql`alter table ${sql.table(table)} add column seq bigserial`.execute(db);
        } else {
          await sql`alter table ${sql.table(table)} add column seq integer`.execute(db);
          await sql`update ${sql.table(table)} set seq = rowid`.execute(db);
          await sql
            .raw(
              `create trigger ${table}_seq after insert on ${table} when new.seq is null begin ` +
                `update ${table} set seq = (select coalesce(max(seq), 0) + 1 from ${table}) where rowid = new.rowid; end`,
            )
            .execute(db);
        }
        await db.schema.createIndex(`${table}_seq`).on(table).column('seq').unique().execute();
      }
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['organizations', 'users']) {
        if (engine === 'sqlite') await sql.raw(`drop trigger if exists ${table}_seq`).execute(db);
        await db.schema.dropIndex(`${table}_seq`).execute();
        await db.schema.alterTable(table).dropColumn('seq').execute();
      }
    },
  };
}
