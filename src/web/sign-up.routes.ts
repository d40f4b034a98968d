import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { UserRecord } from '../access/user-record.ts';
import { type EmailLocale, emailLocale } from '../delivery/email-templates.ts';
import type { App } from '../http/app-types.ts';
import { JOIN_LINK_PREFIX } from '../joining/join-link.service.ts';
import { AppError } from '../lib/errors.ts';
import { isWellFormedTypedSecret } from '../lib/secrets.ts';
import { fill } from '../locales/locales.ts';
import type { Services } from '../services.ts';
import type { SignUpRecord } from '../users/sign-up.repository.ts';
import type { SignUpStanding } from '../users/sign-up.service.ts';
import type { BrowserSessions } from './browser-session.ts';
import { messageCard } from './invitee.cards.ts';
import { joinPath, joinStrings, minutesOf } from './join.cards.ts';
import { type Html, html, page } from './layout.ts';
import { registerLinkPageHeaders } from './link-page-headers.ts';
import { acceptLanguages, readPageForm, refusalPage, sessionPrincipal, visitorLocale } from './page-form.ts';
import { emailForm, passwordForm, type SignUpStrings, signUpStrings } from './sign-up.cards.ts';

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
  const standing = await deps.services.signUps.standing(signUp);
  if (standing === 'deactivated') return deactivatedPage(reply, locale);
  const csrf = deps.sessions.csrfToken(request, reply);
  const form = passwordForm({ email: signUp.email, token, csrf, standing }, locale);
  const body = notice ? html`${messageCard(notice.title, notice.detail, true)}${form}` : form;
  return send(reply, notice?.status ?? 200, locale, titleFor(t, standing), body);
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
    await deps.services.signUps.start({
      email: form.email,
      joinToken: joinToken ?? undefined,
      locale,
      clientIp: request.ip,
    });
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
    if (error.code === 'account_deactivated') return deactivatedPage(reply, locale);
    return deadLink(deps, request, reply, error, form.token);
  }
  await deps.sessions.create(request, reply, created.user.id);
  if (created.joinToken) return reply.redirect(joinPath(created.joinToken), 303);
  return accountPage(deps, request, reply, created);
}

/** The link of a deactivated account: it neither signs in nor sets a password. */
function deactivatedPage(reply: FastifyReply, locale: EmailLocale) {
  const t = signUpStrings(locale);
  return send(reply, 403, locale, t.deactivatedTitle, messageCard(t.deactivatedTitle, t.deactivated, true));
}

function titleFor(t: SignUpStrings, standing: SignUpStanding) {
  return standing === 'new' ? t.chooseTitle : standing === 'unproven' ? t.claimTitle : t.resetTitle;
}

/**
 * Where a completed sign-up lands without a join link: who is signed in, and the organizations
 * the account is in: a verified domain's auto_join may have made a new account a member, and an
 * account taken over from a handed-out link keeps what its maker joined, for its owner to review.
 */
async function accountPage(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  created: { user: UserRecord; standing: SignUpStanding },
) {
  const locale = visitorLocale(request);
  const t = signUpStrings(locale);
  const SHOWN = 20;
  const joined = await deps.services.organizations.list(sessionPrincipal(created.user, request), {
    limit: SHOWN + 1,
  });
  // Never a list cut short without saying so: whoever made the account may have joined many.
  const names =
    joined
      .slice(0, SHOWN)
      .map((organization) => organization.name)
      .join(', ') + (joined.length > SHOWN ? ` ${t.andMore}` : '');
  const [title, detail, memberOf] =
    created.standing === 'new'
      ? [t.createdTitle, t.created, t.memberOf]
      : [t.passwordSetTitle, t.passwordSet, t.memberOfReview];
  return send(
    reply,
    created.standing === 'new' ? 201 : 200,
    locale,
    title,
    html`${messageCard(title, fill(detail, { email: created.user.email }))}${
      names ? html`<section class="card"><p>${fill(memberOf, { orgs: names })}</p></section>` : ''
    }`,
  );
}

/** The form of a POST, or null after answering why not (see `readPageForm`). */
function checkedForm<T extends z.ZodType>(
  deps: Deps,
  request: FastifyRequest,
  reply: FastifyReply,
  schema: T,
): z.output<T> | null {
  const checked = readPageForm(deps, request, schema);
  if ('form' in checked) return checked.form;
  const locale = visitorLocale(request);
  const t = signUpStrings(locale);
  const { formExpiredTitle, formExpired } = joinStrings(locale);
  const words = {
    invalidTitle: t.title,
    invalid: t.formInvalid,
    expiredTitle: formExpiredTitle,
    expired: formExpired,
    back: t.startAgain,
  };
  const { status, body } = refusalPage(checked.refusal, words, '/sign-up');
  send(reply, status, locale, t.title, body);
  return null;
}
