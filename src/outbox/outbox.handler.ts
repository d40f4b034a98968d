import type { Executor } from '../db/database.ts';
import type { ClaimedMessage } from './outbox.repository.ts';

// The contract between the outbox worker (delivery/) and what it delivers (email, webhooks):
// here, below both, so that a handler need not import the worker.

export type AttemptResult =
  | {
      ok: true;
      skipped?: string;
      statusCode?: number;
      /**
       * An invitation email delivered in rsvp's own rendering, with its invitation's current link:
       * the mailbox alone received that link (migration 014).
       */
      provesMailbox?: boolean;
    }
  | { ok: false; error: string; permanent: boolean; statusCode?: number | null };

export type Settlement = 'done' | 'retry' | 'dead';

/** An attempt whose outcome is being recorded. */
export interface SettledAttempt {
  message: ClaimedMessage;
  settlement: Settlement;
  result: AttemptResult;
  durationMs: number;
}

/**
 * Reads shared by the deliveries of one batch: an organization or a template its messages have
 * in common is read once, and rows asked for in the same tick are read in one query.
 */
export class BatchReads {
  readonly #values = new Map<string, Promise<unknown>>();
  readonly #waiting = new Map<string, { ids: Set<string>; flushed: Promise<void> }>();

  /** `read()` once per key for the batch. */
  once<T>(key: string, read: () => Promise<T>): Promise<T> {
    let value = this.#values.get(key) as Promise<T> | undefined;
    if (!value) {
      value = read();
      this.#values.set(key, value);
    }
    return value;
  }

  /** The row `id` of `kind`, read with every other one asked for in the same tick by `readMany`. */
  async load<T extends { id: string }>(
    kind: string,
    id: string,
    readMany: (ids: string[]) => Promise<T[]>,
  ): Promise<T | undefined> {
    const key = `${kind}:${id}`;
    if (!this.#values.has(key)) {
      let waiting = this.#waiting.get(kind);
      if (!waiting) {
        const ids = new Set<string>();
        const flushed = Promise.resolve().then(async () => {
          this.#waiting.delete(kind);
          const rows = new Map((await readMany([...ids])).map((row) => [row.id, row]));
          for (const each of ids) this.#values.set(`${kind}:${each}`, Promise.resolve(rows.get(each)));
        });
        waiting = { ids, flushed };
        this.#waiting.set(kind, waiting);
      }
      waiting.ids.add(id);
      await waiting.flushed;
    }
    return (await this.#values.get(key)) as T | undefined;
  }
}

/** Delivers one kind of outbox message. */
export interface OutboxHandler {
  /** Attempts delivery; never throws for delivery trouble, it reports it. */
  deliver(message: ClaimedMessage, reads: BatchReads): Promise<AttemptResult & { durationMs?: number }>;
  /**
   * Runs in the transaction that settles these messages (a group of one batch): state changes
   * and events that follow.
   */
  settled(trx: Executor, attempts: readonly SettledAttempt[]): Promise<void>;
  /** Attempts in all, the first included, before a message is dead. */
  readonly maxAttempts: number;
  /** Wait before attempt `attempt + 1`, without jitter. */
  backoffMs(attempt: number): number;
}
