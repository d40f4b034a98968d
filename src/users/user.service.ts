import type { Principal } from '../access/principal.ts';
import type { AccountCreatedHook, UserRecord } from '../access/user-record.ts';
import { type Database, type Executor, isUniqueViolation } from '../db/database.ts';
import { recordAudit } from '../events/event.recorder.ts';
import type { Actor } from '../events/event.repository.ts';
import type { Clock } from '../lib/clock.ts';
import { canonicalEmail, checkEmail, describeEmailProblem } from '../lib/email.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { newId, newUuid } from '../lib/ids.ts';
import { nameHidesCharacters } from '../lib/visible-text.ts';
import { hashPassword } from './passwords.ts';
import { invalidDisplayName, invalidEmail } from './user.errors.ts';
import {
  findUserByCanonicalEmail,
  findUserById,
  findUserBySeq,
  findUserByUsername,
  insertUser,
  listUsers,
  neverRegistered,
  shareAnOrganization,
  updateUser,
} from './user.repository.ts';

export interface UserInput {
  email: string;
  username?: string | undefined;
  display_name?: string | undefined;
  password?: string | undefined;
}

export class UserService {
  readonly #database: Database;
  readonly #clock: Clock;
  readonly #onAccountCreated: AccountCreatedHook;
  constructor(deps: { database: Database; clock: Clock; onAccountCreated?: AccountCreatedHook | undefined }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
    this.#onAccountCreated = deps.onAccountCreated ?? (async () => {});
  }

  /** A user by integer number, for wire formats with integer ids; undefined when none. */
  /** By id, with no access check: callers decide who may see it. */
  findById(id: string): Promise<UserRecord | undefined> {
    return findUserById(this.#database.db, id);
  }

  findBySeq(seq: number): Promise<UserRecord | undefined> {
    return findUserBySeq(this.#database.db, seq);
  }

  /** The address of an active user by username, for APIs that invite by name; undefined when none. */
  async emailOfUsername(username: string): Promise<string | undefined> {
    const user = await findUserByUsername(this.#database.db, username);
    return user?.status === 'active' ? user.email : undefined;
  }

  /** Instance admins create users. */
  async create(principal: Principal, input: UserInput): Promise<UserRecord> {
    requireInstanceAdmin(principal, 'create users');
    return this.register(input, {
      instanceAdmin: false,
      actor: principal,
      via: 'admin',
      emailVerified: true,
    });
  }

  /**
   * Registers a user. An address held by a placeholder (someone invited before they had an
   * account) is taken over: the person keeps everything already addressed to them.
   */
  async register(
    input: UserInput,
    options: {
      instanceAdmin: boolean;
      actor: Actor | null;
      via: 'admin' | 'bootstrap' | 'invitee_page' | 'sign_up';
      /** The address is proven the registrant's (see `UserRecord.emailVerified`). */
      emailVerified: boolean;
      /** Runs first in the creating transaction (a sign-up's link is spent there); may throw. */
      first?: (trx: Executor) => Promise<void>;
    },
  ): Promise<UserRecord> {
    const email = input.email.trim().normalize('NFC');
    const problem = checkEmail(input.email);
    if (problem) throw invalidEmail(input.email, describeEmailProblem(input.email, problem));
    if (input.display_name !== undefined && nameHidesCharacters(input.display_name))
      throw invalidDisplayName();
    const now = this.#clock.now();
    // Hashing is slow on purpose: done before the transaction so it holds no lock meanwhile.
    const passwordHash = input.password ? await hashPassword(input.password) : null;
    const emailCanonical = canonicalEmail(email);
    try {
      return await this.#database.db.transaction().execute(async (trx) => {
        await options.first?.(trx);
        const user = await this.#upsertRegistered(
          trx,
          input,
          email,
          emailCanonical,
          passwordHash,
          options,
          now,
        );
        await recordAudit(trx, {
          type: 'user.created',
          organizationId: null,
          subject: { type: 'user', id: user.id },
          actor: options.actor,
          now,
          data: {
            via: options.via,
            instance_admin: options.instanceAdmin,
            email_verified: options.emailVerified,
          },
        });
        await this.#onAccountCreated(trx, user, now);
        return user;
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError(
          409,
          'username_taken',
          'Username taken',
          'This username or email is already in use.',
          {
            extras: { errors: [{ pointer: '/body/username', detail: 'already in use' }] },
          },
        );
      }
      throw error;
    }
  }

  async #upsertRegistered(
    db: Executor,
    input: UserInput,
    email: string,
    emailCanonical: string,
    passwordHash: string | null,
    options: { instanceAdmin: boolean; emailVerified: boolean },
    now: Date,
  ): Promise<UserRecord> {
    const existing = await findUserByCanonicalEmail(db, emailCanonical);
    if (existing && !neverRegistered(existing)) {
      throw new AppError(
        409,
        'email_taken',
        'Email taken',
        'A user with this email address already exists.',
        {
          extras: { errors: [{ pointer: '/body/email', detail: 'already registered' }] },
        },
      );
    }
    if (existing) {
      await updateUser(db, existing.id, {
        email,
        username: input.username ?? null,
        displayName: input.display_name ?? null,
        passwordHash,
        status: 'active',
        emailVerified: options.emailVerified,
        updatedAt: now,
      });
      return (await findUserById(db, existing.id))!;
    }
    const user: UserRecord = {
      id: newId('usr', now),
      uuid: newUuid(),
      email,
      emailCanonical,
      username: input.username ?? null,
      displayName: input.display_name ?? null,
      passwordHash,
      status: 'active',
      isInstanceAdmin: options.instanceAdmin,
      externalId: null,
      emailVerified: options.emailVerified,
      createdAt: now,
      updatedAt: now,
    };
    await insertUser(db, user);
    return user;
  }

  /** Every user of the instance, one page at a time: instance admins only. */
  async list(
    principal: Principal,
    options: {
      search?: string | undefined;
      status?: UserRecord['status'] | undefined;
      afterId?: string | undefined;
      limit: number;
    },
  ): Promise<UserRecord[]> {
    requireInstanceAdmin(principal, 'list every user');
    return listUsers(this.#database.db, options);
  }

  /** Visible: yourself, people who share an organization with you; instance admins see all. */
  async get(principal: Principal, id: string): Promise<UserRecord> {
    const db = this.#database.db;
    const user = await findUserById(db, id);
    const visible =
      user &&
      (user.id === principal.user.id ||
        principal.user.isInstanceAdmin ||
        (await shareAnOrganization(db, principal.user.id, user.id)));
    if (!visible) throw notFound('user');
    return user;
  }
}

function requireInstanceAdmin(principal: Principal, what: string): void {
  if (principal.user.isInstanceAdmin) return;
  throw new AppError(
    403,
    'instance_admin_required',
    'Instance admin required',
    `Only instance admins ${what}.`,
  );
}
