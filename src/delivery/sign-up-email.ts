import { decrypt } from '../lib/secrets.ts';
import { fill, LOCALES } from '../locales/locales.ts';
import type { ClaimedMessage } from '../outbox/outbox.repository.ts';
import {
  type EmailLocale,
  emailLocale,
  escapeHtml,
  formatDate,
  type RenderedEmail,
} from './email-templates.ts';

// "Confirm your address to create your account": the one email rsvp sends to someone who is not
// yet a user. It names nobody and nothing but the link, so it cannot carry anyone's text.

export function renderSignUpEmail(
  input: { link: string; expiresAt: Date },
  locale: EmailLocale,
): RenderedEmail {
  const { email } = LOCALES[locale] ?? LOCALES.en!;
  const strings = email.signUp;
  const expires = fill(strings.expires, { date: formatDate(input.expiresAt, locale) });
  const text = [
    email.greeting,
    '',
    strings.intro,
    '',
    `${strings.button}: ${input.link}`,
    '',
    expires,
    strings.ignore,
    '',
  ].join('\n');
  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><title>${e(strings.subject)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328;padding:24px">
<p>${e(email.greeting)}</p>
<p>${e(strings.intro)}</p>
<p><a href="${e(input.link)}" style="background:#1f6feb;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${e(strings.button)}</a></p>
<p style="color:#57606a;font-size:14px">${e(expires)}<br><span style="word-break:break-all">${e(input.link)}</span></p>
<p style="color:#57606a;font-size:12px">${e(strings.ignore)}</p>
</body>
</html>
`;
  return { subject: strings.subject, text, html, locale };
}

/** The email of a `sign_up_confirmation` outbox message, its link unsealed only to be sent. */
export function signUpEmail(
  message: ClaimedMessage,
  encryptionKey: Buffer,
): { to: string; email: RenderedEmail } {
  const payload = message.payload as {
    to: string;
    locale: string | null;
    expires_at: string;
    sealed_link: string;
  };
  const email = renderSignUpEmail(
    { link: decrypt(encryptionKey, payload.sealed_link), expiresAt: new Date(payload.expires_at) },
    emailLocale(payload.locale),
  );
  return { to: payload.to, email };
}
