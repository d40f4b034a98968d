import type { WorkerLogger } from './outbox.worker.ts';

export class DeadlineExceeded extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

/**
 * `work`, or DeadlineExceeded after `ms`. The work is abandoned, not cancelled: what it holds
 * (an outbox lease) lapses on its own, and the statement and query timeouts end its queries.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded(what, ms)), ms);
  });
  // An abandoned step may still fail later; that must not become an unhandled rejection.
  work.catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export interface GuardedLoopOptions {
  name: string;
  /** One iteration; a positive result means there may be more work, so run again at once. */
  step: () => Promise<number>;
  /** Pause between iterations that found nothing to do. */
  intervalMs: number;
  /** Longest one iteration may take before it is abandoned and the loop goes on. */
  deadlineMs: number;
  logger: WorkerLogger;
}

const MAX_ERROR_BACKOFF_MS = 5_000;

/**
 * A polling loop that no stuck call can stop for the life of the process: every iteration
 * has a deadline, failures back off (so an outage is not a busy loop), and a watchdog restarts
 * the loop if it ever stops beating anyway.
 */
export class GuardedLoop {
  readonly #options: GuardedLoopOptions;
  #stopped = true;
  #generation = 0;
  #beat = 0;
  #running: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  /** Iterations abandoned at their deadline, and loops restarted by the watchdog. */
  readonly stats = { abandoned: 0, restarted: 0, failed: 0 };

  constructor(options: GuardedLoopOptions) {
    this.#options = options;
  }

  /** Longest one iteration may take before it is abandoned. */
  get deadlineMs(): number {
    return this.#options.deadlineMs;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#launch();
    const { deadlineMs, intervalMs } = this.#options;
    const stallMs = deadlineMs + Math.max(intervalMs, MAX_ERROR_BACKOFF_MS) + 1_000;
    this.#watchdog = setInterval(
      () => {
        if (this.#stopped || performance.now() - this.#beat < stallMs) return;
        this.stats.restarted++;
        this.#options.logger.error({ loop: this.#options.name }, 'loop stalled; restarting it');
        this.#launch();
      },
      Math.min(stallMs, 10_000),
    );
    this.#watchdog.unref();
  }

  /** Wakes the loop early, when work was just queued. */
  nudge(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#wake?.();
  }

  /** Finishes (or abandons, at its deadline) the iteration in hand, then stops. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#watchdog);
    this.nudge();
    await this.#running;
  }

  #launch() {
    const generation = ++this.#generation;
    this.#beat = performance.now();
    this.#running = this.#loop(generation);
  }

  async #loop(generation: number): Promise<void> {
    const { name, step, intervalMs, deadlineMs, logger } = this.#options;
    let failures = 0;
    // A newer generation means the watchdog gave up on this one: it ends quietly.
    while (!this.#stopped && generation === this.#generation) {
      this.#beat = performance.now();
      let handled = 0;
      try {
        handled = await withDeadline(step(), deadlineMs, name);
        failures = 0;
      } catch (error) {
        failures++;
        if (error instanceof DeadlineExceeded) this.stats.abandoned++;
        else this.stats.failed++;
        // One line per outage rather than one per poll.
        if (failures === 1 || error instanceof DeadlineExceeded) {
          logger.error({ err: error, loop: name }, `${name} failed`);
        }
      }
      if (this.#stopped || generation !== this.#generation) return;
      if (handled > 0) continue;
      const pause = failures > 0 ? Math.min(intervalMs * 2 ** failures, MAX_ERROR_BACKOFF_MS) : intervalMs;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, pause);
      });
      this.#wake = undefined;
    }
  }
}
