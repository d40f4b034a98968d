import type { Redis } from 'ioredis';
import type { Clock } from './clock.ts';
import { AppError, serviceUnavailable } from './errors.ts';

export interface RateLimit {
  /** Most units per window. */
  limit: number;
  windowMs: number;
  /**
   * When the shared counters (Redis) cannot be reached: count in this process instead
   * (`local`, the default), or refuse with 503 (`refuse`). See docs/decisions.md.
   */
  onOutage?: 'local' | 'refuse';
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSeconds: number;
}

/**
 * Fixed-window counters. A refused request consumes nothing, so a client that waits for
 * Retry-After gets its full allowance back. A cost of 0 reads a counter without spending it;
 * a negative cost gives units back.
 */
export interface RateLimiter {
  consume(key: string, rule: RateLimit, cost?: number): Promise<RateDecision>;
  /** Whether the shared counters answer (always true in process); for `/readyz`. */
  ready(): Promise<boolean>;
  close(): Promise<void>;
}

/** One process's counters: right for SQLite and single-process deployments. */
export class MemoryRateLimiter implements RateLimiter {
  readonly #clock: Clock;
  readonly #windows = new Map<string, { count: number; resetAt: number }>();
  #lastPrune = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  async consume(key: string, rule: RateLimit, cost = 1): Promise<RateDecision> {
    const now = this.#clock.now().getTime();
    this.#prune(now);
    let window = this.#windows.get(key);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + rule.windowMs };
      this.#windows.set(key, window);
    }
    const allowed = window.count + cost <= rule.limit;
    if (allowed) window.count = Math.max(0, window.count + cost);
    return {
      allowed,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - window.count),
      resetSeconds: Math.max(1, Math.ceil((window.resetAt - now) / 1000)),
    };
  }

  #prune(now: number) {
    if (now - this.#lastPrune < 60_000) return;
    this.#lastPrune = now;
    for (const [key, window] of this.#windows) if (window.resetAt <= now) this.#windows.delete(key);
  }

  async ready() {
    return true;
  }

  async close() {}
}

/** Check and increment in one step, so concurrent processes cannot both take the last unit. */
const CONSUME = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local cost = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if count + cost > limit then
  return {0, count, ttl}
