import type { UserRecord } from '../access/user-record.ts';
import type { Database, Executor } from '../db/database.ts';
import { recordAudit } from '../events/event.recorder.ts';
import type { InstanceKeys } from '../instance/instance-keys.ts';
import { addressBucket } from '../lib/client-address.ts';
import { type Clock, DAY } from '../lib/clock.ts';
import { canonicalEmail, checkEmail, describeEmailProblem } from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { type AbuseLimits, type RateLimiter, tooManyRequests } from '../lib/rate-limiter.ts';
import { decrypt, encrypt, isWellFormedTypedSecret, newTypedSecret, sha256 } from '../lib/secrets.ts';
import { nameHidesCharacters } from '../lib/visible-text.ts';
import { enqueue } from '../outbox/outbox.repository.ts';
import { hashPassword } from './passwords.ts';
import { findSignUpByTokenHash, insertSignUp, type SignUpRecord, spendSignUp } from './sign-up.repository.ts';
import { invalidDisplayName, invalidEmail, passwordTooShort } from './user.errors.ts';
import { findUserByCanonicalEmail, findUserById, neverRegistered, updateUser } from './user.repository.ts';
import type { UserService } from './user.service.ts';

export const SIGN_UP_TOKEN_PREFIX = 'rsvp_su_';
/** How long a confirmation link works: long enough for a mail that is read the next morning. */
export const SIGN_UP_TTL_MS = DAY;
export const MIN_PASSWORD_LENGTH = 8;
const linkNotFound = () =>
  new AppError(404, 'sign_up_not_found', 'Sign-up link not found', 'This sign-up link is not valid.');
const linkSpent = () =>
  new AppError(410, 'sign_up_link_used', 'Sign-up link used', 'This sign-up link was already used.');
const linkExpired = () =>
  new AppError(410, 'sign_up_link_expired', 'Sign-up link expired', 'This sign-up link has expired.');
const accountDeactivated = () =>
  new AppError(
    403,
    'account_deactivated',
    'Account deactivated',
    'The account with this address is deactivated; an administrator can reactivate it.',
  );

/**
 * What a live link leads to, known only once the mailbox is proven (the link was opened):
 * `new` creates the account (no account, or only a placeholder); `unproven` takes over an account
 * made from a handed-out link, whose address nobody proved (issue 21: whoever held the link chose
 * its password); `existing` sets a new password; `deactivated` is refused.
 */
export type SignUpStanding = 'new' | 'unproven' | 'existing' | 'deactivated';

export function standingOf(user: UserRecord | undefined): SignUpStanding {
  if (!user || neverRegistered(user)) return 'new';
  if (user.status !== 'active') return 'deactivated';
  return user.emailVerified ? 'existing' : 'unproven';
}

export interface SignUpDeps {
  database: Database;
  clock: Clock;
  keys: InstanceKeys;
  rateLimiter: RateLimiter;
  abuseLimits: AbuseLimits;
  publicUrl: string;
  users: UserService;
  /** Revokes every API key of a user, in the caller's transaction (`auth/`, passed by the composition root). */
  revokeKeysOf: (trx: Executor, userId: string, now: Date) => Promise<number>;
  /** Told after a commit that queued email. */
  onQueued: () => void;
}

/**
 * Proving a mailbox by a mailed link, for people nobody invited and for those who forgot their
 * password: the form asks only for the address and rsvp mails it a link; opening the link creates
 * the account, or sets a new password for the one that has the address. Every account made here
 * has its address proven (`email_verified`), so it may join through a link's allowed domain or an
 * organization's verified domain.
 *
 * The form's answer, the work behind it and the email are the same whether or not the address has
 * an account: nothing is looked up until the link is opened, so neither the page, nor its timing,
 * nor the next request's, tells anyone who has an account.
 */
export class SignUpService {
  readonly #deps: SignUpDeps;

  constructor(deps: SignUpDeps) {
    this.#deps = deps;
  }

  /**
   * Checks the address and the limits (422, 429), then records the sign-up and queues its email
   * in one transaction, before the caller answers: a failed write is an error, never a lost
   * request. `joinToken`: the join link to come back to.
   */
  async start(input: {
    email: string;
    joinToken?: string | undefined;
    locale?: string | undefined;
    clientIp: string;
  }): Promise<void> {
    const email = input.email.trim().normalize('NFC');
    const problem = checkEmail(email);
    if (problem) throw invalidEmail(email, describeEmailProblem(email, problem));
    const emailCanonical = canonicalEmail(email);
    const { rateLimiter, abuseLimits, database, clock, keys } = this.#deps;
    const perClient = await rateLimiter.consume(
      `sign-up:ip:${addressBucket(input.clientIp)}`,
      abuseLimits.signUpPerClient,
    );
    if (!perClient.allowed)
      throw tooManyRequests(perClient, abuseLimits.signUpPerClient, 'Too many sign-ups from your address.');
    const perEmail = await rateLimiter.consume(`sign-up:email:${emailCanonical}`, abuseLimits.signUpPerEmail);
    if (!perEmail.allowed)
      throw tooManyRequests(perEmail, abuseLimits.signUpPerEmail, 'Too many sign-up emails to this address.');
    const now = clock.now();
    const token = newTypedSecret(SIGN_UP_TOKEN_PREFIX);
    const signUp: SignUpRecord = {
      id: newId('sup', now),
      email,
      emailCanonical,
      tokenHash: sha256(token),
      sealedJoinToken: input.joinToken ? encrypt(keys.encryption, input.joinToken) : null,
      locale: input.locale ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + SIGN_UP_TTL_MS),
      usedAt: null,
    };
    const link = new URL(`/sign-up?token=${token}`, this.#deps.publicUrl).toString();
    await database.db.transaction().execute(async (trx) => {
      await insertSignUp(trx, signUp);
      await enqueue(trx, [
        {
          id: newId('obx', now),
          kind: 'email',
          topic: 'sign_up.email',
          organizationId: null,
          invitationId: null,
          dedupeKey: `sign-up-email:${signUp.id}`,
          // The link waits sealed, as an invitation's does.
          payload: {
            kind: 'sign_up_confirmation',
            sign_up_id: signUp.id,
            to: email,
            locale: signUp.locale,
            expires_at: signUp.expiresAt.toISOString(),
            sealed_link: encrypt(keys.encryption, link),
          },
          createdAt: now,
        },
      ]);
    });
    this.#deps.onQueued();
  }

