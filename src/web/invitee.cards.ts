import { type EmailLocale, inviterName as nameOf } from '../delivery/email-templates.ts';
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
