import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type EmailLocale, emailLocale } from '../delivery/email-templates.ts';
import type { App } from '../http/app-types.ts';
import { JOIN_LINK_PREFIX } from '../joining/join-link.service.ts';
import { AppError } from '../lib/errors.ts';
import { isWellFormedTypedSecret } from '../lib/secrets.ts';
import { fill } from '../locales/locales.ts';
import type { Services } from '../services.ts';
import type { SignUpRecord } from '../users/sign-up.repository.ts';
import { type BrowserSessions, sameOrigin } from './browser-session.ts';
import { messageCard } from './invitee.cards.ts';
import { joinPath, joinStrings, minutesOf } from './join.cards.ts';
import { type Html, html, page } from './layout.ts';
import { registerLinkPageHeaders } from './link-page-headers.ts';
import { emailForm, passwordForm, signUpStrings } from './sign-up.cards.ts';

type Deps = { services: Services; sessions: BrowserSessions; publicUrl: string };

const Token = z.string().max(2000);
const EmailForm = z.object({
  csrf: z.string().max(200).optional(),
  email: z.string().max(320),
  join: Token.optional(),
});
const PasswordForm = z.object({
  csrf: z.string().max(200).optional(),
  token: Token,
  display_name: z.string().max(200).optional(),
  password: z.string().max(256),
});

const formRoute = { config: { auth: 'public' as const }, schema: { hide: true } };
/** `/sign-up`, `/sign-up?…` and `/sign-up/…`. */
const SIGN_UP_PATH = /^\/sign-up(?:[/?]|$)/;

/**
 * Sign-up with a confirmed address (`users/sign-up.service.ts`): `/sign-up` asks for the
 * address and mails a link; the link (`/sign-up?token=rsvp_su_…`) asks for a password and
 * creates the account, signed in, then returns to the join link it started from. GET and HEAD
 * only read; each POST carries the page's CSRF token from our own origin. No JavaScript.
 */
export function signUpRoutes(
  app: App,
  services: Services,
  options: { sessions: BrowserSessions; publicUrl: string },
) {
  const deps: Deps = { services, ...options };
  registerLinkPageHeaders(app, services, (url) => SIGN_UP_PATH.test(url));
  app.get('/sign-up', {
    ...formRoute,
    schema: { hide: true, querystring: z.object({ token: Token.optional(), join: Token.optional() }) },
    handler: async (request, reply) => {
      const { token, join } = request.query;
      if (!token) return emailPage(deps, request, reply, joinLinkToken(join));
      return passwordPage(deps, request, reply, token);
    },
  });
  app.post('/sign-up/email', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(deps, request, reply, EmailForm);
      if (!form) return reply;
      return sendLink(deps, request, reply, form);
    },
  });
  app.post('/sign-up', {
    ...formRoute,
    handler: async (request, reply) => {
      const form = checkedForm(deps, request, reply, PasswordForm);
      if (!form) return reply;
      return createAccount(deps, request, reply, form);
    },
  });
}

/**
 * A join link to come back to, only when it is one: anything else would let a crafted sign-up
 * URL send the new account wherever its author chose.
 */
const joinLinkToken = (value: string | undefined) =>
  value && isWellFormedTypedSecret(JOIN_LINK_PREFIX, value) ? value : null;

/** The visitor's language from Accept-Language, for pages not tied to an organization. */
const acceptLanguages = (request: FastifyRequest) =>
  (request.headers['accept-language'] ?? '').split(',').map((part) => part.split(';')[0]?.trim());

const visitorLocale = (request: FastifyRequest): EmailLocale => emailLocale(...acceptLanguages(request));

const send = (reply: FastifyReply, status: number, locale: EmailLocale, title: string, body: Html) =>
  reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(page({ title, body, lang: locale }));

/** The address form, with an optional notice on top. */
function emailPage(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  joinToken: string | null,
  notice?: { status: number; title: string; detail: string; locale?: EmailLocale },
) {
  const locale = notice?.locale ?? visitorLocale(request);
  const t = signUpStrings(locale);
  const csrf = deps.sessions.csrfToken(request, reply);
  const form = emailForm(
    { csrf, joinToken, heading: t.title, hint: t.emailHint, button: t.sendLink },
    locale,
  );
  const body = notice ? html`${messageCard(notice.title, notice.detail, true)}${form}` : form;
  return send(reply, notice?.status ?? 200, locale, t.title, body);
}

async function passwordPage(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  notice?: { status: number; title: string; detail: string },
) {
  let signUp: SignUpRecord;
  try {
    signUp = await deps.services.signUps.inspect(token);
  } catch (error) {
    return deadLink(deps, request, reply, error, token);
  }
  const locale = emailLocale(signUp.locale, ...acceptLanguages(request));
  const t = signUpStrings(locale);
  const csrf = deps.sessions.csrfToken(request, reply);
  const form = passwordForm(signUp.email, token, csrf, locale);
  const body = notice ? html`${messageCard(notice.title, notice.detail, true)}${form}` : form;
  return send(reply, notice?.status ?? 200, locale, t.chooseTitle, body);
}

