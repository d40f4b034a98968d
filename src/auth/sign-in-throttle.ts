import { addressBucket } from '../lib/client-address.ts';
import { AppError } from '../lib/errors.ts';
import {
  type RateDecision,
  type RateLimit,
  type RateLimiter,
  rateLimitHeaders,
  tooManyRequests,
} from '../lib/rate-limiter.ts';
import { sha256 } from '../lib/secrets.ts';

export interface SignInLimits {
  /** Failed sign-ins for one account from one client address. */
  perAccountAndAddress: RateLimit;
  /** Failed sign-ins from one client address, whatever the account. */
  perAddress: RateLimit;
}

/**
 * Limits guessing on every check of a password or a key secret (HTTP Basic on any listener,
 * CVAT's login, the token endpoints, the invitee page). Only failures count, so a client that
 * signs in correctly on every request is never slowed; the account's counter is keyed by
 * account AND address, so an attacker elsewhere cannot lock the real user out, and a
 * per-address counter stops one address from trying many accounts.
 *
 * Blocked means the failure budget is spent: the check is refused with 429 without being
 * run (no work, no answer). A check that completes while the budget is spent answers 429
 * too, even when right, so a burst of concurrent guesses learns nothing past the limit.
 */
export class SignInThrottle {
  readonly #limiter: RateLimiter;
  readonly #limits: SignInLimits;

  constructor(limiter: RateLimiter, limits: SignInLimits) {
    this.#limiter = limiter;
    this.#limits = limits;
  }

  /**
   * `secret` says what is checked. While Redis is unreachable, password checks are refused (503):
   * a person can retry in a moment, and a multiplied guessing allowance is what the limit exists
   * to prevent. Key-secret checks count in this process instead: a 256-bit secret cannot be
   * guessed, and refusing would take every key-id-and-secret client down with Redis.
   */
  async guard<T>(
    account: string,
    clientIp: string,
    secret: 'password' | 'key',
    check: () => Promise<T>,
  ): Promise<T> {
    const address = addressBucket(clientIp);
    const onOutage = secret === 'password' ? 'refuse' : 'local';
    const limits: SignInLimits = {
      perAccountAndAddress: { ...this.#limits.perAccountAndAddress, onOutage },
      perAddress: { ...this.#limits.perAddress, onOutage },
    };
    const keys = {
      account: `auth-fail:acct:${sha256(account)}:${address}`,
      address: `auth-fail:addr:${address}`,
    };
    await this.#refuseWhenSpent(keys, limits);
    let result: T;
    try {
      result = await check();
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 401) throw error;
      throw await this.#countFailure(keys, limits, error);
    }
    await this.#refuseWhenSpent(keys, limits);
    return result;
  }

  /** Cost 0 reads a counter without spending it; no remaining unit means the budget is spent. */
  async #refuseWhenSpent(keys: { account: string; address: string }, limits: SignInLimits): Promise<void> {
    const { perAccountAndAddress, perAddress } = limits;
    const [account, address] = await Promise.all([
      this.#limiter.consume(keys.account, perAccountAndAddress, 0),
      this.#limiter.consume(keys.address, perAddress, 0),
    ]);
    if (account.remaining === 0)
      throw refusal(account, perAccountAndAddress, 'this account from your address');
    if (address.remaining === 0) throw refusal(address, perAddress, 'your address');
  }

  async #countFailure(
    keys: { account: string; address: string },
    limits: SignInLimits,
    failure: AppError,
  ): Promise<AppError> {
    const { perAccountAndAddress, perAddress } = limits;
    const [account, address] = await Promise.all([
      this.#limiter.consume(keys.account, perAccountAndAddress),
      this.#limiter.consume(keys.address, perAddress),
    ]);
    if (!account.allowed) return refusal(account, perAccountAndAddress, 'this account from your address');
    if (!address.allowed) return refusal(address, perAddress, 'your address');
    return new AppError(failure.status, failure.code, failure.title, failure.message, {
      extras: failure.extras,
      headers: { ...failure.headers, ...rateLimitHeaders(account, perAccountAndAddress) },
    });
  }
}

function refusal(decision: RateDecision, rule: RateLimit, whose: string): AppError {
  return tooManyRequests(
    decision,
    rule,
    `Too many failed sign-ins for ${whose}; try again in ${decision.resetSeconds} seconds.`,
    'too_many_sign_in_attempts',
  );
}
