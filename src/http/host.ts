import type { FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.ts';

/** An RFC 3986 authority without userinfo: a name or IPv4 address, or an [IPv6] literal; an optional port. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::\d{1,5})?$/;

/**
 * Refuses a request whose Host (or trusted X-Forwarded-Host) is empty or not a host. rsvp builds
 * no link from it (links come from the listener's configured public URL), so this only turns
 * garbage into a clear 400 before any route sees it.
 */
export function checkHostHeader(request: FastifyRequest): void {
  const host = request.host;
  let valid = typeof host === 'string' && host.length <= 300 && HOST.test(host);
  if (valid) {
    try {
      new URL(`http://${host}/`);
    } catch {
      valid = false;
    }
  }
  if (!valid) {
    throw new AppError(400, 'invalid_host', 'Invalid Host header', 'The Host header must name a host.');
  }
}

/**
 * An absolute link on the listener whose public URL is `publicUrl`, to the path and query of
 * `requestUrl` (which may be in absolute form: only its path and query are kept).
 */
export function linkOn(publicUrl: string, requestUrl: string): URL {
  const { pathname, search } = new URL(requestUrl, 'http://path.invalid');
  const base = new URL(publicUrl);
  return new URL(`${base.pathname.replace(/\/$/, '')}${pathname}${search}`, base.origin);
}
