import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Principal } from '../access/principal.ts';
import type { UserRecord } from '../access/user-record.ts';
import type { Database } from '../db/database.ts';
import { type EmailLocale, emailLocale } from '../delivery/email-templates.ts';
import type { App } from '../http/app-types.ts';
import { AppError } from '../lib/errors.ts';
import { tooManyRequests } from '../lib/rate-limiter.ts';
import { fill } from '../locales/locales.ts';
import { findOrganization } from '../organizations/organization.repository.ts';
import { isAllowedAppUrl } from '../organizations/organization.service.ts';
import type { Services } from '../services.ts';
import { findUserById } from '../users/user.repository.ts';
import { type BrowserSessions, sameOrigin } from './browser-session.ts';
import { messageCard } from './invitee.cards.ts';
import {
  deadLinkCard,
  type JoinPreview,
  joinCard,
  joinPath,
  joinStrings,
  minutesOf,
  offerCard,
  refusal,
  signInCard,
} from './join.cards.ts';
import { type Html, html, page } from './layout.ts';

const TokenForm = z.object({ token: z.string().max(2000), csrf: z.string().max(200).optional() });
const SignInForm = TokenForm.extend({ email: z.string().max(320), password: z.string().max(256) });

/** `/join`, `/join?…` and `/join/…`, not `/joinx`. */
const JOIN_PATH = /^\/join(?:[/?]|$)/;

type Notice = { status: number; title: string; detail: string };

/**
 * The page a join link opens (`/join?token=rsvp_jl_…`), as the invitee pages do for invitations:
 * GET and HEAD only read (a link scanner consumes no use); joining is a POST with a CSRF token,
 * made by the signed-in person pressing Join. No JavaScript. No sign-up: see signInCard.
 */
