import type { EmailLocale } from '../delivery/email-templates.ts';
import type { AppError } from '../lib/errors.ts';
import { fill, LOCALES, type LocaleStrings } from '../locales/locales.ts';
import type { Services } from '../services.ts';
import { formatDate, messageCard } from './invitee.cards.ts';
import { type Html, html } from './layout.ts';
import { PAGE_STRINGS } from './page-strings.ts';
import { emailForm } from './sign-up.cards.ts';

/** What the join page shows of a link, as `JoinLinkService.preview` reads it (the API's preview too). */
export type JoinPreview = Awaited<ReturnType<Services['joinLinks']['preview']>>;

export type JoinStrings = LocaleStrings['join'];

export function joinStrings(locale: EmailLocale): JoinStrings {
  return (LOCALES[locale] ?? LOCALES.en!).join;
}

/** Relative, for redirects and forms on this site. */
export function joinPath(token: string): string {
  return `/join?token=${encodeURIComponent(token)}`;
}

export function joinHidden(token: string, csrf: string): Html {
  return html`<input type="hidden" name="token" value="${token}"><input type="hidden" name="csrf" value="${csrf}">`;
}

export function offerCard({ link, organization, resource }: JoinPreview, locale: EmailLocale): Html {
  const t = joinStrings(locale);
  const org = organization.name;
  const offer = resource
    ? fill(t.offerResource, {
        org,
        type: resource.type,
        resource: resource.name,
        actions: (link.actions ?? []).join(', '),
      })
    : fill(t.offerOrganization, { org, role: link.role ?? '' });
  return html`<section class="card" aria-labelledby="title">
<h1 id="title">${org}</h1>
<p>${offer}</p>
<p>${link.requiresApproval ? fill(t.approval, { org }) : t.noApproval}</p>
${link.allowedDomain ? html`<p>${fill(t.allowedDomain, { domain: link.allowedDomain })}</p>` : ''}
<p class="muted">${fill(t.until, { date: formatDate(link.expiresAt, locale) })}</p>
</section>`;
}

export function joinCard(
  preview: JoinPreview,
  email: string,
  token: string,
  csrf: string,
  locale: EmailLocale,
) {
  const t = joinStrings(locale);
  const p = PAGE_STRINGS[locale]!;
  return html`<section class="card" aria-labelledby="respond">
<h2 id="respond">${preview.link.requiresApproval ? t.askToJoin : t.join}</h2>
<p>${p.signedInAs(email)}</p>
<div class="row">
<form method="post" action="/join">${joinHidden(token, csrf)}<button class="primary" type="submit">${preview.link.requiresApproval ? t.askToJoin : t.join}</button></form>
<form method="post" action="/join/sign-out">${joinHidden(token, csrf)}<button type="submit">${p.switchAccount}</button></form>
</div>
</section>`;
}

/**
 * For a visitor without a session: sign in, or sign up by the address alone; the account is
 * created from the link mailed to it (an account's address is always proven: docs/security.md),
 * which brings them back here.
 */
export function signInCard(preview: JoinPreview, token: string, csrf: string, locale: EmailLocale) {
  const t = joinStrings(locale);
  const p = PAGE_STRINGS[locale]!;
  return html`<section class="card" aria-labelledby="signin">
<h2 id="signin">${t.signInTitle}</h2>
<p class="muted">${t.signInHint}</p>
<form method="post" action="/join/sign-in">${joinHidden(token, csrf)}
<label>${p.email}<input type="email" name="email" autocomplete="username" required></label>
<label>${p.password}<input type="password" name="password" autocomplete="current-password" required></label>
<button class="primary" type="submit">${p.signIn}</button>
</form>
</section>
${emailForm(
  {
    csrf,
    joinToken: token,
    heading: t.noAccountTitle,
    hint: fill(t.noAccount, { org: preview.organization.name }),
    button: t.sendLink,
  },
  locale,
)}`;
}

/** The page for a token that names no live link: unknown (404) or dead (410). */
export function deadLinkCard(code: string, locale: EmailLocale): { status: number; body: Html } {
  const t = joinStrings(locale);
  if (code === 'join_link_exhausted') return { status: 410, body: messageCard(t.deadTitle, t.exhausted) };
  if (code === 'join_link_expired') return { status: 410, body: messageCard(t.deadTitle, t.expired) };
  if (code === 'join_link_revoked') return { status: 410, body: messageCard(t.deadTitle, t.revoked) };
  return { status: 404, body: messageCard(t.invalidTitle, t.invalid) };
}

/** A refused join, as one sentence in the visitor's terms; null for failures this page does not expect. */
export function refusal(
  error: AppError,
  context: { org: string; email: string; domain: string | null },
  locale: EmailLocale,
): string | null {
  const t = joinStrings(locale);
  const org = context.org;
  switch (error.code) {
    case 'join_link_domain_mismatch':
      return fill(t.domainMismatch, { domain: context.domain ?? '', email: context.email });
    case 'already_member':
      return fill(t.alreadyMember, { org });
    case 'already_has_access':
      return t.alreadyHasAccess;
    case 'join_request_pending':
      return fill(t.requestPending, { org });
    case 'seat_limit_reached':
      return fill(t.noSeat, { org });
    default:
      if (error.status === 429) return fill(t.tooManyJoins, { minutes: minutesOf(error.headers) });
      return null;
  }
}

export function minutesOf(headers: AppError['headers']): string {
  return String(Math.max(1, Math.ceil(Number(headers['retry-after'] ?? 60) / 60)));
}
