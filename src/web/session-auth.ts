import type { FastifyRequest } from 'fastify';
import type { Principal } from '../access/principal.ts';
import type { Authenticator } from '../auth/authenticator.ts';
import { AppError } from '../lib/errors.ts';
import { type BrowserSessions, sameOrigin } from './browser-session.ts';

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const csrfFailed = () =>
  new AppError(
    403,
    'csrf_failed',
    'Cross-site request refused',
    `A browser session changes nothing without the ${CSRF_HEADER} header that GET /v1/session gives, sent from this site.`,
  );

/**
 * 401 for a console call whose session is gone. Without the Basic challenge: a browser that
 * sees one on a fetch answer would prompt for a password over the page.
 */
export const sessionRequired = () =>
  new AppError(401, 'unauthenticated', 'Authentication required', 'Your session has ended; sign in again.', {
    headers: { 'www-authenticate': 'Bearer realm="rsvp"' },
  });

/**
 * Checks the CSRF token header (a MAC of the browser's CSRF cookie) and the Origin. A forged
 * cross-site form or fetch can send the cookie but can neither read nor forge the token.
 */
export function requireCsrf(request: FastifyRequest, sessions: BrowserSessions, publicUrl: string): void {
  const header = request.headers[CSRF_HEADER];
  const token = typeof header === 'string' ? header : undefined;
  if (!sameOrigin(request, publicUrl) || !sessions.validCsrf(request, token)) throw csrfFailed();
}

/**
 * The principal of the browser session a request's cookie names, for the native API: the same
 * server-side session the invitee pages open. Unsafe methods must also pass the CSRF check, so
 * the cookie alone (which a browser attaches to cross-site posts too) changes nothing.
 */
export async function sessionPrincipal(
  request: FastifyRequest,
  deps: { sessions: BrowserSessions; authenticator: Authenticator; publicUrl: string },
): Promise<Principal | null> {
  const userId = await deps.sessions.read(request);
  if (!userId) return null;
  const principal = await deps.authenticator.sessionPrincipal(userId);
  if (!principal) return null;
  if (!SAFE_METHODS.has(request.method)) requireCsrf(request, deps.sessions, deps.publicUrl);
  return principal;
}
