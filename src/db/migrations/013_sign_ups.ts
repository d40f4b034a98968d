import type { Kysely } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * Sign-ups waiting for their address to be confirmed: the account is created only when the
 * link mailed to the address is opened and a password chosen, so an account's address is always
 * proven. The link's secret is stored as its SHA-256; the join link a sign-up started from (a
 * secret too) is sealed with the instance's encryption key.
 */
export function signUps(engine: Engine) {
  const ts = engine === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('sign_ups')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_canonical', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('sealed_join_token', 'text')
        .addColumn('locale', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('used_at', ts)
        .execute();
      await db.schema.createIndex('sign_ups_expiry').on('sign_ups').column('expires_at').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('sign_ups').execute();
    },
  };
}
