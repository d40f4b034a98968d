import { randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';
import type { Clock } from '../lib/clock.ts';
import { sha256 } from '../lib/secrets.ts';
import {
  deleteExpiredSessions,
  deleteSession,
  deleteSessionsOfUser,
  findSession,
  insertSession,
} from './session.repository.ts';

export const SESSION_TTL_SECONDS = 12 * 3600;
const SECRET = /^[A-Za-z0-9_-]{43}$/;

/** Ties a session to the password it was opened under; any password change moves the tag. */
const credentialTag = (passwordHash: string | null) => sha256(`session:${passwordHash ?? ''}`).slice(0, 32);

/**
 * Browser sessions, held on the server. The caller keeps a random secret (in a cookie); the
 * database keeps only its SHA-256. A session lives until it expires, is ended (sign-out), or
 * its user's password changes; ending it on the server kills every copy of the cookie.
 */
export class SessionStore {
  readonly #database: Database;
  readonly #clock: Clock;

  constructor(deps: { database: Database; clock: Clock }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
  }

  /** Opens a session for `userId`; returns the secret to hand to the browser (shown once). */
  async create(userId: string): Promise<{ secret: string; maxAgeSeconds: number }> {
    const db = this.#database.db;
    const now = this.#clock.now();
    const user = await db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    const secret = randomBytes(32).toString('base64url');
    await deleteExpiredSessions(db, now);
    await insertSession(db, {
      id: sha256(secret),
      userId,
      credentialTag: credentialTag(user.password_hash),
      createdAt: now,
      expiresAt: new Date(now.getTime() + SESSION_TTL_SECONDS * 1000),
    });
    return { secret, maxAgeSeconds: SESSION_TTL_SECONDS };
  }

  /** The user id of a live session, or null (unknown, ended, expired, or password changed). */
  async read(secret: string | undefined): Promise<string | null> {
    if (!secret || !SECRET.test(secret)) return null;
    const session = await findSession(this.#database.db, sha256(secret));
    if (!session) return null;
    if (session.expiresAt.getTime() <= this.#clock.now().getTime()) return null;
    if (session.credentialTag !== credentialTag(session.passwordHash)) return null;
    return session.userId;
  }

  /** Ends one session; a no-op for an unknown secret. */
  async end(secret: string | undefined): Promise<void> {
    if (!secret || !SECRET.test(secret)) return;
    await deleteSession(this.#database.db, sha256(secret));
  }

  /** Ends every session of a user (all devices); returns how many there were. */
  async endAll(userId: string): Promise<number> {
    return deleteSessionsOfUser(this.#database.db, userId);
  }
}
