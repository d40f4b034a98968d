import { type EmailLocale, inviterName as nameOf } from '../delivery/email-templates.ts';
import { maskEmail } from '../lib/email.ts';
import type { Services } from '../services.ts';
import { type Html, html } from './layout.ts';
import type { PageStrings } from './page-strings.ts';

/** What the invitee pages show of an invitation, as `InvitationService.inspect` reads it. */
export type Inspection = Awaited<ReturnType<Services['invitations']['inspect']>>;

export function inviteUrl(token: string): string {
  return `/invite?token=${encodeURIComponent(token)}`;
}

export function hidden(token: string, csrf: string): Html {
  return html`<input type="hidden" name="token" value="${token}"><input type="hidden" name="csrf" value="${csrf}">`;
}

export function messageCard(title: string, detail: string, error = false): Html {
  return html`<section class="card${error ? ' error' : ''}" role="${error ? 'alert' : 'status'}"><h1>${title}</h1><p>${detail}</p></section>`;
}

export function formatDate(date: Date, locale: EmailLocale): string {
  return `${new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' }).format(date)} UTC`;
}

export function summaryCard(
  { invitation, organization, inviter, resource, resources }: Inspection,
  t: PageStrings,
  locale: EmailLocale,
): Html {
  const inviterName = nameOf(inviter, organization.name);
  const what = resource
    ? html`${t.invitedToResource(inviterName, resource.type)} <strong>${resource.name}</strong> ${t.inOrganization} <strong>${organization.name}</strong>.`
    : html`${t.invitedToJoin(inviterName)} <strong>${organization.name}</strong>.`;
  return html`<section class="card" aria-labelledby="title">
<h1 id="title">${t.invitedTitle}</h1>
<p>${what}</p>
<dl>
${resource ? html`<dt>${t.permissions}</dt><dd>${(invitation.actions ?? []).join(', ')}</dd>` : html`<dt>${t.role}</dt><dd>${invitation.role}</dd>`}
${grantsRow(invitation, resources, t)}
<dt>${t.expires}</dt><dd><time datetime="${invitation.expiresAt.toISOString()}">${formatDate(invitation.expiresAt, locale)}</time></dd>
</dl>
${invitation.message ? html`<p class="muted">${t.wrote(inviterName)}</p><blockquote>${invitation.message}</blockquote>` : ''}
</section>`;
}

export function closedCard(
  { invitation, status, organization, inviter }: Inspection,
  t: PageStrings,
  locale: EmailLocale,
): Html {
  const inviterName = nameOf(inviter, organization.name);
  switch (status) {
    case 'expired':
      return messageCard(
        t.expiredTitle,
        t.expired(organization.name, formatDate(invitation.expiresAt, locale), inviterName),
      );
    case 'revoked':
      return messageCard(t.withdrawnTitle, t.withdrawn(organization.name));
    case 'accepted':
      return messageCard(t.usedTitle, t.used(organization.name));
    default:
      return messageCard(t.declinedTitle, t.declined(inviterName));
  }
}

/** A combined invitation's resources, each with the actions it gives. */
function grantsRow(
  invitation: Inspection['invitation'],
  resources: Inspection['resources'],
  t: PageStrings,
): Html | '' {
  const shown = (invitation.grants ?? []).flatMap((grant) => {
    const resource = resources.get(grant.resourceId);
    return resource
      ? [html`<li><strong>${resource.name}</strong> (${resource.type}): ${grant.actions.join(', ')}</li>`]
      : [];
  });
  return shown.length ? html`<dt>${t.permissions}</dt><dd><ul>${shown}</ul></dd>` : '';
}

/**
 * What the visitor can do next: answer (signed in as the invitee), switch accounts (signed in
 * as someone else), or sign in or up.
 */
export function answerCard(
  user: { email: string; emailCanonical: string } | null,
  invitation: { email: string; emailCanonical: string },
  token: string,
  csrf: string,
  t: PageStrings,
): Html {
  if (user && user.emailCanonical === invitation.emailCanonical) {
    return html`<section class="card" aria-labelledby="respond">
<h2 id="respond">${t.yourAnswer}</h2>
<p>${t.signedInAs(user.email)}</p>
<div class="row">
<form method="post" action="/invite/accept">${hidden(token, csrf)}<button class="primary" type="submit">${t.accept}</button></form>
<form method="post" action="/invite/decline">${hidden(token, csrf)}<button type="submit">${t.decline}</button></form>
</div>
</section>`;
  }
  if (user) {
    return html`<section class="card error" aria-labelledby="mismatch">
<h2 id="mismatch">${t.otherAddressTitle}</h2>
<p>${t.otherAddress(user.email, maskEmail(invitation.email))}</p>
<form method="post" action="/invite/sign-out">${hidden(token, csrf)}<button type="submit">${t.switchAccount}</button></form>
</section>`;
  }
  const masked = maskEmail(invitation.email);
  return html`<section class="card" aria-labelledby="signin">
<h2 id="signin">${t.signInTitle}</h2>
<p class="muted">${t.signInHint(masked)}</p>
<form method="post" action="/invite/sign-in">${hidden(token, csrf)}
<label>${t.email}<input type="email" name="email" autocomplete="username" required></label>
<label>${t.password}<input type="password" name="password" autocomplete="current-password" required></label>
<button class="primary" type="submit">${t.signIn}</button>
</form>
</section>
<section class="card" aria-labelledby="signup">
<h2 id="signup">${t.signUpTitle}</h2>
<p class="muted">${t.signUpHint(masked)}</p>
<form method="post" action="/invite/sign-up">${hidden(token, csrf)}
<label>${t.yourName}<input type="text" name="display_name" autocomplete="name" maxlength="200"></label>
<label>${t.choosePassword}<input type="password" name="password" autocomplete="new-password" minlength="8" required></label>
<button type="submit">${t.createAccount}</button>
</form>
</section>`;
}
