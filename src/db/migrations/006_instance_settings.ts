import type { Kysely } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * Instance-wide facts a process records for the others sharing the database: the public URL
 * the running server answers on, so the CLI writes links to it.
 */
export function instanceSettings(engine: Engine) {
  const ts = engine === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('instance_settings')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('instance_settings').execute();
    },
  };
}
