import type { Kysely } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * Server-side browser sessions, so signing out ends a session everywhere a copy of its cookie
 * went. The id is the SHA-256 of the cookie's secret: the secret itself is never stored.
 */
export function browserSessions(engine: Engine) {
  const ts = engine === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('browser_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        // Derived from the password hash at sign-in: a password change ends older sessions.
        .addColumn('credential_tag', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('browser_sessions_user').on('browser_sessions').column('user_id').execute();
      await db.schema
        .createIndex('browser_sessions_expiry')
        .on('browser_sessions')
        .column('expires_at')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('browser_sessions').execute();
    },
  };
}
