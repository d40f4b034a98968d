import type { FastifyHelmetOptions } from '@fastify/helmet';

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
export const securityHeaders: FastifyHelmetOptions = {
  contentSecurityPolicy: false,
  referrerPolicy: { policy: 'same-origin' },
  strictTransportSecurity: { maxAge: 15_552_000, includeSubDomains: false },
  xFrameOptions: { action: 'deny' },
};
