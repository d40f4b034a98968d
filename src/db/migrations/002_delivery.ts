import { type Kysely, sql } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * Delivery: outbox leases, webhook endpoints and their attempt log, the capture mailbox,
 * reminders, and an event history that also records administrative actions and where each
 * request came from.
 */
export function delivery(engine: Engine) {
  const ts = engine === 'postgres' ? 'timestamptz' : 'text';
  const bool = engine === 'postgres' ? 'boolean' : 'integer';
  return {
    async up(db: Kysely<unknown>) {
      // A claimed row carries who holds it and until when; a crashed holder's lease lapses.
      await db.schema.alterTable('outbox').addColumn('locked_by', 'text').execute();
      await db.schema.alterTable('outbox').addColumn('locked_until', ts).execute();
      await db.schema.alterTable('outbox').addColumn('endpoint_id', 'text').execute();
      await db.schema.alterTable('outbox').addColumn('delivered_at', ts).execute();
      await db.schema
        .createIndex('outbox_endpoint')
        .on('outbox')
        .columns(['endpoint_id', 'id'])
        .where(sql.ref('endpoint_id'), 'is not', null)
        .execute();

      // When to remind, fixed at each send from the organization's setting; null for never.
      await db.schema.alterTable('invitations').addColumn('remind_at', ts).execute();
      await db.schema.alterTable('invitations').addColumn('reminder_sent_at', ts).execute();
      await db.schema.createIndex('invitations_remind_at').on('invitations').column('remind_at').execute();
      await db.schema
        .createIndex('invitations_pending_expiry')
        .on('invitations')
        .columns(['status', 'expires_at'])
        .execute();

      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text', (c) =>
          c.notNull().references('organizations.id').onDelete('cascade'),
        )
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('event_types', 'text', (c) => c.notNull())
        .addColumn('sealed_secret', 'text', (c) => c.notNull())
        .addColumn('enabled', bool, (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .addColumn('updated_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('webhook_endpoints_org')
        .on('webhook_endpoints')
        .columns(['organization_id', 'id'])
        .execute();

      await db.schema
        .createTable('webhook_attempts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('outbox_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('status_code', 'integer')
        .addColumn('error', 'text')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('webhook_attempts_outbox')
        .on('webhook_attempts')
        .columns(['outbox_id', 'id'])
        .execute();

      await db.schema
        .createTable('captured_emails')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('message_id', 'text', (c) => c.notNull().unique())
        .addColumn('to_address', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('text_body', 'text', (c) => c.notNull())
        .addColumn('html_body', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();

      // The history becomes general: an event is about a subject (an invitation, a member, a
      // key, a webhook endpoint…), and records the client address and user agent of the request.
      await db.schema
        .createTable('events')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organization_id', 'text')
        .addColumn('subject_type', 'text', (c) => c.notNull())
        .addColumn('subject_id', 'text', (c) => c.notNull())
        .addColumn('invitation_id', 'text')
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('from_status', 'text')
        .addColumn('to_status', 'text')
        .addColumn('actor_user_id', 'text')
        .addColumn('actor_api_key_id', 'text')
        .addColumn('actor_ip', 'text')
        .addColumn('actor_user_agent', 'text')
        .addColumn('data', 'text', (c) => c.notNull())
        .addColumn('created_at', ts, (c) => c.notNull())
        .execute();
      await sql`
        insert into events (id, organization_id, subject_type, subject_id, invitation_id, type,
          from_status, to_status, actor_user_id, actor_api_key_id, data, created_at)
        select id, organization_id, 'invitation', invitation_id, invitation_id, type,
          from_status, to_status, actor_user_id, actor_api_key_id, data, created_at
        from invitation_events`.execute(db);
      await db.schema.dropTable('invitation_events').execute();
      await db.schema.createIndex('events_org').on('events').columns(['organization_id', 'id']).execute();
      await db.schema
        .createIndex('events_invitation')
        .on('events')
        .columns(['invitation_id', 'id'])
        .execute();
      await db.schema
        .createIndex('events_subject')
        .on('events')
        .columns(['subject_type', 'subject_id', 'id'])
        .execute();
    },
    async down() {
      throw new Error('002_delivery cannot be undone: it folds the invitation history into `events`');
    },
  };
}
