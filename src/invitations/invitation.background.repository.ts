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
): Promise<InvitationRecord | undefined> {
  const row = await db
    .updateTable('invitations')
    .set({
      delivery_state: outcome.state,
      delivery_error: outcome.error,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('send_count', '=', sendNumber)
    .returningAll()
    .executeTakeFirst();
  return row ? toRecord(row) : undefined;
}

/**
 * `setDeliveryOutcome` for many sends at once, each `(id, sendNumber)` pair as there: the
 * invitations whose send it still was.
 */
export async function setDeliveryOutcomes(
  db: Executor,
  sends: { id: string; sendNumber: number; tokenHash?: string | undefined }[],
  now: Date,
  outcome: { state: 'sent' | 'failed'; error: string | null },
): Promise<InvitationRecord[]> {
  const updated: InvitationRecord[] = [];
  await inChunks(sends, async (slice) => {
    const rows = await db
      .updateTable('invitations')
      .set({ delivery_state: outcome.state, delivery_error: outcome.error, updated_at: now })
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
 * Records which delivered links only the mailbox received (migration 014): `proven` pairs set
 * the proof when the invitation's token is still the one mailed; `unproven` invitations (mailed
 * through an organization's template) lose any proof of their current token.
 */
export async function setLinkProofs(
  db: Executor,
  proven: { id: string; tokenHash: string }[],
  unproven: string[],
): Promise<void> {
  await inChunks(proven, async (slice) => {
    await db
      .updateTable('invitations')
      .set({ link_proof_hash: sql`token_hash` })
      .where((eb) =>
        eb.or(slice.map((send) => eb.and([eb('id', '=', send.id), eb('token_hash', '=', send.tokenHash)]))),
      )
      .execute();
  });
  await inChunks(unproven, async (slice) => {
    await db.updateTable('invitations').set({ link_proof_hash: null }).where('id', 'in', slice).execute();
  });
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
