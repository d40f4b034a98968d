import { type Kysely, sql } from 'kysely';
import type { Engine } from '../database.ts';

/** The first schema. Column types differ only where the engines do: time and booleans. */
export function initial(engine: Engine) {
  const ts = engine === 'postgres' ? 'timestamptz' : 'text';
  const bool = engine === 'postgres' ? 'boolean' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('instance_secrets')
        .addColumn('name', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('organizations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('slug', 'text', (c) => c.notNull().unique())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('settings', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_canonical', 'text', (c) => c.notNull().unique())
        .addColumn('username', 'text', (c) => c.unique())
        .addColumn('display_name', 'text')
        .addColumn('password_hash', 'text')
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('active', 'placeholder', 'deactivated')`),
        )
        .addColumn('is_instance_admin', bool, (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.unique())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('memberships')
        .addColumn('organization_id', 'text', (c) =>
          c.notNull().references('organizations.id').onDelete('cascade'),
        )
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('memberships_pk', ['organization_id', 'user_id'])
        .execute();
      await db.schema.createIndex('memberships_user').on('memberships').column('user_id').execute();

      await db.schema
        .createTable('resources')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('organization_id', 'text', (c) =>
          c.notNull().references('organizations.id').onDelete('cascade'),
        )
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addUniqueConstraint('resources_org_type_name', ['organization_id', 'type', 'name'])
        .execute();

      await db.schema
        .createTable('resource_grants')
        .addColumn('resource_id', 'text', (c) => c.notNull().references('resources.id').onDelete('cascade'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('actions', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('resource_grants_pk', ['resource_id', 'user_id'])
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('secret_hash', 'text', (c) => c.notNull().unique())
        .addColumn('secret_hint', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts)
        .addColumn('last_used_at', ts)
        .addColumn('revoked_at', ts)
        .execute();
      await db.schema.createIndex('api_keys_user').on('api_keys').column('user_id').execute();

      await db.schema
        .createTable('invitations')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('uuid', 'text', (c) => c.notNull().unique())
        .addColumn('organization_id', 'text', (c) =>
          c.notNull().references('organizations.id').onDelete('cascade'),
        )
        .addColumn('target_key', 'text', (c) => c.notNull())
        // No foreign key: an invitation outlives a deleted resource, for the audit trail.
        .addColumn('resource_id', 'text')
        .addColumn('role', 'text')
        .addColumn('actions', 'text')
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('email_canonical', 'text', (c) => c.notNull())
        .addColumn('invitee_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('inviter_user_id', 'text', (c) => c.notNull().references('users.id'))
        .addColumn('inviter_api_key_id', 'text')
        .addColumn('message', 'text')
        .addColumn('locale', 'text')
        .addColumn('metadata', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('pending', 'accepted', 'declined', 'revoked', 'expired')`),
        )
        .addColumn('delivery_state', 'text', (c) =>
          c.notNull().check(sql`delivery_state in ('queued', 'sent', 'failed', 'not_sent')`),
        )
        .addColumn('delivery_error', 'text')
        .addColumn('send_count', 'integer', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('version', 'integer', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .addColumn('expires_at', ts, (c) => c.notNull())
        .addColumn('last_sent_at', ts)
        .addColumn('responded_at', ts)
        .addColumn('responded_by_user_id', 'text')
        // An invitation targets either the organization (with a role) or a resource (with actions).
        .addCheckConstraint(
          'invitations_target',
          sql`(resource_id is null and role is not null and actions is null and target_key = organization_id)
           or (resource_id is not null and role is null and actions is not null and target_key = resource_id)`,
        )
        .execute();
      // The rule "one pending invitation per target and email" lives here, not in a read-then-insert.
      await db.schema
        .createIndex('invitations_one_pending')
        .on('invitations')
        .columns(['target_key', 'email_canonical'])
        .unique()
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      await db.schema
        .createIndex('invitations_org_created')
        .on('invitations')
        .columns(['organization_id', 'created_at', 'id'])
        .execute();
      await db.schema
        .createIndex('invitations_email')
        .on('invitations')
        .columns(['email_canonical', 'status'])
        .execute();

      await db.schema
        .createTable('invitation_events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('invitation_id', 'text', (c) => c.notNull())
        .addColumn('organization_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text')
        .addColumn('actor_user_id', 'text')
        .addColumn('actor_api_key_id', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('invitation_events_org')
        .on('invitation_events')
        .columns(['organization_id', 'id'])
        .execute();
      await db.schema
        .createIndex('invitation_events_invitation')
        .on('invitation_events')
        .columns(['invitation_id', 'id'])
        .execute();

      await db.schema
        .createTable('outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('email', 'webhook')`))
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('organization_id', 'text')
        .addColumn('invitation_id', 'text')
        .addColumn('dedupe_key', 'text', (c) => c.notNull().unique())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) =>
          c.notNull().check(sql`status in ('pending', 'processing', 'done', 'dead')`),
        )
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', ts, (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('outbox_due').on('outbox').columns(['status', 'next_attempt_at']).execute();

      await db.schema
        .createTable('idempotency_keys')
        .addColumn('principal_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('response_headers', 'text')
        .addColumn('response_body', 'text')
        .addColumn('created_at', ts, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['principal_id', 'key'])
        .execute();
      await db.schema
        .createIndex('idempotency_keys_created')
        .on('idempotency_keys')
        .column('created_at')
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of [
        'idempotency_keys',
        'outbox',
        'invitation_events',
        'invitations',
        'api_keys',
        'resource_grants',
        'resources',
        'memberships',
        'users',
        'organizations',
        'instance_secrets',
      ]) {
        await db.schema.dropTable(table).ifExists().execute();
      }
    },
  };
}