export function joinPageRoutes(
  app: App,
  services: Services,
  deps: { database: Database; sessions: BrowserSessions; publicUrl: string },
) {
  const { sessions } = deps;
  const formAction = ["'self'", ...services.allowedAppOrigins].join(' ');

  app.addHook('onRequest', async (request, reply) => {
    if (!JOIN_PATH.test(request.url)) return;
    reply.header('cache-control', 'no-store');
    // The token is in the URL: never in a Referer; `same-origin` keeps Origin on our own posts.
    reply.header('referrer-policy', 'same-origin');
    reply.header(
      'content-security-policy',
      `default-src 'none'; style-src 'unsafe-inline'; form-action ${formAction}; frame-ancestors 'none'; base-uri 'none'`,
    );
    const rule = services.abuseLimits.perClientAddress;
    const decision = await services.rateLimiter.consume(`ip:${request.ip}`, rule);
    if (!decision.allowed) {
      const error = tooManyRequests(decision, rule, 'Too many requests from your address; wait a moment.');
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      return reply
        .code(429)
        .type('text/html; charset=utf-8')
        .send(page({ title: 'Slow down', body: messageCard('Too many requests', error.message, true) }));
    }
  });

  const send = (reply: FastifyReply, status: number, title: string, body: Html, lang: string) =>
    reply.code(status).type('text/html; charset=utf-8').send(page({ title, body, lang }));

  async function signedInUser(request: FastifyRequest): Promise<UserRecord | null> {
    const userId = await sessions.read(request);
    if (!userId) return null;
    const user = await findUserById(deps.database.db, userId);
    return user?.status === 'active' ? user : null;
  }

  const localeOf = (preview: JoinPreview): EmailLocale => emailLocale(preview.organization.settings.locale);

  /** The link's preview, or null after answering with the dead-link page. */
  async function previewOr(reply: FastifyReply, token: string): Promise<JoinPreview | null> {
    try {
      return await services.joinLinks.preview(token);
    } catch (error) {
      if (!(error instanceof AppError) || (error.status !== 404 && error.status !== 410)) throw error;
      const { status, body } = deadLinkCard(error.code, 'en');
      send(reply, status, joinStrings('en').title, body, 'en');
      return null;
    }
  }

  /** The page for `token` as the current visitor sees it, with an optional notice on top. */
  async function render(request: FastifyRequest, reply: FastifyReply, token: string, notice?: Notice) {
    const preview = await previewOr(reply, token);
    if (!preview) return reply;
    const locale = localeOf(preview);
    const user = await signedInUser(request);
    const csrf = sessions.csrfToken(request, reply);
    const cards: Html[] = [offerCard(preview, locale)];
    if (notice) cards.unshift(messageCard(notice.title, notice.detail, true));
    cards.push(
      user ? joinCard(preview, user.email, token, csrf, locale) : signInCard(preview, token, csrf, locale),
    );
    const title = `${joinStrings(locale).title} ${preview.organization.name}`;
    return send(reply, notice?.status ?? 200, title, html`${cards}`, locale);
  }

  /** Parses a form POST and checks its CSRF token and origin; null after answering the failure. */
  function checkedForm<T extends z.ZodType>(
    request: FastifyRequest,
    reply: FastifyReply,
    schema: T,
  ): z.output<T> | null {
    const parsed = schema.safeParse(request.body ?? {});
    const t = joinStrings('en');
    if (!parsed.success) {
      send(reply, 400, 'Bad request', messageCard(t.formExpiredTitle, t.formExpired, true), 'en');
      return null;
    }
    const csrf = (parsed.data as { csrf?: string }).csrf;
    if (!sameOrigin(request, deps.publicUrl) || !sessions.validCsrf(request, csrf)) {
      send(reply, 403, t.formExpiredTitle, messageCard(t.formExpiredTitle, t.formExpired, true), 'en');
      return null;
    }
    return parsed.data;
  }

  const formRoute = { config: { auth: 'public' as const }, schema: { hide: true } };

  app.get('/join', {
    ...formRoute,
    schema: { hide: true, querystring: z.object({ token: z.string().max(2000).default('') }) },
    handler: async (request, reply) => render(request, reply, request.query.token),
  });

  app.post('/join/sign-in', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(request, reply, SignInForm);
      if (!form) return reply;
      try {
        const { user } = await services.authenticator.signInWithPassword(
          form.email.trim(),
          form.password,
          request.ip,
        );
        await sessions.create(request, reply, user.id);
      } catch (error) {
        if (!(error instanceof AppError) || (error.status !== 401 && error.status !== 429)) throw error;
        for (const [name, value] of Object.entries(error.headers))
          if (name === 'retry-after' || name.startsWith('ratelimit-')) reply.header(name, value);
        const t = joinStrings('en');
        return render(request, reply, form.token, {
          status: error.status,
          title: t.signInTitle,
          detail:
            error.status === 429
              ? fill(t.tooManySignIns, { minutes: minutesOf(error.headers) })
              : t.signInFailed,
        });
      }
      // Signing in joins nothing: the person presses Join on the page they come back to.
      return reply.redirect(joinPath(form.token), 303);
    },
  });

  app.post('/join/sign-out', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(request, reply, TokenForm);
      if (!form) return reply;
      await sessions.end(request, reply);
      return reply.redirect(joinPath(form.token), 303);
    },
  });

  app.post('/join', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(request, reply, TokenForm);
      if (!form) return reply;
      const user = await signedInUser(request);
      if (!user) return reply.redirect(joinPath(form.token), 303);
      return join(request, reply, user, form.token);
    },
  });

  async function join(request: FastifyRequest, reply: FastifyReply, user: UserRecord, token: string) {
    const preview = await previewOr(reply, token);
    if (!preview) return reply;
    const locale = localeOf(preview);
    const t = joinStrings(locale);
    const org = preview.organization.name;
    let status: string;
    try {
      ({
        request: { status },
      } = await services.joinLinks.join(principalFor(request, user), token));
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      if (error.status === 404 || error.status === 410) return render(request, reply, token);
      for (const [name, value] of Object.entries(error.headers))
        if (name === 'retry-after' || name.startsWith('ratelimit-')) reply.header(name, value);
      const sentence = refusal(error, { org, email: user.email, domain: preview.link.allowedDomain }, locale);
      return render(request, reply, token, {
        status: error.status,
        title: t.refusedTitle,
        detail: sentence ?? error.message,
      });
    }
    if (status === 'pending') {
      return send(
        reply,
        202,
        t.requestSentTitle,
        messageCard(t.requestSentTitle, fill(t.requestSent, { org })),
        locale,
      );
    }
    const landing = (await findOrganization(deps.database.db, preview.organization.id))?.settings.app_url;
    if (landing && isAllowedAppUrl(landing, services.allowedAppOrigins)) return reply.redirect(landing, 303);
    const detail = preview.resource
      ? fill(t.joinedResource, { org, resource: preview.resource.name })
      : fill(t.joined, { org });
    return send(reply, 200, t.joinedTitle, messageCard(t.joinedTitle, detail), locale);
  }
}

const principalFor = (request: FastifyRequest, user: UserRecord): Principal => ({
  method: 'session',
  user,
  apiKeyId: null,
  scopes: 'all',
  client: { ip: request.ip, userAgent: request.headers['user-agent']?.slice(0, 512) ?? null },
});
