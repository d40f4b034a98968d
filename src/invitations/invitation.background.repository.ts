import { sql } from 'kysely';
import { inChunks } from '../db/chunks.ts';
import type { Executor } from '../db/database.ts';
import { type InvitationRecord, toRecord } from './invitation.repository.ts';

// The service's own background work on invitations: the sweeper's expiries and reminders, and
// the delivery worker's bookkeeping. None of it changes the version a client compares against,
// except expiry, which is a status change.

/** Any organization's pending invitations past their expiry, oldest first, now marked expired. */
export async function expireDuePending(db: Executor, now: Date, limit: number): Promise<InvitationRecord[]> {
  const due = db
    .selectFrom('invitations')
    .select('id')
    .where('status', '=', 'pending')
    .where('expires_at', '<=', now)
    .orderBy('expires_at')
    .limit(limit);
  const rows = await db
    .updateTable('invitations')
    .set({ status: 'expired', updated_at: now, version: sql`version + 1` })
    .where('id', 'in', due)
    // Re-checked here: a concurrent accept or another sweeper may have changed the row.
    .where('status', '=', 'pending')
    .where('expires_at', '<=', now)
    .returningAll()
    .execute();
  return rows.map(toRecord);
}

/**
 * Claims due reminders: pending invitations whose email went out, whose reminder time has come,
 * and that were not reminded since their last send. The claim is the compare-and-set on
 * `reminder_sent_at`, so two sweepers never remind twice.
 */
export async function claimReminders(db: Executor, now: Date, limit: number): Promise<InvitationRecord[]> {
  const due = db
    .selectFrom('invitations')
    .select('id')
    .where('remind_at', '<=', now)
    .where('reminder_sent_at', 'is', null)
    .where('status', '=', 'pending')
    .where('delivery_state', '=', 'sent')
    .where('expires_at', '>', now)
    .orderBy('remind_at')
    .limit(limit);
  const rows = await db
    .updateTable('invitations')
    .set({ reminder_sent_at: now })
    .where('id', 'in', due)
    .where('reminder_sent_at', 'is', null)
    .where('status', '=', 'pending')
    .returningAll()
    .execute();
  return rows.map(toRecord);
}

/**
 * Records the outcome of delivering send number `sendNumber`. Ignored when the invitation was
 * sent again since: the newer send owns the delivery state. Delivery bookkeeping is the
 * service's own background work: it leaves the version (the ETag) alone, so a client's
 * compare-and-set never fails because an email went out meanwhile.
 */
export async function setDeliveryOutcome(
  db: Executor,
  id: string,
  sendNumber: number,
  now: Date,
  outcome: { state: 'sent' | 'failed'; error: string | null },
  tokenHash?: string,
): Promise<InvitationRecord | undefined> {
  let query = db
    .updateTable('invitations')
    .set({
      delivery_state: outcome.state,
      delivery_error: outcome.error,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('send_count', '=', sendNumber);
  // A link replaced since (a resend without email) is not this email's to report on.
  if (tokenHash !== undefined) query = query.where('token_hash', '=', tokenHash);
  const row = await query.returningAll().executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/** Marks a token whose link an organization's template rendered: it can prove no mailbox. */
const TAINT = '!';

/**
 * `setDeliveryOutcome` for many sends at once, each `(id, sendNumber)` pair as there: the
 * invitations whose send it still was. A `proven` send (rsvp's own rendering of an invitation
 * email, migration 014) records its link's proof in the same statement, unless an attempt with
 * that token was rendered by the organization's template (`taintLinkProof`). One statement per
 * row: a second one, taken after a resend locked the row, could deadlock with it on PostgreSQL.
 */
export async function setDeliveryOutcomes(
  db: Executor,
  sends: { id: string; sendNumber: number; tokenHash?: string | undefined; proven?: boolean }[],
  now: Date,
  outcome: { state: 'sent' | 'failed'; error: string | null },
): Promise<InvitationRecord[]> {
  const updated: InvitationRecord[] = [];
  await inChunks(sends, async (slice) => {
    const proven = slice.filter((send) => send.proven).map((send) => send.id);
    const proof =
      proven.length === 0
        ? {}
        : {
            link_proof_hash: sql<
              string | null
            >`case when id in (${sql.join(proven)}) and (link_proof_hash is null or link_proof_hash <> ${TAINT} || token_hash) then token_hash else link_proof_hash end`,
          };
    const rows = await db
      .updateTable('invitations')
      .set({ delivery_state: outcome.state, delivery_error: outcome.error, updated_at: now, ...proof })
      .where((eb) =>
        // The link the email carried is still the invitation's (a resend without email replaces
        // it without a new send): otherwise the invitation was not sent, whatever arrived.
        eb.or(
          slice.map((send) =>
            eb.and([
              eb('id', '=', send.id),
              eb('send_count', '=', send.sendNumber),
              ...(send.tokenHash === undefined ? [] : [eb('token_hash', '=', send.tokenHash)]),
            ]),
          ),
        ),
      )
      .returningAll()
      .execute();
    updated.push(...rows.map(toRecord));
  });
  return updated;
}

/**
 * Before an email in the organization's template goes out with the invitation's link: from
 * then on that token proves nothing (the template may send the link anywhere), whatever later
 * attempts or sends of it do. Written before the attempt, so a crash after sending loses nothing.
 */
export async function taintLinkProof(db: Executor, id: string, tokenHash: string): Promise<void> {
  await db
    .updateTable('invitations')
    .set({ link_proof_hash: `${TAINT}${tokenHash}` })
    .where('id', '=', id)
    .where('token_hash', '=', tokenHash)
    .execute();
}

/** The last failed attempt of send `sendNumber` while it is retried; state stays `queued`. */
export async function setDeliveryError(
  db: Executor,
  id: string,
  sendNumber: number,
  error: string,
): Promise<void> {
  await db
    .updateTable('invitations')
    .set({ delivery_error: error })
    .where('id', '=', id)
    .where('send_count', '=', sendNumber)
    .where('delivery_state', '=', 'queued')
    .execute();
}