  /** The sign-up a link opens while it is live; 404 for an unknown link, 410 for a spent or expired one. */
  async inspect(token: string): Promise<SignUpRecord> {
    if (!isWellFormedTypedSecret(SIGN_UP_TOKEN_PREFIX, token)) throw linkNotFound();
    const signUp = await findSignUpByTokenHash(this.#deps.database.db, sha256(token));
    if (!signUp) throw linkNotFound();
    if (signUp.usedAt) throw linkSpent();
    if (signUp.expiresAt <= this.#deps.clock.now()) throw linkExpired();
    return signUp;
  }

  /** What opening this live sign-up leads to: for the page its link opens, past the mailbox proof. */
  async standing(signUp: SignUpRecord): Promise<SignUpStanding> {
    return standingOf(await findUserByCanonicalEmail(this.#deps.database.db, signUp.emailCanonical));
  }

  /**
   * The join link a sign-up link started from, whatever became of the sign-up (spent, expired):
   * whoever holds the sign-up link was given the join link, so a dead link can still lead back.
   */
  async joinTokenOf(token: string): Promise<string | null> {
    if (!isWellFormedTypedSecret(SIGN_UP_TOKEN_PREFIX, token)) return null;
    const signUp = await findSignUpByTokenHash(this.#deps.database.db, sha256(token));
    return signUp?.sealedJoinToken ? decrypt(this.#deps.keys.encryption, signUp.sealedJoinToken) : null;
  }

  /**
   * Spends the link and, in the same transaction, creates the account or sets the password of the
   * one that has the address (see `SignUpStanding`); 409 when an account took the address
   * meanwhile, 403 for a deactivated account. A new password ends every session opened under the
   * old one. Returns the join link the sign-up started from.
   */
  async complete(input: {
    token: string;
    password: string;
    displayName?: string | undefined;
  }): Promise<{ user: UserRecord; standing: SignUpStanding; joinToken: string | null }> {
    const signUp = await this.inspect(input.token);
    if (input.displayName !== undefined && nameHidesCharacters(input.displayName)) throw invalidDisplayName();
    if (input.password.length < MIN_PASSWORD_LENGTH) throw passwordTooShort(MIN_PASSWORD_LENGTH);
    const existing = await findUserByCanonicalEmail(this.#deps.database.db, signUp.emailCanonical);
    const standing = standingOf(existing);
    if (standing === 'deactivated') throw accountDeactivated();
    const spend = async (trx: Executor) => {
      if (!(await spendSignUp(trx, signUp.id, this.#deps.clock.now()))) throw linkSpent();
    };
    const user =
      standing === 'new'
        ? await this.#deps.users.register(
            { email: signUp.email, password: input.password, display_name: input.displayName },
            { instanceAdmin: false, actor: null, via: 'sign_up', emailVerified: true, first: spend },
          )
        : await this.#setPassword(existing!, input, spend);
    const joinToken = signUp.sealedJoinToken
      ? decrypt(this.#deps.keys.encryption, signUp.sealedJoinToken)
      : null;
    return { user, standing, joinToken };
  }

  /**
   * The mailbox's owner sets the password of the account that has the address. An account whose
   * address nobody proved becomes theirs: whoever made it loses its password, its identity
   * provider link and its API keys, and the name it chose.
   */
  async #setPassword(
    user: UserRecord,
    input: { password: string; displayName?: string | undefined },
    spend: (trx: Executor) => Promise<void>,
  ): Promise<UserRecord> {
    const { database, clock, revokeKeysOf } = this.#deps;
    const passwordHash = await hashPassword(input.password);
    const now = clock.now();
    const unproven = !user.emailVerified;
    return database.db.transaction().execute(async (trx) => {
      await spend(trx);
      await updateUser(trx, user.id, {
        passwordHash,
        emailVerified: true,
        ...(unproven ? { externalId: null, displayName: input.displayName ?? null } : {}),
        updatedAt: now,
      });
      const keysRevoked = unproven ? await revokeKeysOf(trx, user.id, now) : 0;
      await recordAudit(trx, {
        type: 'user.password_set',
        organizationId: null,
        subject: { type: 'user', id: user.id },
        actor: null,
        now,
        data: { via: 'sign_up', took_over_unproven_account: unproven, api_keys_revoked: keysRevoked },
      });
      return (await findUserById(trx, user.id))!;
    });
  }
}
