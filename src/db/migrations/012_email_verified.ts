import { type Kysely, sql } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * Whether an account's address is proven to be its owner's: set when an admin or the bootstrap
 * made the account, when it was made from an invitation link that only ever went out by email,
 * or when an identity provider says so. An account made from a link its inviter was handed
 * (`send_email: false`) is not: whoever holds such a link chooses the password, so the address
 * vouches for nothing beyond that invitation. Accounts already here keep working as before.
 */
export function emailVerified(engine: Engine) {
  return {
    async up(db: Kysely<unknown>) {
      const falseValue = engine === 'postgres' ? sql`false` : sql`0`;
      await db.schema
        .alterTable('users')
        .addColumn('email_verified', 'boolean', (c) => c.notNull().defaultTo(falseValue))
        .execute();
      await sql`update users set email_verified = ${engine === 'postgres' ? sql`true` : sql`1`} where status <> 'placeholder'`.execute(
        db,
      );
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('users').dropColumn('email_verified').execute();
    },
  };
}
