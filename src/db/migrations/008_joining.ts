import { type Kysely, sql } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * Joining without a personal invitation: multi-use join links (only the SHA-256 of a link's
 * secret is stored), the requests they and verified domains lead to (the approval queue, and the
 * record of each use), and the domains an organization proved it controls.
 */
export function joining(engine: Engine) {
  const ts = engine === 'postgres' ? 'timestamptz' : 'text';
  const bool = engine === 'postgres' ? 'boolean' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('join_links')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) =>
          c.notNull().references('organizations.id').onDelete('cascade'),
        )
        .addColumn('resource_id', 'text', (c) => c.references('resources.id').onDelete('cascade'))
        .addColumn('role', 'text')
        .addColumn('actions', 'text')
        .addColumn('description', 'text')
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('max_uses', 'integer')
        .addColumn('use_count', 'integer', (c) => c.notNull())
        .addColumn('allowed_domain', 'text')
        .addColumn('requires_approval', bool, (c) => c.notNull())
        .addColumn('created_by_user_id', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('rotated_at', ts)
        .addColumn('revoked_at', ts)
        .addColumn('last_used_at', ts)
        // Uses never overrun the cap: the counter moves only by a compare-and-set against it.
        .addCheckConstraint('join_links_uses', sql`max_uses is null or use_count <= max_uses`)
        .addCheckConstraint(
          'join_links_target',
          sql`(resource_id is null and role is not null and actions is null)
           or (resource_id is not null and role is null and actions is not null)`,
        )
        .execute();
      await db.schema
        .createIndex('join_links_org')
        .on('join_links')
        .columns(['organization_id', 'id'])
        .execute();

      await db.schema
        .createTable('join_requests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) =>
          c.notNull().references('organizations.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        // The organization id or the resource id: one pending request per target and person.
        .addColumn('target_key', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text', (c) => c.references('resources.id').onDelete('cascade'))
        .addColumn('role', 'text')
        .addColumn('actions', 'text')
        .addColumn('source', 'text', (c) => c.notNull().check(sql`source in ('link', 'domain')`))
        .addColumn('join_link_id', 'text', (c) => c.references('join_links.id').onDelete('set null'))
        .addColumn('domain', 'text')
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('pending', 'approved', 'rejected', 'joined')`),
        )
        .addColumn('reason', 'text')
        .addColumn('decided_by_user_id', 'text')
        .addColumn('decided_at', ts)
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('join_requests_one_pending')
        .on('join_requests')
        .columns(['target_key', 'user_id'])
        .unique()
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      await db.schema
        .createIndex('join_requests_org_status')
        .on('join_requests')
        .columns(['organization_id', 'status', 'id'])
        .execute();
      await db.schema
        .createIndex('join_requests_link')
        .on('join_requests')
        .columns(['join_link_id', 'id'])
        .execute();
      await db.schema
        .createIndex('join_requests_user')
        .on('join_requests')
        .columns(['user_id', 'id'])
        .execute();

      await db.schema
        .createTable('organization_domains')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) =>
          c.notNull().references('organizations.id').onDelete('cascade'),
        )
        .addColumn('domain', 'text', (c) => c.notNull())
        // Published in DNS by the organization: a challenge, not a secret.
        .addColumn('verification_token', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending', 'verified')`))
        .addColumn('join_mode', 'text', (c) =>
          c.notNull().check(sql`join_mode in ('none', 'offer', 'auto_join')`),
        )
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('requires_approval', bool, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('verified_at', ts)
        .addColumn('checked_at', ts)
        .addColumn('check_error', 'text')
        .addUniqueConstraint('organization_domains_org_domain', ['organization_id', 'domain'])
        .execute();
      // A domain is verified by one organization at a time.
      await db.schema
        .createIndex('organization_domains_one_verified')
        .on('organization_domains')
        .column('domain')
        .unique()
        .where(sql.ref('status'), '=', 'verified')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('organization_domains').execute();
      await db.schema.dropTable('join_requests').execute();
      await db.schema.dropTable('join_links').execute();
    },
  };
}
