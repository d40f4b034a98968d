import type { Executor } from '../db/database.ts';
import { recordEvents } from '../events/event.recorder.ts';
import { type EventRecord, transitionEvent } from '../events/event.repository.ts';
import {
  setDeliveryError,
  setDeliveryOutcome,
  setDeliveryOutcomes,
} from '../invitations/invitation.background.repository.ts';
import { findInvitations } from '../invitations/invitation.repository.ts';
import type { SettledAttempt } from '../outbox/outbox.handler.ts';
import type { ClaimedMessage } from '../outbox/outbox.repository.ts';
import type { EmailPayload } from './email.handler.ts';

/**
 * Only invitation and reminder emails carry an invitation whose delivery state follows them; the
 * others (added to an organization, template tests, join decisions, sign-up links) have none.
 */
const aboutAnInvitation = (message: ClaimedMessage) => typeof message.payload.invitation_id === 'string';

/**
 * What became of a group of invitation and reminder emails, in the transaction that settles
 * them: each invitation's delivery state and the events that follow. The sent ones are marked
 * in one statement and all events recorded together; retries and failures, rarer, one by one.
 */
export async function recordEmailOutcomes(
  trx: Executor,
  attempts: readonly SettledAttempt[],
  now: Date,
  messageIdOf: (message: ClaimedMessage) => string,
): Promise<void> {
  const events: EventRecord[] = [];
  const reminded: EmailPayload[] = [];
  const sent = new Map<string, ClaimedMessage>();
  const proven = new Set<string>();
  for (const { message, settlement, result } of attempts) {
    if ((result.ok && result.skipped) || !aboutAnInvitation(message)) continue;
    const payload = message.payload as unknown as EmailPayload;
    const error = result.ok ? null : result.error;
    if (settlement === 'retry') {
      // Still queued, but the invitation says why it has not gone out yet.
      if (payload.kind !== 'reminder') {
        await setDeliveryError(trx, payload.invitation_id, payload.send_number, error ?? '');
      }
    } else if (payload.kind === 'reminder') {
      if (settlement === 'done') reminded.push(payload);
    } else if (settlement === 'done') {
      sent.set(`${payload.invitation_id}:${payload.send_number}`, message);
      if (result.ok && result.provesMailbox) proven.add(payload.invitation_id);
    } else {
      const updated = await setDeliveryOutcome(
        trx,
        payload.invitation_id,
        payload.send_number,
        now,
        { state: 'failed', error },
        payload.token_hash,
      );
      if (updated) {
        events.push(
          transitionEvent(updated, 'invitation.delivery_failed', null, null, null, now, {
            send_number: payload.send_number,
            message_id: messageIdOf(message),
            error,
          }),
        );
      }
    }
  }
  const sends = [...sent.values()].map((message) => {
    const payload = message.payload as unknown as EmailPayload;
    return {
      id: payload.invitation_id,
      sendNumber: payload.send_number,
      tokenHash: payload.token_hash,
      proven: proven.has(payload.invitation_id),
    };
  });
  for (const updated of await setDeliveryOutcomes(trx, sends, now, { state: 'sent', error: null })) {
    const message = sent.get(`${updated.id}:${updated.sendCount}`)!;
    events.push(
      transitionEvent(updated, 'invitation.sent', null, null, null, now, {
        send_number: updated.sendCount,
        message_id: messageIdOf(message),
      }),
    );
  }
  const invitations = new Map(
    (await findInvitations(trx, [...new Set(reminded.map((payload) => payload.invitation_id))])).map(
      (invitation) => [invitation.id, invitation],
    ),
  );
  for (const payload of reminded) {
    const invitation = invitations.get(payload.invitation_id);
    if (!invitation) continue;
    events.push(
      transitionEvent(invitation, 'invitation.reminded', null, null, null, now, {
        send_number: payload.send_number,
      }),
    );
  }
  await recordEvents(trx, events);
}
