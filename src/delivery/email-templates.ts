/**
 * Invitation emails, HTML and plain text, per locale. Every user-supplied string (organization
 * and resource names, inviter name, message) is escaped for HTML, stripped of line breaks where
 * it lands in a header, and defanged so that no link of the user's ever renders: the accept
 * link is the only link in the message.
 */

export const EMAIL_LOCALES = ['en', 'fr'] as const;
export type EmailLocale = (typeof EMAIL_LOCALES)[number];

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
  message: string | null;
  expiresAt: Date;
  acceptUrl: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  locale: EmailLocale;
}

interface AddedStrings {
  subject(inviter: string, org: string): string;
  intro(inviter: string, org: string, role: string): string;
  button: string;
}

const ADDED: Record<EmailLocale, AddedStrings> = {
  en: {
    subject: (inviter, org) => `${inviter} added you to ${org}`,
    intro: (inviter, org, role) =>
      `${inviter} added you to ${org} as ${role}. You already have an account, so there is nothing to accept.`,
    button: 'Open it',
  },
  fr: {
    subject: (inviter, org) => `${inviter} vous a ajouté à ${org}`,
    intro: (inviter, org, role) =>
      `${inviter} vous a ajouté à ${org} avec le rôle ${role}. Vous avez déjà un compte : il n'y a rien à accepter.`,
    button: 'Ouvrir',
  },
};

