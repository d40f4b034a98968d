import type { Database } from '../db/database.ts';
import { recordEvents } from '../events/event.recorder.ts';
import { transitionEvent } from '../events/event.repository.ts';
import { pruneIdempotencyKeys } from '../http/idempotency.repository.ts';
import { claimReminders, expireDuePending } from '../invitations/invitation.background.repository.ts';
import type { Clock } from '../lib/clock.ts';
import { DAY, HOUR } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import {
  enqueue,
  latestEmailPayload,
  type OutboxMessage,
  pruneCapturedEmails,
  pruneSettled,
} from '../outbox/outbox.repository.ts';
import { pruneSignUps } from '../users/sign-up.repository.ts';
import { GuardedLoop } from './guarded-loop.ts';
import type { WorkerLogger } from './outbox.worker.ts';

const BATCH = 500;

/**
 * Other periodic work that shares the sweep's loop and deadline (e.g. the daily re-check of
 * verified domains); what `run` returns, when anything, is logged under `name`.
 */
export interface SweepTask {
  name: string;
  run(): Promise<Record<string, unknown> | undefined>;
}
/** A sweep that takes longer than this is abandoned (its queries time out on their own). */
const SWEEP_DEADLINE_MS = 5 * 60_000;

/** How long what was only kept for a while is kept. */
export const RETENTION = {
  idempotencyKeys: DAY,
  settledMessages: 30 * DAY,
  capturedEmails: 7 * DAY,
  /** Past its link's expiry: a spent or lapsed sign-up is kept a while for support questions. */
  signUps: 7 * DAY,
} as const;

/**
 * Writes down what time already decided: pending invitations past their expiry become expired
 * (with their `invitation.expired` event and webhooks), and due reminders are queued. Reads
 * never wait for it (an unexpired-looking row past its time already reads as expired); every
 * change is a compare-and-set, so any number of processes may sweep at once.
 */
export class Sweeper {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #logger: WorkerLogger;
  readonly #intervalMs: number;
  readonly #onQueued: () => void;
  readonly #tasks: readonly SweepTask[];
  readonly loop: GuardedLoop;
  #lastPrune = 0;

  constructor(deps: {
    database: Database;
    clock: Clock;
    logger: WorkerLogger;
    intervalMs: number;
    onQueued: () => void;
    tasks?: readonly SweepTask[] | undefined;
  }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#intervalMs = deps.intervalMs;
    this.#onQueued = deps.onQueued;
    this.#tasks = deps.tasks ?? [];
    this.loop = new GuardedLoop({
      name: 'sweep',
      step: async () => {
        await this.runOnce();
        return 0;
      },
      intervalMs: this.#intervalMs,
      deadlineMs: Math.max(SWEEP_DEADLINE_MS, this.#intervalMs),
      logger: this.#logger,
    });
  }

  async runOnce(): Promise<{ expired: number; reminded: number; pruned: number }> {
    let expired = 0;
    let reminded = 0;
    for (;;) {
      const now = this.#clock.now();
      const batch = await this.#database.db.transaction().execute(async (trx) => {
        const lapsed = await expireDuePending(trx, now, BATCH);
        await recordEvents(
          trx,
          lapsed.map((invitation) =>
            transitionEvent(invitation, 'invitation.expired', 'pending', 'expired', null, now, {
              reason: 'lapsed',
            }),
          ),
        );
        return lapsed.length;
      });
      expired += batch;
      if (batch < BATCH) break;
    }
    for (;;) {
      const now = this.#clock.now();
      const batch = await this.#database.db.transaction().execute(async (trx) => {
        const due = await claimReminders(trx, now, BATCH);
        const messages: OutboxMessage[] = [];
        for (const invitation of due) {
          const sent = await latestEmailPayload(trx, invitation.id, invitation.sendCount);
          if (!sent) continue;
          messages.push({
            id: newId('obx', now),
            kind: 'email',
            topic: 'invitation.reminder',
            organizationId: invitation.organizationId,
            invitationId: invitation.id,
            dedupeKey: `invitation-reminder:${invitation.id}:${invitation.sendCount}`,
            payload: { ...sent, kind: 'reminder' },
            createdAt: now,
          });
        }
        await enqueue(trx, messages);
        return { claimed: due.length, queued: messages.length };
      });
      reminded += batch.queued;
      if (batch.claimed < BATCH) break;
    }
    if (reminded > 0) this.#onQueued();
    if (expired > 0 || reminded > 0) this.#logger.info({ expired, reminded }, 'sweep');
    const pruned = await this.#prune();
    await this.#runTasks();
    return { expired, reminded, pruned };
  }

  /** Each task in turn; one that fails is logged and does not keep the others from running. */
  async #runTasks(): Promise<void> {
    for (const task of this.#tasks) {
      try {
        const result = await task.run();
        if (result) this.#logger.info(result, task.name);
      } catch (error) {
        this.#logger.warn({ task: task.name, cause: (error as Error).message }, 'sweep task failed');
      }
    }
  }

  /** Retention, at most hourly: idempotency keys, settled messages and the dev mailbox. */
  async #prune(): Promise<number> {
    const now = this.#clock.now().getTime();
    if (now - this.#lastPrune < HOUR) return 0;
    this.#lastPrune = now;
    const db = this.#database.db;
    await pruneIdempotencyKeys(db, new Date(now - RETENTION.idempotencyKeys));
    const settled = await db
      .transaction()
      .execute((trx) => pruneSettled(trx, new Date(now - RETENTION.settledMessages)));
    const captured = await pruneCapturedEmails(db, new Date(now - RETENTION.capturedEmails));
    const signUps = await pruneSignUps(db, new Date(now - RETENTION.signUps));
    if (settled + captured + signUps > 0)
      this.#logger.info({ settled, captured, sign_ups: signUps }, 'pruned');
    return settled + captured + signUps;
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }
}
