import type { App } from '../http/app-types.ts';
import { addressBucket } from '../lib/client-address.ts';
import { tooManyRequests } from '../lib/rate-limiter.ts';
import type { Services } from '../services.ts';
import { messageCard } from './invitee.cards.ts';
import { page } from './layout.ts';

/**
 * What every page an emailed or shared secret link opens (`/invite`, `/join`) answers with, in the
 * registering plugin only: no caching, a strict CSP whose `form-action` lists the allowed app
 * origins, and the per-address rate limit as an HTML page.
 */
export function registerLinkPageHeaders(
  app: App,
  services: Pick<Services, 'allowedAppOrigins' | 'abuseLimits' | 'rateLimiter'>,
  isPage: (url: string) => boolean,
) {
  const formAction = ["'self'", ...services.allowedAppOrigins].join(' ');
  app.addHook('onRequest', async (request, reply) => {
    if (!isPage(request.url)) return;
    reply.header('cache-control', 'no-store');
    // The secret is in the URL: it must never leave in a Referer. `same-origin` (not
    // `no-referrer`) keeps the browser sending a real Origin on our own form posts.
    reply.header('referrer-policy', 'same-origin');
    reply.header(
      'content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    );
    const rule = services.abuseLimits.perClientAddress;
    const decision = await services.rateLimiter.consume(`ip:${addressBucket(request.ip)}`, rule);
    if (!decision.allowed) {
      const error = tooManyRequests(decision, rule, 'Too many requests from your address; wait a moment.');
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return reply
        .code(429)
        .type('text/html; charset=utf-8')
        .send(page({ title: 'Slow down', body: messageCard('Too many requests', error.message, true) }));
    }
  });
}
