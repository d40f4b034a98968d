import { createHmac, randomBytes } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionStore } from '../auth/session.store.ts';
import { constantTimeEqual } from '../lib/secrets.ts';

export const SESSION_COOKIE = 'rsvp_session';
export const CSRF_COOKIE = 'rsvp_csrf';

/** The request's cookies; of a name sent twice, the first (the most specific path) wins. */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const [name, value] of Object.entries(parseCookie(header ?? '')))
    if (value !== undefined) cookies.set(name, value);
  return cookies;
}

/**
 * Browser sessions for the invitee pages (and CVAT's `sessionid`): an HttpOnly, SameSite=Lax
 * cookie holding a random secret; the session itself lives in the server's SessionStore, which
 * keeps only the secret's hash. The user is looked up on every use, so a deactivated account's
 * cookie stops working at once, and `end` makes every copy of the cookie worthless.
 */
export class BrowserSessions {
  readonly #key: Buffer;
  readonly #store: SessionStore;
  readonly #secure: boolean;
  readonly #sessionCookie: string;

  constructor(deps: { key: Buffer; store: SessionStore; publicUrl: string; sessionCookie?: string }) {
    this.#key = deps.key;
    this.#store = deps.store;
    this.#secure = deps.publicUrl.startsWith('https:');
    this.#sessionCookie = deps.sessionCookie ?? SESSION_COOKIE;
  }

  #mac(value: string): string {
    return createHmac('sha256', this.#key).update(value).digest('base64url');
  }

  #cookie(name: string, value: string, maxAge: number): string {
    return stringifySetCookie({
      name,
      value,
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      maxAge,
      secure: this.#secure,
    });
  }

  #secret(request: FastifyRequest): string | undefined {
    return parseCookies(request.headers.cookie).get(this.#sessionCookie);
  }

  /**
   * Opens a session for the user and sets its cookie. The session this browser held before (any
   * user's) ends first: every sign-in gets a fresh secret, so one planted in the browser before
   * sign-in (session fixation) names nothing, and no orphan row outlives its cookie.
   */
  async create(request: FastifyRequest, reply: FastifyReply, userId: string): Promise<void> {
    await this.#store.end(this.#secret(request));
    const { secret, maxAgeSeconds } = await this.#store.create(userId);
    reply.header('set-cookie', this.#cookie(this.#sessionCookie, secret, maxAgeSeconds));
  }

  /** The signed-in user's id, or null. */
  async read(request: FastifyRequest): Promise<string | null> {
    return this.#store.read(this.#secret(request));
  }

  /** Ends the session on the server and clears its cookie. */
  async end(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    await this.#store.end(this.#secret(request));
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

/**
 * True when a browser request comes from this site. Fetch Metadata first: a browser says
 * `Sec-Fetch-Site: cross-site` or `same-site` (another port or subdomain) for requests it sends
 * on another page's behalf, whatever the Origin. Then the Origin, when sent: the public URL's, or
 * the one the browser reached us on (a page it loaded from this Host). Clients that are not
 * browsers send neither header.
 */
export function sameOrigin(request: FastifyRequest, publicUrl: string): boolean {
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = request.headers.origin;
  return (
    origin === undefined ||
    origin === new URL(publicUrl).origin ||
    origin === `${request.protocol}://${request.host}`
  );
}
