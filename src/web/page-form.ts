import type { FastifyRequest } from 'fastify';
import Negotiator from 'negotiator';
import type { z } from 'zod';
import type { Principal } from '../access/principal.ts';
import type { UserRecord } from '../access/user-record.ts';
import { type EmailLocale, emailLocale } from '../delivery/email-templates.ts';
import { type BrowserSessions, sameOrigin } from './browser-session.ts';
import { messageCard } from './invitee.cards.ts';
import { type Html, html } from './layout.ts';

/**
 * A form POST of one of the pages (invitee, join, sign-up), parsed and checked: its fields match
 * the schema, it was sent from our own origin, and it carries the CSRF token its page gave.
 * `invalid`: a field is missing or over its length (our pages bound every field, so a browser of
 * ours sends this only when a field was tampered with); `forged`: the origin or the token is wrong
 * (another site posted it, or the page is stale). Each page says so in its own words.
 */
export function readPageForm<T extends z.ZodType>(
  deps: { sessions: BrowserSessions; publicUrl: string },
  request: FastifyRequest,
  schema: T,
): { form: z.output<T> } | { refusal: 'invalid' | 'forged' } {
  const parsed = schema.safeParse(request.body ?? {});
  if (!parsed.success) return { refusal: 'invalid' };
  const csrf = (parsed.data as { csrf?: string }).csrf;
  if (!sameOrigin(request, deps.publicUrl) || !deps.sessions.validCsrf(request, csrf))
    return { refusal: 'forged' };
  return { form: parsed.data };
}

/**
 * The link token a refused form carried, to lead back to its page: only as text for a relative
 * link to our own page (the caller encodes it), so any string will do, within the forms' bound.
 */
export function tokenOfRefusedForm(request: FastifyRequest): string | undefined {
  const token = (request.body as { token?: unknown } | undefined)?.token;
  return typeof token === 'string' && token.length > 0 && token.length <= 2000 ? token : undefined;
}

/** The visitor's languages from Accept-Language, best first by their weights. */
export const acceptLanguages = (request: FastifyRequest): string[] =>
  new Negotiator({ headers: request.headers }).languages();

/**
 * Whether the client wants a page rather than problem+json, by the weights of its Accept
 * header: a browser's form post does; an API client that prefers JSON, or refuses HTML, does not.
 */
export const wantsHtml = (request: FastifyRequest): boolean =>
  new Negotiator({ headers: request.headers }).mediaType([
    'application/problem+json',
    'application/json',
    'text/html',
  ]) === 'text/html';

/** The visitor's language, for pages not tied to an organization. */
export const visitorLocale = (request: FastifyRequest): EmailLocale =>
  emailLocale(...acceptLanguages(request));

/** The principal of a page's signed-in visitor, as the API would see the same browser session. */
export const sessionPrincipal = (user: UserRecord, request: FastifyRequest): Principal => ({
  method: 'session',
  user,
  apiKeyId: null,
  scopes: 'all',
  client: { ip: request.ip, userAgent: request.headers['user-agent']?.slice(0, 512) ?? null },
});

/** The words a page family refuses a form with (each in the visitor's language). */
export interface RefusalWords {
  invalidTitle: string;
  invalid: string;
  expiredTitle: string;
  expired: string;
  back: string;
}

/**
 * A refused form (`readPageForm`) as a page: 400 for an invalid one, 403 for a forged or stale
 * one, with the way back to `backHref` when it is known. Shared by the invitee, join and sign-up
 * pages, which differ only in their words and where "back" leads.
 */
export function refusalPage(
  refusal: 'invalid' | 'forged',
  words: RefusalWords,
  backHref: string | null,
): { status: number; title: string; body: Html } {
  const [status, title, detail] =
    refusal === 'invalid'
      ? [400, words.invalidTitle, words.invalid]
      : [403, words.expiredTitle, words.expired];
  const back = backHref
    ? html`<section class="card"><p><a href="${backHref}">${words.back}</a></p></section>`
    : '';
  return { status, title, body: html`${messageCard(title, detail, true)}${back}` };
}
