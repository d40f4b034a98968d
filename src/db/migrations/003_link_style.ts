import { type Kysely, sql } from 'kysely';

/**
 * How an invitation's emailed link carries its secret: `token` (`?token=rsvp_it_…`) or `jwt`
 * (a signed invitation JWT, the form TileDB v4 clients expect). Kept per invitation so that a
 * resend keeps the form its creator asked for.
 */
export function linkStyle() {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .alterTable('invitations')
        .addColumn('link_style', 'text', (c) =>
          c.notNull().defaultTo('token').check(sql`link_style in ('token', 'jwt')`),
        )
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('invitations').dropColumn('link_style').execute();
    },
  };
}
