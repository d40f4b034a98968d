import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { nulRefused, urlHoldsNul } from './content-types.ts';

/**
 * Helmet's headers on every response of every listener (nosniff, frame and opener isolation,
 * no cross-domain policies), with three choices of ours:
 * - No global Content-Security-Policy: each surface sets its own, because they differ — API
 *   paths `frame-ancestors 'none'`, the invitee pages a strict policy whose `form-action` lists
 *   the allowed app origins, and the dev mailbox renders captured HTML in a `srcdoc` frame,
 *   which inherits its parent's policy.
 * - `Referrer-Policy: same-origin`, not Helmet's `no-referrer`: with `no-referrer` browsers send
 *   `Origin: null` on our own form posts, which the CSRF Origin check then refuses; a token in
 *   an invitee URL still never leaves in a Referer.
 * - HSTS without `includeSubDomains`: rsvp does not own its parent domain's other hosts.
 */
const OPTIONS: HelmetOptions = {
  contentSecurityPolicy: false,
  referrerPolicy: { policy: 'same-origin' },
  strictTransportSecurity: { maxAge: 15_552_000, includeSubDomains: false },
  xFrameOptions: { action: 'deny' },
};

/**
 * The headers Helmet's middleware sets, run once at start: with these options none depends on
 * the request, so every response gets the same set without running the middleware per request
 * (bench/RESULTS.md, change 15).
 */
function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error;
  });
  return Object.freeze(headers);
}

export const SECURITY_HEADERS = helmetHeaders(OPTIONS);

/**
 * What every request of every listener gets first: the security headers (errors and 404s
 * included), and a URL with an encoded NUL refused before any route reads it.
 */
export function secureRequest(request: FastifyRequest, reply: FastifyReply): Error | undefined {
  reply.headers(SECURITY_HEADERS);
  return urlHoldsNul(request.url) ? nulRefused() : undefined;
}

/** `secureRequest` as the first hook of `app` (the dialect listeners; the native app runs it in its own first hook). */
export function registerSecurityHeaders(app: FastifyInstance) {
  app.addHook('onRequest', (request, reply, done) => done(secureRequest(request, reply)));
}
