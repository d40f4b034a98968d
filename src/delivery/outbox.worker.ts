import { randomBytes } from 'node:crypto';
import { type Database, isDatabaseUnavailable } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import {
  type AttemptResult,
  BatchReads,
  type OutboxHandler,
  type SettledAttempt,
  type Settlement,
} from '../outbox/outbox.handler.ts';
import {
  anyDue,
  type ClaimedMessage,
  claimDue,
  extendClaims,
  settle,
  settleDone,
} from '../outbox/outbox.repository.ts';
import { GroupCommit } from './group-commit.ts';
import { GuardedLoop } from './guarded-loop.ts';

export type { AttemptResult, OutboxHandler, SettledAttempt, Settlement } from '../outbox/outbox.handler.ts';

export interface WorkerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface OutboxWorkerOptions {
  database: Database;
  clock: Clock;
  handlers: { email: OutboxHandler; webhook: OutboxHandler };
  logger: WorkerLogger;
  batchSize?: number;
  /** A claim lapses after this long; longer than any single delivery may take. */
  leaseMs?: number;
  pollMs?: number;
  /** Told of each attempt once its settling transaction has committed (for metrics). */
  onSettled?: (attempt: { kind: 'email' | 'webhook'; settlement: Settlement; result: AttemptResult }) => void;
}

/** A delivery attempt's outcome, waiting to be recorded. */
interface Attempt extends SettledAttempt {
  started: number;
}

/**
 * How long a delivered message waits for others of its batch before its outcome is recorded
 * with theirs, in one transaction: short against the lease, long against an SMTP exchange.
 */
const SETTLE_GROUP_MS = 20;

/** ±20 %: retries of many messages that failed together spread out instead of stampeding. */
function withJitter(ms: number): number {
  return Math.round(ms * (0.8 + Math.random() * 0.4));
}

/**
 * Delivers outbox messages at least once. Each process runs one; on PostgreSQL several share
 * the table through claims (SKIP LOCKED), and a claim whose holder died lapses and is taken
 * over. A message's dedupe key gives it a stable Message-ID or webhook-id, so the rare
 * redelivery after a crash is recognisable as the same message.
 */
export class OutboxWorker {
  readonly id = `wrk_${randomBytes(6).toString('hex')}`;
  readonly #options: Required<Omit<OutboxWorkerOptions, 'onSettled'>> & OutboxWorkerOptions;
  /**
   * A batch that outlives its lease has lost its claims anyway: abandon it and go on (not
   * sooner than 5 s, so a short lease on a loaded machine does not pile up abandoned batches).
   */
  readonly loop: GuardedLoop;