/** An unknown (404), spent or expired (410) link: say which, and offer a new one, to the same join link. */
async function deadLink(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  token: string,
) {
  if (!(error instanceof AppError) || (error.status !== 404 && error.status !== 410)) throw error;
  const joinToken = await deps.services.signUps.joinTokenOf(token);
  const t = signUpStrings(visitorLocale(request));
  const [title, detail] =
    error.code === 'sign_up_link_used'
      ? [t.usedTitle, t.used]
      : error.code === 'sign_up_link_expired'
        ? [t.expiredTitle, t.expired]
        : [t.invalidTitle, t.invalid];
  return emailPage(deps, request, reply, joinToken, { status: error.status, title, detail });
}

async function sendLink(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  form: z.output<typeof EmailForm>,
) {
  const locale = visitorLocale(request);
  const t = signUpStrings(locale);
  const joinToken = joinLinkToken(form.join);
  try {
    const { recorded } = await deps.services.signUps.start({
      email: form.email,
      joinToken: joinToken ?? undefined,
      locale,
      clientIp: request.ip,
    });
    recorded.catch((error: Error) => request.log.error({ err: error }, 'sign-up not recorded'));
  } catch (error) {
    if (!(error instanceof AppError) || (error.status !== 422 && error.status !== 429)) throw error;
    for (const [name, value] of Object.entries(error.headers))
      if (name === 'retry-after' || name.startsWith('ratelimit-')) reply.header(name, value);
    const detail = error.status === 429 ? fill(t.tooMany, { minutes: minutesOf(error.headers) }) : t.badEmail;
    return emailPage(deps, request, reply, joinToken, {
      status: error.status,
      title: t.title,
      detail,
      locale,
    });
  }
  // The same answer whether or not the address has an account: the page tells nobody who has one.
  const onward = joinToken
    ? html`<p><a href="${joinPath(joinToken)}">${t.backToJoin}</a></p>`
    : html`<p><a href="/console">${t.signInInstead}</a></p>`;
  const card = messageCard(t.sentTitle, fill(t.sent, { email: form.email.trim() }));
  return send(reply, 202, locale, t.sentTitle, html`${card}<section class="card">${onward}</section>`);
}

async function createAccount(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  form: z.output<typeof PasswordForm>,
) {
  const locale = visitorLocale(request);
  const t = signUpStrings(locale);
  let created: Awaited<ReturnType<Services['signUps']['complete']>>;
  try {
    created = await deps.services.signUps.complete({
      token: form.token,
      password: form.password,
      displayName: form.display_name?.trim() || undefined,
    });
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    if (error.code === 'password_too_short' || error.code === 'invalid_display_name') {
      const detail = error.code === 'password_too_short' ? t.tooShort : t.badName;
      return passwordPage(deps, request, reply, form.token, { status: 422, title: t.chooseTitle, detail });
    }
    if (error.status === 409) return send(reply, 409, locale, t.title, messageCard(t.title, t.exists, true));
    return deadLink(deps, request, reply, error, form.token);
  }
  await deps.sessions.create(request, reply, created.user.id);
  if (created.joinToken) return reply.redirect(joinPath(created.joinToken), 303);
  // A verified domain with auto_join may have made the new account a member: say so.
  const principal = {
    method: 'session' as const,
    user: created.user,
    apiKeyId: null,
    scopes: 'all' as const,
    client: { ip: request.ip, userAgent: null },
  };
  const joined = await deps.services.organizations.list(principal, { limit: 20 });
  const names = joined.map((organization) => organization.name).join(', ');
  return send(
    reply,
    201,
    locale,
    t.createdTitle,
    html`${messageCard(t.createdTitle, fill(t.created, { email: created.user.email }))}${
      names ? html`<section class="card"><p>${fill(t.memberOf, { orgs: names })}</p></section>` : ''
    }`,
  );
}

/** Parses a form POST and checks its CSRF token and origin; null after answering the failure. */
function checkedForm<T extends z.ZodType>(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  schema: T,
): z.output<T> | null {
  const parsed = schema.safeParse(request.body ?? {});
  const csrf = parsed.success ? (parsed.data as { csrf?: string }).csrf : undefined;
  if (parsed.success && sameOrigin(request, deps.publicUrl) && deps.sessions.validCsrf(request, csrf))
    return parsed.data;
  const locale = visitorLocale(request);
  const strings = signUpStrings(locale);
  const { formExpiredTitle, formExpired } = joinStrings(locale);
  // A form that does not parse came from a page of ours with a field over its length.
  const card = parsed.success
    ? messageCard(formExpiredTitle, formExpired, true)
    : messageCard(strings.title, strings.tooLong, true);
  send(reply, parsed.success ? 403 : 400, locale, strings.title, card);
  return null;
}
