import { bestLocale, fill, LOCALES, SUPPORTED_LOCALES } from '../locales/locales.ts';

/**
 * Invitation emails, HTML and plain text, per locale. Every user-supplied string (organization
 * and resource names, inviter name, message) is escaped for HTML, stripped of line breaks where
 * it lands in a header, and defanged so that no link of the user's ever renders: the accept
 * link is the only link in the message.
 */

/** The locales emails are written in: one file each in src/locales/. */
export const EMAIL_LOCALES = SUPPORTED_LOCALES;
export type EmailLocale = string;

/**
 * How an email and the invitee page name the inviter, the same way in both: their display name,
 * else username, else email; the organization when the inviter is gone.
 */
export function inviterName(
  inviter: { displayName: string | null; username: string | null; email: string } | null | undefined,
  organizationName: string,
): string {
  return inviter?.displayName ?? inviter?.username ?? inviter?.email ?? organizationName;
}

export interface InvitationEmailInput {
  kind: 'invitation' | 'reminder';
  organizationName: string;
  inviterName: string;
  role: string | null;
  resource: { type: string; name: string } | null;
  actions: string[] | null;
  /** A combined invitation's resources, granted with the role; empty for the others. */
  grants: EmailGrant[];
  message: string | null;
  expiresAt: Date;
  acceptUrl: string;
}

export interface EmailGrant {
  type: string;
  name: string;
  actions: string[];
}

export interface RenderedEmail {
  /** The From header when not the instance's MAIL_FROM (an organization's sender name). */
  from?: string;
  subject: string;
  text: string;
  html: string;
  locale: EmailLocale;
}

