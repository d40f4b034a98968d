import type { UserRecord } from '../access/user-record.ts';
import type { Database } from '../db/database.ts';
import type { InstanceKeys } from '../instance/instance-keys.ts';
import { addressBucket } from '../lib/client-address.ts';
import { type Clock, DAY } from '../lib/clock.ts';
import { canonicalEmail, checkEmail, describeEmailProblem } from '../lib/email.ts';
import { AppError } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { type AbuseLimits, type RateLimiter, tooManyRequests } from '../lib/rate-limiter.ts';
import { decrypt, encrypt, isWellFormedTypedSecret, newTypedSecret, sha256 } from '../lib/secrets.ts';
import { enqueue } from '../outbox/outbox.repository.ts';
import { findSignUpByTokenHash, insertSignUp, type SignUpRecord, spendSignUp } from './sign-up.repository.ts';
import { invalidEmail } from './user.errors.ts';
import { findUserByCanonicalEmail, neverRegistered } from './user.repository.ts';
import type { UserService } from './user.service.ts';

export const SIGN_UP_TOKEN_PREFIX = 'rsvp_su_';
/** How long a confirmation link works: long enough for a mail that is read the next morning. */
export const SIGN_UP_TTL_MS = DAY;
export const MIN_PASSWORD_LENGTH = 8;
/**
 * What a name typed on a public form may not hold: control characters, text-direction controls
 * (which can make a name read as something else in an admin's list) and invisible spaces. Joiners
 * used inside emoji sequences stay allowed.
 */
const HIDDEN_CHARACTERS = /[\p{Cc}\u061C\u200B\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/u;

const linkNotFound = () =>
  new AppError(404, 'sign_up_not_found', 'Sign-up link not found', 'This sign-up link is not valid.');
const linkSpent = () =>
  new AppError(410, 'sign_up_link_used', 'Sign-up link used', 'This sign-up link was already used.');
const linkExpired = () =>
  new AppError(410, 'sign_up_link_expired', 'Sign-up link expired', 'This sign-up link has expired.');

export interface SignUpDeps {
  database: Database;
  clock: Clock;
  keys: InstanceKeys;
  rateLimiter: RateLimiter;
  abuseLimits: AbuseLimits;
  publicUrl: string;
  users: UserService;
  /** Told after a commit that queued email. */
  onQueued: () => void;
}

/**
 * Accounts for people nobody invited, with their address proven: the form asks only for the
 * address, rsvp mails it a link, and the account is created when that link is opened and a
 * password chosen. So every account's address is its owner's (`email_verified`), and an account
 * made this way may join through a link's allowed domain or an organization's verified domain.
 * The answer to the form is the same whether or not an account exists: it tells nobody who has one.
 */
export class SignUpService {
  readonly #deps: SignUpDeps;
  readonly #recording = new Set<Promise<void>>();

  constructor(deps: SignUpDeps) {
    this.#deps = deps;
  }

  /**
   * Checks the address and the limits (422, 429), then records the sign-up and queues its email
   * in `recorded`, unless an account already has the address (then nothing is sent). The caller
   * answers without waiting for `recorded`: the answer takes as long whether or not the address
   * has an account, so its timing tells nobody. `joinToken`: the join link to come back to.
   */
  async start(input: {
    email: string;
    joinToken?: string | undefined;
    locale?: string | undefined;
    clientIp: string;
  }): Promise<{ recorded: Promise<void> }> {
    const email = input.email.trim().normalize('NFC');
    const problem = checkEmail(email);
    if (problem) throw invalidEmail(email, describeEmailProblem(email, problem));
    const emailCanonical = canonicalEmail(email);
    const { rateLimiter, abuseLimits } = this.#deps;
    const perClient = await rateLimiter.consume(
      `sign-up:ip:${addressBucket(input.clientIp)}`,
      abuseLimits.signUpPerClient,
    );
    if (!perClient.allowed)
      throw tooManyRequests(perClient, abuseLimits.signUpPerClient, 'Too many sign-ups from your address.');
    const perEmail = await rateLimiter.consume(`sign-up:email:${emailCanonical}`, abuseLimits.signUpPerEmail);
    if (!perEmail.allowed)
      throw tooManyRequests(perEmail, abuseLimits.signUpPerEmail, 'Too many sign-up emails to this address.');
    const recorded = this.#record({ ...input, email, emailCanonical }).finally(() =>
      this.#recording.delete(recorded),
    );
    this.#recording.add(recorded);
    return { recorded };
  }

  /** Resolves once every sign-up started so far is recorded (or failed): for tests and shutdown. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#recording]);
  }

  async #record(input: {
    email: string;
    emailCanonical: string;
    joinToken?: string | undefined;
    locale?: string | undefined;
  }) {
    const { database, clock, keys } = this.#deps;
    const { email, emailCanonical } = input;
    const existing = await findUserByCanonicalEmail(database.db, emailCanonical);
    // Someone invited before they had an account (a placeholder, active or not) may sign up.
    if (existing && !neverRegistered(existing)) return;
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
   * Creates the account the link confirms, spending the link in the same transaction; 409 when
   * an account took the address meanwhile. Returns the join link the sign-up started from.
   */
  async complete(input: {
    token: string;
    password: string;
    displayName?: string | undefined;
  }): Promise<{ user: UserRecord; joinToken: string | null }> {
    const signUp = await this.inspect(input.token);
    if (input.displayName !== undefined && HIDDEN_CHARACTERS.test(input.displayName)) {
      throw new AppError(
        422,
        'invalid_display_name',
        'Invalid name',
        'A name may not hold control characters, text-direction overrides or invisible spaces.',
      );
    }
    if (input.password.length < MIN_PASSWORD_LENGTH) {
      throw new AppError(
        422,
        'password_too_short',
        'Password too short',
        `Choose a password of ${MIN_PASSWORD_LENGTH} characters or more.`,
      );
    }
    const user = await this.#deps.users.register(
      { email: signUp.email, password: input.password, display_name: input.displayName },
      {
        instanceAdmin: false,
        actor: null,
        via: 'sign_up',
        emailVerified: true,
        first: async (trx) => {
          if (!(await spendSignUp(trx, signUp.id, this.#deps.clock.now()))) throw linkSpent();
        },
      },
    );
    const joinToken = signUp.sealedJoinToken
      ? decrypt(this.#deps.keys.encryption, signUp.sealedJoinToken)
      : null;
    return { user, joinToken };
  }
}
