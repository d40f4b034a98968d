import type { Kysely } from 'kysely';
import type { Engine } from '../database.ts';

/**
 * `invitations.link_proof_hash`: the token hash of the link that the last delivered email carried,
 * when only the invitee's mailbox can have received it — rsvp's own rendering, not an
 * organization's template (which may put the link anywhere, an image URL on the inviter's server
 * included). An account made from the invitation's link proves its address only while the link's
 * token is that one (issue 21: a link handed out, or resent without email while an older email
 * was still on its way, must not count as the mailbox's). Existing invitations have none: an
 * account made from their links is not trusted with the address until its owner confirms it.
 */
export function linkProof(_engine: Engine) {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('invitations').addColumn('link_proof_hash', 'text').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('invitations').dropColumn('link_proof_hash').execute();
    },
  };
}
