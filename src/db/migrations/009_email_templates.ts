import type { Kysely } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * Organizations' own email templates (one per locale) and their branding (one per
 * organization: logo, colour and sender name apply whatever the language).
 */
export function emailTemplates(engine: Engine) {
  const ts = engine === 'postgres' ? 'timestamptz' : 'text';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('email_templates')
        .addColumn('organization_id', 'text', (c) =>
          c.notNull().references('organizations.id').onDelete('cascade'),
        )
        .addColumn('locale', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('html', 'text', (c) => c.notNull())
        .addColumn('text', 'text', (c) => c.notNull())
        .addColumn('updated_by_user_id', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('email_templates_pk', ['organization_id', 'locale'])
        .execute();
      await db.schema
        .createTable('email_branding')
        .addColumn('organization_id', 'text', (c) =>
          c.primaryKey().references('organizations.id').onDelete('cascade'),
        )
        .addColumn('logo_url', 'text')
        .addColumn('primary_color', 'text')
        .addColumn('sender_name', 'text')
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('email_branding').execute();
      await db.schema.dropTable('email_templates').execute();
    },
  };
}
