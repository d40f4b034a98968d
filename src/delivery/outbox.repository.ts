import type { Executor } from '../db/database.ts';

export interface OutboxMessage {
  id: string;
  kind: 'email' | 'webhook';
  topic: string;
  organizationId: string | null;
  invitationId: string | null;
  /** The same logical message always has the same key, so a retry is never a second message. */
  dedupeKey: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

/** Written in the transaction of the change that causes it; a worker delivers it after commit. */
export async function enqueue(db: Executor, messages: OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await db
    .insertInto('outbox')
    .values(
      messages.map((message) => ({
        id: message.id,
        kind: message.kind,
        topic: message.topic,
        organization_id: message.organizationId,
        invitation_id: message.invitationId,
        dedupe_key: message.dedupeKey,
        payload: JSON.stringify(message.payload),
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: message.createdAt,
        last_error: null,
        created_at: message.createdAt,
        updated_at: message.createdAt,
      })),
    )
    .execute();
}
