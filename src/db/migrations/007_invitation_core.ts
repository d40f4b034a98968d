import type { Kysely } from 'kysely';

/**
 * What issue 21 adds to the invitation core: a documented `redirect_url`; public and private
 * metadata (JSON objects) on invitations, copied onto the membership on accept; and the
 * resource grants a combined invitation carries next to its organization role, kept with the
 * invitation (JSON) because they are always read with it and answered with it as one.
 */
export function invitationCore() {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('invitations').addColumn('redirect_url', 'text').execute();
      await db.schema
        .alterTable('invitations')
        .addColumn('public_metadata', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await db.schema
        .alterTable('invitations')
        .addColumn('private_metadata', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await db.schema.alterTable('invitations').addColumn('grants', 'text').execute();
      await db.schema
        .alterTable('memberships')
        .addColumn('public_metadata', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await db.schema
        .alterTable('memberships')
        .addColumn('private_metadata', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const column of ['redirect_url', 'public_metadata', 'private_metadata', 'grants']) {
        await db.schema.alterTable('invitations').dropColumn(column).execute();
      }
      for (const column of ['public_metadata', 'private_metadata']) {
        await db.schema.alterTable('memberships').dropColumn(column).execute();
      }
    },
  };
}
