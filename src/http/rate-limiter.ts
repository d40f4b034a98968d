import type { Redis } from 'ioredis';
import type { Clock } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';

export interface RateLimit {
  /** Most units per window. */
  limit: number;
  windowMs: number;
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

/** Counters in Redis, shared by every rsvp process. ioredis is loaded only when this is used. */
export class RedisRateLimiter implements RateLimiter {
  readonly #redis: Promise<Redis>;
  readonly #prefix: string;

  constructor(url: string, prefix = 'rsvp:rl:') {
    this.#redis = import('ioredis').then(({ Redis }) => {
      const redis = new Redis(url, {
        enableAutoPipelining: true,
        maxRetriesPerRequest: 2,
        lazyConnect: false,
      });
      redis.defineCommand('rsvpConsume', { numberOfKeys: 1, lua: CONSUME });
      return redis;
    });
    this.#prefix = prefix;
  }

  async consume(key: string, rule: RateLimit, cost = 1): Promise<RateDecision> {
    const [allowed, count, ttl] = (await (
      (await this.#redis) as unknown as {
        rsvpConsume(key: string, cost: number, limit: number, windowMs: number): Promise<number[]>;
      }
    ).rsvpConsume(`${this.#prefix}${key}`, cost, rule.limit, rule.windowMs)) as [number, number, number];
    return {
      allowed: allowed === 1,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - count),
      resetSeconds: Math.max(1, Math.ceil((ttl > 0 ? ttl : rule.windowMs) / 1000)),
    };
  }

  async close() {
    await (await this.#redis).quit();
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
    extras: { retry_after_seconds: decision.resetSeconds, limit: decision.limit },
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
  /** Unauthenticated requests (invitee pages, token lookups, sign-in) per client address. */
  perClientAddress: RateLimit;
  /** Failed sign-ins (password or key secret) per account and client address. */
  signIn: RateLimit;
  /** Failed sign-ins per client address, whatever the account. */
  signInPerAddress: RateLimit;
  /** Requests per principal, on the APIs that publish a request quota (Confluent). */
  perPrincipal: RateLimit;
}

export const DEFAULT_ABUSE_LIMITS: AbuseLimits = {
  perRecipient: { limit: 10, windowMs: 10 * 60_000 },
  perRecipientShared: { limit: 30, windowMs: 10 * 60_000 },
  perInviter: { limit: 5000, windowMs: 24 * 3_600_000 },
  perInvitationResend: { limit: 5, windowMs: 3_600_000 },
  perClientAddress: { limit: 300, windowMs: 60_000 },
  signIn: { limit: 10, windowMs: 15 * 60_000 },
  signInPerAddress: { limit: 100, windowMs: 15 * 60_000 },
  perPrincipal: { limit: 1000, windowMs: 60_000 },
};
