import type { Executor } from '../db/database.ts';
import type { ClaimedMessage } from './outbox.repository.ts';

// The contract between the outbox worker (delivery/) and what it delivers (email, webhooks):
// here, below both, so that a handler need not import the worker.

export type AttemptResult =
  | { ok: true; skipped?: string; statusCode?: number }
  | { ok: false; error: string; permanent: boolean; statusCode?: number | null };

export type Settlement = 'done' | 'retry' | 'dead';

/** Delivers one kind of outbox message. */
export interface OutboxHandler {
  /** Attempts delivery; never throws for delivery trouble, it reports it. */
  deliver(message: ClaimedMessage): Promise<AttemptResult & { durationMs?: number }>;
  /** Runs in the transaction that settles the message: state changes and events that follow. */
  settled(
    trx: Executor,
    message: ClaimedMessage,
    settlement: Settlement,
    result: AttemptResult,
    durationMs: number,
  ): Promise<void>;
  /** Attempts in all, the first included, before a message is dead. */
  readonly maxAttempts: number;
  /** Wait before attempt `attempt + 1`, without jitter. */
  backoffMs(attempt: number): number;
}