  constructor(options: OutboxWorkerOptions) {
    this.#options = { batchSize: 25, leaseMs: 120_000, pollMs: 500, ...options };
    this.loop = new GuardedLoop({
      name: 'outbox batch',
      step: () => this.runOnce(),
      intervalMs: this.#options.pollMs,
      deadlineMs: Math.max(this.#options.leaseMs, 5_000),
      logger: this.#options.logger,
    });
  }

  /** Claims one batch and delivers it; the number of messages handled. */
  async runOnce(): Promise<number> {
    const { database, clock, batchSize, leaseMs } = this.#options;
    const now = clock.now();
    // A plain read first: an idle poll then takes no write lock (SQLite) and no row locks.
    if (!(await anyDue(database.db, now))) return 0;
    const claimed = await database.db.transaction().execute((trx) =>
      claimDue(trx, database.engine, {
        workerId: this.id,
        now,
        leaseUntil: new Date(now.getTime() + leaseMs),
        limit: batchSize,
      }),
    );
    const inFlight = new Set(claimed.map((message) => message.id));
    const stopRenewing = this.#renewWhileInFlight(inFlight);
    // Outcomes are recorded together as they come in: one transaction for many messages.
    const settling = new GroupCommit<Attempt>((attempts) => this.#settleGroup(attempts), SETTLE_GROUP_MS);
    let attempting = claimed.length;
    const reads = new BatchReads();
    try {
      await Promise.all(
        claimed.map(async (message) => {
          const attempt = await this.#attempt(message, reads);
          attempting--;
          await settling.add(attempt, attempting === 0).finally(() => inFlight.delete(message.id));
        }),
      );
    } finally {
      stopRenewing();
    }
    return claimed.length;
  }

  /**
   * Renews the batch's leases every third of the lease while deliveries are in flight, up to the
   * batch's deadline: a slow SMTP server or a loaded machine never lets a live worker's claim
   * lapse (which would send the message twice), while a batch abandoned at its deadline lets go.
   */
  #renewWhileInFlight(inFlight: Set<string>): () => void {
    const { database, clock, leaseMs, logger } = this.#options;
    const renew = setInterval(
      () => {
        const leaseUntil = new Date(clock.now().getTime() + leaseMs);
        extendClaims(database.db, [...inFlight], this.id, leaseUntil).catch((error: unknown) => {
          logger.warn({ err: error }, 'could not renew outbox claims');
        });
      },
      Math.max(Math.floor(leaseMs / 3), 50),
    );
    const giveUp = setTimeout(() => clearInterval(renew), this.loop.deadlineMs);
    return () => {
      clearInterval(renew);
      clearTimeout(giveUp);
    };
  }

  /** Runs batches until nothing is due: for tests and for the CLI. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const handled = await this.runOnce();
      if (handled === 0) return total;
      total += handled;
    }
  }

  async #attempt(message: ClaimedMessage, reads: BatchReads): Promise<Attempt> {
    const { handlers, logger } = this.#options;
    const handler = handlers[message.kind];
    const started = performance.now();
    let result: AttemptResult;
    try {
      result = await handler.deliver(message, reads);
    } catch (error) {
      result = { ok: false, error: `internal error: ${(error as Error).message}`, permanent: false };
      logger.error({ err: error, outbox_id: message.id }, 'outbox handler failed');
    }
    const settlement: Settlement = result.ok
      ? 'done'
      : result.permanent || message.attempts >= handler.maxAttempts
        ? 'dead'
        : 'retry';
    return { message, settlement, result, started, durationMs: Math.round(performance.now() - started) };
  }

  /**
   * Records a group of outcomes in one transaction. Should that fail for other reasons than the
   * database being away, each is recorded on its own, so one message's trouble holds back no other.
   */
  async #settleGroup(attempts: Attempt[]): Promise<void> {
    const started = Math.min(...attempts.map((attempt) => attempt.started));
    try {
      return await this.#settleRetrying(started, () => this.#settleTogether(attempts));
    } catch (error) {
      if (attempts.length === 1 || isDatabaseUnavailable(error)) throw error;
    }
    const results = await Promise.allSettled(
      attempts.map((attempt) => this.#settleRetrying(attempt.started, () => this.#settleTogether([attempt]))),
    );
    const failed = results.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Only the holder of a claim settles it: a claim that lapsed and was taken over is left alone. */
  async #settleTogether(attempts: Attempt[]): Promise<void> {
    const { database, clock, handlers, logger } = this.#options;
    const now = clock.now();
    const mine = await database.db.transaction().execute(async (trx) => {
      const done = attempts.filter((attempt) => attempt.settlement === 'done');
      const settled = await settleDone(
        trx,
        done.map((attempt) => attempt.message.id),
        this.id,
        now,
      );
      for (const { message, settlement, result } of attempts) {
        if (settlement === 'done') continue;
        const handler = handlers[message.kind];
        const error = (result as { error: string }).error;
        const outcome =
          settlement === 'dead'
            ? { status: 'dead' as const, error }
            : {
                status: 'pending' as const,
                error,
                nextAttemptAt: new Date(now.getTime() + withJitter(handler.backoffMs(message.attempts))),
              };
        if (await settle(trx, message.id, this.id, now, outcome)) settled.add(message.id);
      }
      for (const kind of ['email', 'webhook'] as const) {
        const ours = attempts.filter(({ message }) => message.kind === kind && settled.has(message.id));
        if (ours.length > 0) await handlers[kind].settled(trx, ours);
      }
      return settled;
    });
    for (const { message, settlement, result } of attempts) {
      if (!mine.has(message.id)) {
        logger.warn({ outbox_id: message.id }, 'outbox claim lapsed before settling; the new holder decides');
        continue;
      }
      this.#options.onSettled?.({ kind: message.kind, settlement, result });
      if (settlement === 'dead') {
        logger.warn(
          { outbox_id: message.id, kind: message.kind, error: (result as { error: string }).error },
          'outbox message is dead',
        );
      }
    }
  }

  /**
   * Settling after the database went away: retried while the claim is surely still ours (half
   * the lease), so a message sent during an outage is recorded as sent when the database is
   * back, not sent a second time after its lease lapses.
   */
  async #settleRetrying(started: number, settleOnce: () => Promise<void>): Promise<void> {
    const until = started + this.#options.leaseMs / 2;
    for (let wait = 250; ; wait = Math.min(wait * 2, 2_000)) {
      try {
        return await settleOnce();
      } catch (error) {
        if (!isDatabaseUnavailable(error) || performance.now() + wait >= until) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  /** Polls until stopped; `nudge()` wakes it early when work was just queued. */
  start(): void {
    this.loop.start();
  }

  nudge(): void {
    this.loop.nudge();
  }

  /** Finishes the batch in hand, then stops. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }
}
