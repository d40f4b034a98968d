import type { Kysely } from 'kysely';

/**
 * Keyset pages of an organization's invitations in every order the native list offers, and its
 * status filter under the default order: without them a page sorted by email or expiry, or of
 * pending invitations only, scans the organization's rows (seconds at a million, and on SQLite
 * the whole process waits).
 */
const INDEXES = {
  invitations_org_email: ['organization_id', 'email_canonical', 'id'],
  invitations_org_expires: ['organization_id', 'expires_at', 'id'],
  invitations_org_status_created: ['organization_id', 'status', 'created_at', 'id'],
} as const;

export function listIndexes() {
  return {
    async up(db: Kysely<unknown>) {
      for (const [name, columns] of Object.entries(INDEXES)) {
        await db.schema
          .createIndex(name)
          .on('invitations')
          .columns([...columns])
          .execute();
      }
    },
    async down(db: Kysely<unknown>) {
      for (const name of Object.keys(INDEXES)) await db.schema.dropIndex(name).execute();
    },
  };
}