/** The email telling a registered user they were added to an organization directly. */
export function renderAddedEmail(
  input: { organizationName: string; inviterName: string; role: string; link: string | null },
  locale: EmailLocale,
): RenderedEmail {
  const strings = ADDED[locale];
  const org = defang(input.organizationName);
  const inviter = defang(input.inviterName);
  const role = defang(input.role);
  const subject = strings.subject(inviter, org).slice(0, 200);
  const intro = strings.intro(inviter, org, role);
  const text = [
    STRINGS[locale].greeting,
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
<p>${e(STRINGS[locale].greeting)}</p>
<p>${e(intro)}</p>
${input.link ? `<p><a href="${e(input.link)}" style="background:#1f6feb;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${e(strings.button)}</a></p>` : ''}
</body>
</html>
`;
  return { subject, text, html, locale };
}

interface Strings {
  subject(i: Texts): string;
  reminderPrefix: string;
  greeting: string;
  intro(i: Texts): string;
  wrote(inviter: string): string;
  button: string;
  expires(date: string): string;
  reminder: string;
  ignore: string;
  copyLink: string;
}

interface Texts {
  org: string;
  inviter: string;
  role: string | null;
  resource: string | null;
  actions: string | null;
}

const STRINGS: Record<EmailLocale, Strings> = {
  en: {
    subject: (t) =>
      t.resource
        ? `${t.inviter} shared ${t.resource} in ${t.org} with you`
        : `${t.inviter} invited you to join ${t.org}`,
    reminderPrefix: 'Reminder: ',
    greeting: 'Hello,',
    intro: (t) =>
      t.resource
        ? `${t.inviter} invited you to ${t.resource} in ${t.org}, with these permissions: ${t.actions}.`
        : `${t.inviter} invited you to join ${t.org} as ${t.role}.`,
    wrote: (inviter) => `${inviter} wrote:`,
    button: 'View the invitation',
    expires: (date) => `This invitation expires on ${date}.`,
    reminder: 'This invitation is still waiting for your answer and expires soon.',
    ignore:
      'If you did not expect this invitation, you can ignore this email; nothing happens unless you accept.',
    copyLink: 'Or copy this address into your browser:',
  },
  fr: {
    subject: (t) =>
      t.resource
        ? `${t.inviter} a partagé ${t.resource} dans ${t.org} avec vous`
        : `${t.inviter} vous invite à rejoindre ${t.org}`,
    reminderPrefix: 'Rappel : ',
    greeting: 'Bonjour,',
    intro: (t) =>
      t.resource
        ? `${t.inviter} vous invite sur ${t.resource} dans ${t.org}, avec ces droits : ${t.actions}.`
        : `${t.inviter} vous invite à rejoindre ${t.org} avec le rôle ${t.role}.`,
    wrote: (inviter) => `${inviter} a écrit :`,
    button: "Voir l'invitation",
    expires: (date) => `Cette invitation expire le ${date}.`,
    reminder: 'Cette invitation attend toujours votre réponse et expire bientôt.',
    ignore:
      "Si vous n'attendiez pas cette invitation, ignorez ce message : rien ne se passe tant que vous ne l'acceptez pas.",
    copyLink: 'Ou copiez cette adresse dans votre navigateur :',
  },
};

/** The best supported locale for a BCP 47 tag: its language, else English. */
export function emailLocale(...tags: (string | null | undefined)[]): EmailLocale {
  for (const tag of tags) {
    const language = tag?.split('-')[0]?.toLowerCase();
    if (language && (EMAIL_LOCALES as readonly string[]).includes(language)) return language as EmailLocale;
  }
  return 'en';
}

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

const URL_LIKE = /\b(?:[a-z][a-z0-9+.-]*:\/\/|www\.|mailto:)\S*/gi;
const ZERO_WIDTH_SPACE = '\u200B';

/**
 * Makes user text unable to carry a link: explicit URLs are removed, and any remaining
 * `word.word` gets a zero-width space before the dot so mail clients do not auto-link a bare
 * domain. Control characters (line breaks included) become spaces unless `multiline`.
 */
export function defang(value: string, options: { multiline?: boolean } = {}): string {
  let text = value.replace(URL_LIKE, '[link removed]');
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

function formatDate(date: Date, locale: EmailLocale): string {
  let format = dateFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });
    dateFormats.set(locale, format);
  }
  return `${format.format(date)} UTC`;
}

export function renderInvitationEmail(input: InvitationEmailInput, locale: EmailLocale): RenderedEmail {
  const strings = STRINGS[locale];
  const texts: Texts = {
    org: defang(input.organizationName),
    inviter: defang(input.inviterName),
    role: input.role ? defang(input.role) : null,
    resource: input.resource ? defang(`${input.resource.type} ${input.resource.name}`) : null,
    actions: input.actions ? defang(input.actions.join(', ')) : null,
  };
  const subject =
    (input.kind === 'reminder' ? strings.reminderPrefix : '') + strings.subject(texts).slice(0, 200);
  const message = input.message ? defang(input.message, { multiline: true }) : null;
  const expires = strings.expires(formatDate(input.expiresAt, locale));

  const text = [
    strings.greeting,
    '',
    strings.intro(texts),
    ...(input.kind === 'reminder' ? ['', strings.reminder] : []),
    ...(message ? ['', strings.wrote(texts.inviter), ...message.split('\n').map((line) => `> ${line}`)] : []),
    '',
    `${strings.button}: ${input.acceptUrl}`,
    '',
    expires,
    strings.ignore,
    '',
  ].join('\n');

  const e = (value: string) => escapeHtml(value);
  const html = `<!doctype html>
<html lang="${locale}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${e(subject)}</title></head>
<body style="margin:0;padding:24px;background:#f6f7f9;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328">
<div style="max-width:560px;margin:0 auto;background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:24px">
<p>${e(strings.greeting)}</p>
<p>${e(strings.intro(texts))}</p>
${input.kind === 'reminder' ? `<p><strong>${e(strings.reminder)}</strong></p>` : ''}
${
  message
    ? `<p>${e(strings.wrote(texts.inviter))}</p>
<blockquote style="margin:0 0 16px;padding:8px 16px;border-left:4px solid #d0d7de;color:#57606a;white-space:pre-wrap">${e(message)}</blockquote>`
    : ''
}
<p style="margin:24px 0"><a href="${e(input.acceptUrl)}" style="background:#1f6feb;color:#fff;padding:12px 20px;border-radius:6px;text-decoration:none;display:inline-block">${e(strings.button)}</a></p>
<p style="color:#57606a;font-size:14px">${e(expires)}</p>
<p style="color:#57606a;font-size:14px">${e(strings.copyLink)}<br><span style="word-break:break-all">${e(input.acceptUrl)}</span></p>
<p style="color:#57606a;font-size:12px">${e(strings.ignore)}</p>
</div>
</body>
</html>
`;
  return { subject, text, html, locale };
}
