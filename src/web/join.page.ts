import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { UserRecord } from '../access/user-record.ts';
import type { Database } from '../db/database.ts';
import { type EmailLocale, emailLocale } from '../delivery/email-templates.ts';
import { AppError } from '../lib/errors.ts';
import { fill } from '../locales/locales.ts';
import { findOrganization } from '../organizations/organization.repository.ts';
import { isAllowedAppUrl } from '../organizations/organization.service.ts';
import type { Services } from '../services.ts';
import { findUserById } from '../users/user.repository.ts';
import type { BrowserSessions } from './browser-session.ts';
import { messageCard } from './invitee.cards.ts';
import {
  deadLinkCard,
  type JoinPreview,
  joinCard,
  joinPath,
  joinStrings,
  offerCard,
  refusal,
  signInCard,
} from './join.cards.ts';
import { type Html, html, page } from './layout.ts';
import {
  readPageForm,
  refusalPage,
  sessionPrincipal,
  tokenOfRefusedForm,
  visitorLocale,
} from './page-form.ts';

/** What the join page needs. */
export type JoinPageDeps = {
  services: Services;
  database: Database;
  sessions: BrowserSessions;
  publicUrl: string;
};

type Notice = { status: number; title: string; detail: string };

const send = (reply: FastifyReply, status: number, title: string, body: Html, lang: string) =>
  reply.code(status).type('text/html; charset=utf-8').send(page({ title, body, lang }));

export async function signedInUser(deps: JoinPageDeps, request: FastifyRequest): Promise<UserRecord | null> {
  const userId = await deps.sessions.read(request);
  if (!userId) return null;
  const user = await findUserById(deps.database.db, userId);
  return user?.status === 'active' ? user : null;
}

const localeOf = (preview: JoinPreview): EmailLocale => emailLocale(preview.organization.settings.locale);

/** The link's preview, or null after answering with the dead-link page. */
async function previewOr(
  deps: JoinPageDeps,
  reply: FastifyReply,
  token: string,
): Promise<JoinPreview | null> {
  try {
    return await deps.services.joinLinks.preview(token);
  } catch (error) {
    if (!(error instanceof AppError) || (error.status !== 404 && error.status !== 410)) throw error;
    const { status, body } = deadLinkCard(error.code, 'en');
    send(reply, status, joinStrings('en').title, body, 'en');
    return null;
  }
}

/** The page for `token` as the current visitor sees it, with an optional notice on top. */
export async function render(
  deps: JoinPageDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  token: string,
  notice?: Notice,
) {
  const preview = await previewOr(deps, reply, token);
  if (!preview) return reply;
  const locale = localeOf(preview);
  const user = await signedInUser(deps, request);
  const csrf = deps.sessions.csrfToken(request, reply);
  const cards: Html[] = [offerCard(preview, locale)];
  if (notice) cards.unshift(messageCard(notice.title, notice.detail, true));
  cards.push(
    user ? joinCard(preview, user.email, token, csrf, locale) : signInCard(preview, token, csrf, locale),
  );
  const title = `${joinStrings(locale).title} ${preview.organization.name}`;
  return send(reply, notice?.status ?? 200, title, html`${cards}`, locale);
}

/** Parses a form POST and checks its CSRF token and origin; null after answering the failure. */
export function checkedForm<T extends z.ZodType>(
  deps: JoinPageDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  schema: T,
): z.output<T> | null {
  const checked = readPageForm(deps, request, schema);
  if ('form' in checked) return checked.form;
  const locale = visitorLocale(request);
  const t = joinStrings(locale);
  const token = tokenOfRefusedForm(request);
  const words = {
    invalidTitle: t.formInvalidTitle,
    invalid: t.formInvalid,
    expiredTitle: t.formExpiredTitle,
    expired: t.formExpired,
    back: t.backToJoin,
  };
  const { status, title, body } = refusalPage(checked.refusal, words, token ? joinPath(token) : null);
  send(reply, status, title, body, locale);
  return null;
}

/** Joins as `user` and answers: joined, a request waiting for approval, or why not. */
export async function join(
  deps: JoinPageDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  user: UserRecord,
  token: string,
) {
  const preview = await previewOr(deps, reply, token);
  if (!preview) return reply;
  const locale = localeOf(preview);
  const t = joinStrings(locale);
  const org = preview.organization.name;
  let status: string;
  try {
    ({
      request: { status },
    } = await deps.services.joinLinks.join(sessionPrincipal(user, request), token));
  } catch (error) {
    if (!(error instanceof AppError) || error.status >= 500) throw error;
    if (error.status === 404 || error.status === 410) return render(deps, request, reply, token);
    for (const [name, value] of Object.entries(error.headers))
      if (name === 'retry-after' || name.startsWith('ratelimit-')) reply.header(name, value);
    const sentence = refusal(error, { org, email: user.email, domain: preview.link.allowedDomain }, locale);
    return render(deps, request, reply, token, {
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
  if (landing && isAllowedAppUrl(landing, deps.services.allowedAppOrigins))
    return reply.redirect(landing, 303);
  const detail = preview.resource
    ? fill(t.joinedResource, { org, resource: preview.resource.name })
    : fill(t.joined, { org });
  return send(reply, 200, t.joinedTitle, messageCard(t.joinedTitle, detail), locale);
}