end
count = redis.call('INCRBY', KEYS[1], cost)
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  ttl = tonumber(ARGV[3])
end
return {1, count, ttl}
`;

/** How long one Redis call may take before the limiter stops waiting for it. */
const REDIS_COMMAND_TIMEOUT_MS = 500;

interface RedisLimiterLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Counters in Redis, shared by every rsvp process. ioredis is loaded only when this is used.
 * While Redis is unreachable, each call fails within REDIS_COMMAND_TIMEOUT_MS (no offline
 * queue) and the rule's `onOutage` decides: this process's own counters, or 503.
 */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Promise<Redis>;
  readonly #prefix: string;
  readonly #local: MemoryRateLimiter;
  readonly #logger: RedisLimiterLogger | undefined;
  #degraded = false;

  constructor(url: string, options: { clock: Clock; logger?: RedisLimiterLogger; prefix?: string }) {
    this.#local = new MemoryRateLimiter(options.clock);
    this.#logger = options.logger;
    this.#redis = import('ioredis').then(({ Redis }) => {
      const redis = new Redis(url, {
        enableAutoPipelining: true,
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        connectTimeout: 2_000,
        commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
        retryStrategy: (times) => Math.min(200 * times, 2_000),
        lazyConnect: false,
      });
      // Connection errors are reported through the calls that fail; without a listener
      // ioredis prints every reconnect attempt.
      redis.on('error', () => {});
      redis.defineCommand('rsvpConsume', { numberOfKeys: 1, lua: CONSUME });
      // Without an offline queue, calls made before the first connection would fail: wait
      // for it, briefly (a Redis that is down at start is an outage like any other).
      return new Promise<Redis>((resolve) => {
        const timer = setTimeout(() => resolve(redis), 2_000);
        redis.once('ready', () => {
          clearTimeout(timer);
          resolve(redis);
        });
      });
    });
    this.#prefix = options.prefix ?? 'rsvp:rl:';
  }

  async consume(key: string, rule: RateLimit, cost = 1): Promise<RateDecision> {
    let reply: [number, number, number];
    try {
      reply = (await (
        (await this.#redis) as unknown as {
          rsvpConsume(key: string, cost: number, limit: number, windowMs: number): Promise<number[]>;
        }
      ).rsvpConsume(`${this.#prefix}${key}`, cost, rule.limit, rule.windowMs)) as [number, number, number];
    } catch (error) {
      if (!this.#degraded) {
        this.#degraded = true;
        this.#logger?.warn(
          { err: error },
          'rate limits: Redis unreachable; counting in this process (sign-in refused) until it is back',
        );
      }
      if (rule.onOutage === 'refuse') {
        throw serviceUnavailable('This check needs a service that is unavailable; retry shortly.');
      }
      return this.#local.consume(key, rule, cost);
    }
    if (this.#degraded) {
      this.#degraded = false;
      this.#logger?.info({}, 'rate limits: Redis is back');
    }
    const [allowed, count, ttl] = reply;
    return {
      allowed: allowed === 1,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - count),
      resetSeconds: Math.max(1, Math.ceil((ttl > 0 ? ttl : rule.windowMs) / 1000)),
    };
  }

  async ready(): Promise<boolean> {
    try {
      return (await (await this.#redis).ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  async close() {
    const redis = await this.#redis;
    try {
      await redis.quit();
    } catch {
      redis.disconnect();
    }
  }
}

export function rateLimitHeaders(decision: RateDecision, rule: RateLimit): Record<string, string> {
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(decision.resetSeconds),
    'ratelimit-policy': `${rule.limit};w=${Math.round(rule.windowMs / 1000)}`,
  };
}

/** The 429 for a refused decision, with Retry-After and the RateLimit headers. */
export function tooManyRequests(
  decision: RateDecision,
  rule: RateLimit,
  detail: string,
  code = 'rate_limited',
): AppError {
  return new AppError(429, code, 'Too many requests', detail, {
    // `remaining`: what a smaller request could still do now (a batch over the inviter's limit).
    extras: {
      retry_after_seconds: decision.resetSeconds,
      limit: decision.limit,
      remaining: decision.remaining,
    },
    headers: { 'retry-after': String(decision.resetSeconds), ...rateLimitHeaders(decision, rule) },
  });
}

/** `600000` → `10 minutes`, `3600000` → `hour`: a window as error details word it. */
export function describeWindow(ms: number): string {
  const hour = 3_600_000;
  const day = 24 * hour;
  if (ms % day === 0) return ms === day ? 'day' : `${ms / day} days`;
  if (ms % hour === 0) return ms === hour ? 'hour' : `${ms / hour} hours`;
  return `${Math.round(ms / 60_000)} minutes`;
}

export interface AbuseLimits {
  /** Invitation emails to one address from one organization. */
  perRecipient: RateLimit;
  /** Invitation emails to one address beyond each organization's guaranteed few, all organizations together. */
  perRecipientShared: RateLimit;
  /** Invitations one user creates. */
  perInviter: RateLimit;
  /** Resends of one invitation. */
  perInvitationResend: RateLimit;
  /** Test sends of an organization's email templates. */
  perOrganizationTestEmail: RateLimit;
  /** Unauthenticated requests (invitee pages, token lookups, sign-in) per client address. */
  perClientAddress: RateLimit;
  /** Failed sign-ins (password or key secret) per account and client address. */
  signIn: RateLimit;
  /** Failed sign-ins per client address, whatever the account. */
  signInPerAddress: RateLimit;
  /** Requests per principal, on the APIs that publish a request quota (Confluent). */
  perPrincipal: RateLimit;
  /** Attempts to join through a link or a verified domain, per user, failed ones included. */
  perJoiner: RateLimit;
  /** DNS checks of one organization's domains: rsvp is no one's DNS query relay. */
  perDomainCheck: RateLimit;
  /** Template renders (checks at save, previews) per organization: each costs up to 250 ms of CPU. */
  perOrganizationTemplateRender: RateLimit;
  /** Sign-up confirmation emails to one address: nobody's mailbox is flooded through the form. */
  signUpPerEmail: RateLimit;
  /** Sign-up confirmation emails asked from one client address, whatever the addresses. */
  signUpPerClient: RateLimit;
}

export const DEFAULT_ABUSE_LIMITS: AbuseLimits = {
  perRecipient: { limit: 10, windowMs: 10 * 60_000 },
  perRecipientShared: { limit: 30, windowMs: 10 * 60_000 },
  perInviter: { limit: 5000, windowMs: 24 * 3_600_000 },
  perInvitationResend: { limit: 5, windowMs: 3_600_000 },
  perOrganizationTestEmail: { limit: 5, windowMs: 3_600_000 },
  perClientAddress: { limit: 300, windowMs: 60_000 },
  signIn: { limit: 10, windowMs: 15 * 60_000 },
  signInPerAddress: { limit: 100, windowMs: 15 * 60_000 },
  perPrincipal: { limit: 1000, windowMs: 60_000 },
  perJoiner: { limit: 20, windowMs: 3_600_000 },
  perDomainCheck: { limit: 10, windowMs: 10 * 60_000 },
  perOrganizationTemplateRender: { limit: 30, windowMs: 60_000 },
  signUpPerEmail: { limit: 3, windowMs: 3_600_000 },
  signUpPerClient: { limit: 20, windowMs: 3_600_000 },
};
