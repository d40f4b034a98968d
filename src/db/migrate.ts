import type { Kysely } from 'kysely';
import { type Migration, type MigrationProvider, Migrator } from 'kysely/migration';
import type { Database } from './database.ts';
import { initial } from './migrations/001_initial.ts';
import { delivery } from './migrations/002_delivery.ts';
import { linkStyle } from './migrations/003_link_style.ts';
import { sequenceNumbers } from './migrations/004_sequence_numbers.ts';
import { browserSessions } from './migrations/005_browser_sessions.ts';
import { instanceSettings } from './migrations/006_instance_settings.ts';
import { invitationCore } from './migrations/007_invitation_core.ts';
import { joining } from './migrations/008_joining.ts';
import { emailTemplates } from './migrations/009_email_templates.ts';
import { listIndexes } from './migrations/010_list_indexes.ts';
import { authEpoch } from './migrations/011_auth_epoch.ts';
import { emailVerified } from './migrations/012_email_verified.ts';
import { signUps } from './migrations/013_sign_ups.ts';
import { linkProof } from './migrations/014_link_proof.ts';
import { accessEpoch } from './migrations/015_access_epoch.ts';

function provider(database: Database): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        '001_initial': initial(database.engine),
        '002_delivery': delivery(database.engine),
        '003_link_style': linkStyle(),
        '004_sequence_numbers': sequenceNumbers(database.engine),
        '005_browser_sessions': browserSessions(database.engine),
        '006_instance_settings': instanceSettings(database.engine),
        '007_invitation_core': invitationCore(),
        '008_joining': joining(database.engine),
        '009_email_templates': emailTemplates(database.engine),
        '010_list_indexes': listIndexes(),
        '011_auth_epoch': authEpoch(database.engine),
        '012_email_verified': emailVerified(database.engine),
        '013_sign_ups': signUps(database.engine),
        '014_link_proof': linkProof(database.engine),
        '015_access_epoch': accessEpoch(database.engine),
      };
    },
  };
}

/** Brings the schema up to date. Safe to run from several processes at once (Kysely locks). */
export async function migrateToLatest(database: Database): Promise<string[]> {
  const migrator = new Migrator({
    db: database.db as unknown as Kysely<unknown>,
    provider: provider(database),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