/** The email telling a registered user they were added to an organization directly. */
export function renderAddedEmail(
  input: { organizationName: string; inviterName: string; role: string; link: string | null },
  locale: EmailLocale,
): RenderedEmail {
  const { greeting, added: strings } = LOCALES[locale]!.email;
  const values = {
    org: defang(input.organizationName),
    inviter: defang(input.inviterName),
    role: defang(input.role),
  };
  const subject = fill(strings.subject, values).slice(0, 200);
  const intro = fill(strings.intro, values);
  const text = [
    greeting,
    '',
    intro,
    ...(input.link ? ['', `${strings.button}: ${input.link}`] : []),
    '',
  ].join('\n');
  const e = escapeHtml;
  const html = `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><title>${e(subject)}</title></head>
<body style="font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328;padding:24px">
<p>${e(greeting)}</p>
<p>${e(intro)}</p>
${input.link ? `<p><a href="${e(input.link)}" style="background:#1f6feb;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${e(strings.button)}</a></p>` : ''}
</body>
</html>
`;
  return { subject, text, html, locale };
}

interface Texts {
  org: string;
  inviter: string;
  role: string | null;
  resource: string | null;
  actions: string | null;
}

/** The best supported locale for a BCP 47 tag: its language, else English. */
export const emailLocale = bestLocale;

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

// Links and the schemes a browser would run or inline (`javascript:`, `data:`, `vbscript:`), which an
// organization's template could otherwise place in an `href` around the text users wrote.
const URL_LIKE = /(?:\b[a-z][a-z0-9+.-]*:\/\/|\bwww\.|\bmailto:|\b(?:javascript|data|vbscript):(?=\S))\S*/gi;
const ZERO_WIDTH_SPACE = '\u200B';
/** Ideographic and full-width full stops, which URL parsers and mail clients read as dots. */
const DOT_LOOKALIKES = /[\u3002\uFF0E\uFF61]/g;
/** Text-direction controls: they can make `gnp.exe` read as `exe.png`. */
const DIRECTION_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

/**
 * Makes user text unable to carry a link: explicit URLs are removed, dot look-alikes become
 * dots, and any remaining `word.word` gets a zero-width space before the dot so mail clients do
 * not auto-link a bare domain. Text-direction controls are dropped; control characters (line
 * breaks included) become spaces unless `multiline`.
 */
export function defang(value: string, options: { multiline?: boolean } = {}): string {
  let text = value.replace(DIRECTION_CONTROLS, '').replace(DOT_LOOKALIKES, '.');
  text = text.replace(URL_LIKE, '[link removed]');
  text = text.replace(/(\w)\.(?=\w)/g, `$1${ZERO_WIDTH_SPACE}.`);
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    const control = code < 0x20 || code === 0x7f;
    out += control && !(options.multiline && char === '\n') ? ' ' : char;
  }
  return out;
}

// Building a DateTimeFormat costs more than rendering the rest of an email: one per locale.
const dateFormats = new Map<EmailLocale, Intl.DateTimeFormat>();

export function formatDate(date: Date, locale: EmailLocale): string {
  let format = dateFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });
    dateFormats.set(locale, format);
  }
  return `${format.format(date)} UTC`;
}

/** An organization's look in its emails; the built-in templates use the logo and colour. */
export interface EmailLook {
  logoUrl: string | null;
  primaryColor: string | null;
}

const NO_LOOK: EmailLook = { logoUrl: null, primaryColor: null };
const DEFAULT_COLOR = '#1f6feb';

export function renderInvitationEmail(
  input: InvitationEmailInput,
  locale: EmailLocale,
  look: EmailLook = NO_LOOK,
): RenderedEmail {
  const strings = LOCALES[locale]!.email.invitation;
  const { greeting } = LOCALES[locale]!.email;
  const texts: Texts = {
    org: defang(input.organizationName),
    inviter: defang(input.inviterName),
    role: input.role ? defang(input.role) : null,
    resource: input.resource ? defang(`${input.resource.type} ${input.resource.name}`) : null,
    actions: input.actions ? defang(input.actions.join(', ')) : null,
  };
  const values = {
    ...texts,
    role: texts.role ?? '',
    resource: texts.resource ?? '',
    actions: texts.actions ?? '',
  };
  const subject =
    (input.kind === 'reminder' ? strings.reminderPrefix : '') +
    fill(texts.resource ? strings.subjectResource : strings.subjectOrganization, values).slice(0, 200);
  const intro = fill(texts.resource ? strings.introResource : strings.introOrganization, values);
  const grants = input.grants.map((grant) =>
    fill(strings.grant, {
      resource: defang(`${grant.type} ${grant.name}`),
      actions: defang(grant.actions.join(', ')),
    }),
  );
  const withGrants = grants.length > 0 ? strings.withGrants : null;
  const wrote = fill(strings.wrote, values);
  const message = input.message ? defang(input.message, { multiline: true }) : null;
  const expires = fill(strings.expires, { date: formatDate(input.expiresAt, locale) });

  const text = [
    greeting,
    '',
    intro,
    ...(withGrants ? ['', withGrants, ...grants.map((grant) => `- ${grant}`)] : []),
    ...(input.kind === 'reminder' ? ['', strings.reminder] : []),
    ...(message ? ['', wrote, ...message.split('\n').map((line) => `> ${line}`)] : []),
    '',
    `${strings.button}: ${input.acceptUrl}`,
    '',
    expires,
    strings.ignore,
    '',
  ].join('\n');

  const e = (value: string) => escapeHtml(value);
  const logo = look.logoUrl
    ? `<p><img src="${e(look.logoUrl)}" alt="${e(input.organizationName)}" style="max-height:48px;max-width:240px"></p>\n`
    : '';
  const html = `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${e(subject)}</title></head>
<body style="margin:0;padding:24px;background:#f6f7f9;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328">
<div style="max-width:560px;margin:0 auto;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:24px">
${logo}<p>${e(greeting)}</p>
<p>${e(intro)}</p>
${withGrants ? `<p>${e(withGrants)}</p>\n<ul>${grants.map((grant) => `<li>${e(grant)}</li>`).join('')}</ul>` : ''}
${input.kind === 'reminder' ? `<p><strong>${e(strings.reminder)}</strong></p>` : ''}
${
  message
    ? `<p>${e(wrote)}</p>
<blockquote style="margin:0 0 16px;padding:8px 16px;border-left:4px solid #d0d7de;color:#57606a;white-space:pre-wrap">${e(message)}</blockquote>`
    : ''
}
<p style="margin:24px 0"><a href="${e(input.acceptUrl)}" style="background:${e(look.primaryColor ?? DEFAULT_COLOR)};color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${e(strings.button)}</a></p>
<p style="color:#57606a;font-size:14px">${e(expires)}</p>
<p style="color:#57606a;font-size:14px">${e(strings.copyLink)}<br><span style="word-break:break-all">${e(input.acceptUrl)}</span></p>
<p style="color:#57606a;font-size:12px">${e(strings.ignore)}</p>
</div>
</body>
</html>
`;
  return { subject, text, html, locale };
}
