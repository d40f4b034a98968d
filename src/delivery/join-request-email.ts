import type { Executor } from '../db/database.ts';
import { findJoinRequest } from '../joining/join-request.repository.ts';
import { fill, LOCALES } from '../locales/locales.ts';
import { findOrganization } from '../organizations/organization.repository.ts';
import type { ClaimedMessage } from '../outbox/outbox.repository.ts';
import { findUserById } from '../users/user.repository.ts';
import { defang, type EmailLocale, emailLocale, escapeHtml, type RenderedEmail } from './email-templates.ts';

// "Your request to join was approved / rejected": its own small template (strings in the locale
// files, `email.joinDecision`), so the invitation templates stay as they are.

export function renderJoinDecisionEmail(
  input: { organizationName: string; approved: boolean; role: string | null; reason: string | null },
  locale: EmailLocale,
): RenderedEmail {
  const { email } = LOCALES[locale] ?? LOCALES.en!;
  const strings = email.joinDecision;
  const org = defang(input.organizationName);
  const role = input.role ? defang(input.role) : null;
  const reason = input.reason ? defang(input.reason, { multiline: true }) : null;
  const subject = fill(input.approved ? strings.subjectApproved : strings.subjectRejected, { org }).slice(
    0,
    200,
  );
  const body = input.approved
    ? fill(role ? strings.approvedWithRole : strings.approved, { org, role: role ?? '' })
    : fill(strings.rejected, { org });
  const text = [email.greeting, '', body, ...(reason ? ['', strings.reason, `> ${reason}`] : []), ''].join(
    '\n',
  );
  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><title>${e(subject)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328;padding:24px">
<p>${e(email.greeting)}</p>
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
