import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../lib/clock.ts';
import { constantTimeEqual } from '../lib/secrets.ts';

export const SESSION_COOKIE = 'rsvp_session';
export const CSRF_COOKIE = 'rsvp_csrf';
const SESSION_TTL_SECONDS = 12 * 3600;

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/**
 * Browser sessions for the invitee pages: a cookie holding the user id and an expiry, signed
 * with the instance's session key, HttpOnly and SameSite=Lax. The user is looked up on every
 * use, so a deactivated account's cookie stops working at once.
 */
export class BrowserSessions {
  readonly #key: Buffer;
  readonly #clock: Clock;
  readonly #secure: boolean;
  readonly #sessionCookie: string;

  constructor(deps: { key: Buffer; clock: Clock; publicUrl: string; sessionCookie?: string }) {
    this.#key = deps.key;
    this.#clock = deps.clock;
    this.#secure = deps.publicUrl.startsWith('https:');
    this.#sessionCookie = deps.sessionCookie ?? SESSION_COOKIE;
  }

  #mac(value: string): string {
    return createHmac('sha256', this.#key).update(value).digest('base64url');
  }

  #cookie(name: string, value: string, maxAge: number): string {
    return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${this.#secure ? '; Secure' : ''}`;
  }

  /** The signed-in user's id, or null. */
  userId(request: FastifyRequest): string | null {
    const raw = parseCookies(request.headers.cookie).get(this.#sessionCookie);
    if (!raw) return null;
    const [userId, expires, mac] = raw.split('.');
    if (!userId || !expires || !mac) return null;
    if (!constantTimeEqual(mac, this.#mac(`session:${userId}.${expires}`))) return null;
    if (Number(expires) * 1000 <= this.#clock.now().getTime()) return null;
    return userId;
  }

  signIn(reply: FastifyReply, userId: string): void {
    const expires = Math.floor(this.#clock.now().getTime() / 1000) + SESSION_TTL_SECONDS;
    const value = `${userId}.${expires}.${this.#mac(`session:${userId}.${expires}`)}`;
    reply.header('set-cookie', this.#cookie(this.#sessionCookie, value, SESSION_TTL_SECONDS));
  }

  signOut(reply: FastifyReply): void {
    reply.header('set-cookie', this.#cookie(this.#sessionCookie, '', 0));
  }

  /**
   * The CSRF token to put in this page's forms: a MAC of a random per-browser cookie, set here
   * when missing. A forged cross-site form cannot read the cookie, so cannot produce the MAC.
   */
  csrfToken(request: FastifyRequest, reply: FastifyReply): string {
    let seed = parseCookies(request.headers.cookie).get(CSRF_COOKIE);
    if (!seed || !/^[A-Za-z0-9_-]{32}$/.test(seed)) {
      seed = randomBytes(24).toString('base64url');
      reply.header('set-cookie', this.#cookie(CSRF_COOKIE, seed, 30 * 24 * 3600));
    }
    return this.#mac(`csrf:${seed}`);
  }

  validCsrf(request: FastifyRequest, submitted: string | undefined): boolean {
    const seed = parseCookies(request.headers.cookie).get(CSRF_COOKIE);
    if (!seed || !submitted) return false;
    return constantTimeEqual(submitted, this.#mac(`csrf:${seed}`));
  }
}
