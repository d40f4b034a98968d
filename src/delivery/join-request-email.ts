import type { Executor } from '../db/database.ts';
import { findJoinRequest } from '../joining/join-request.repository.ts';
import { findOrganization } from '../organizations/organization.repository.ts';
import type { ClaimedMessage } from '../outbox/outbox.repository.ts';
import { findUserById } from '../users/user.repository.ts';
import { defang, type EmailLocale, emailLocale, escapeHtml, type RenderedEmail } from './email-templates.ts';

// "Your request to join was approved / rejected": its own strings and its own small template, so
// the invitation templates stay as they are.

interface DecisionStrings {
  subject(org: string, approved: boolean): string;
  greeting: string;
  body(org: string, approved: boolean, role: string | null): string;
  reason: string;
}

const STRINGS: Record<EmailLocale, DecisionStrings> = {
  en: {
    subject: (org, approved) => (approved ? `You joined ${org}` : `Your request to join ${org} was declined`),
    greeting: 'Hello,',
    body: (org, approved, role) =>
      approved
        ? `An admin of ${org} approved your request to join${role ? `; your role is ${role}` : ''}.`
        : `An admin of ${org} declined your request to join.`,
    reason: 'Their note:',
  },
  fr: {
    subject: (org, approved) =>
      approved ? `Vous avez rejoint ${org}` : `Votre demande pour rejoindre ${org} a été refusée`,
    greeting: 'Bonjour,',
    body: (org, approved, role) =>
      approved
        ? `Un administrateur de ${org} a accepté votre demande${role ? ` ; votre rôle est ${role}` : ''}.`
        : `Un administrateur de ${org} a refusé votre demande.`,
    reason: 'Sa note :',
  },
};

export function renderJoinDecisionEmail(
  input: { organizationName: string; approved: boolean; role: string | null; reason: string | null },
  locale: EmailLocale,
): RenderedEmail {
  const strings = STRINGS[locale] ?? STRINGS.en;
  const org = defang(input.organizationName);
  const role = input.role ? defang(input.role) : null;
  const reason = input.reason ? defang(input.reason, { multiline: true }) : null;
  const subject = strings.subject(org, input.approved).slice(0, 200);
  const body = strings.body(org, input.approved, role);
  const text = [strings.greeting, '', body, ...(reason ? ['', strings.reason, `> ${reason}`] : []), ''].join(
    '\n',
  );
  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><title>${e(subject)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328;padding:24px">
<p>${e(strings.greeting)}</p>
<p>${e(body)}</p>
${reason ? `<p>${e(strings.reason)}</p><blockquote style="white-space:pre-wrap">${e(reason)}</blockquote>` : ''}
</body>
</html>
`;
  return { subject, text, html, locale };
}

/** The email for a `join_request_decided` outbox message; null when there is nobody to tell. */
export async function joinDecisionEmail(
  db: Executor,
  message: ClaimedMessage,
): Promise<{ to: string; email: RenderedEmail } | null> {
  const request = await findJoinRequest(db, String(message.payload.join_request_id));
  if (!request || (request.status !== 'approved' && request.status !== 'rejected')) return null;
  const [organization, user] = await Promise.all([
    findOrganization(db, request.organizationId),
    findUserById(db, request.userId),
  ]);
  if (!organization || user?.status !== 'active') return null;
  const email = renderJoinDecisionEmail(
    {
      organizationName: organization.name,
      approved: request.status === 'approved',
      role: request.role,
      reason: request.reason,
    },
    emailLocale(organization.settings.locale),
  );
  return { to: user.email, email };
}
