import { INVISIBLE } from './visible-text.ts';

/**
 * Email addresses are kept twice: as given (for delivery) and canonical (for every comparison
 * and uniqueness rule). Canonical = trimmed, NFC-normalised, lower-cased. Sub-addressing and
 * provider-specific dot rules are deliberately not folded: they are the mailbox owner's choice.
 */
export function canonicalEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

export type EmailProblem =
  | 'empty'
  | 'too_long'
  | 'local_part_too_long'
  | 'malformed'
  | 'ill_formed_unicode'
  | 'invisible_character';

// No address may hold an INVISIBLE character anywhere (not even at the ends, where `trim()`
// would hide it; an ASCII space inside is simply malformed): they make one address display as
// another. IDN letters and marks are untouched.

const LOCAL_PART =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9\u0080-\uFFFF-]{1,63}(?<!-)$/;

/**
 * The one check every surface that takes an address runs (native API, dialects, CLI, users).
 * Pass the address as received: only ASCII spaces and tabs around it are forgiven. Checks
 * well-formed UTF-16 first (a lone surrogate would be delivered as U+FFFD, to someone else),
 * then invisible and control characters, then RFC 5321 limits: local part ≤ 64 octets, whole
 * address ≤ 254 octets.
 */
export function checkEmail(raw: string): EmailProblem | null {
  if (!raw.isWellFormed()) return 'ill_formed_unicode';
  const given = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  const bad = INVISIBLE.exec(given);
  if (bad) return 'invisible_character';
  const email = given.normalize('NFC');
  if (email.length === 0) return 'empty';
  if (Buffer.byteLength(email) > 254) return 'too_long';
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return 'malformed';
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (Buffer.byteLength(local) > 64) return 'local_part_too_long';
  if (!LOCAL_PART.test(local)) return 'malformed';
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return 'malformed';
  if (/^[0-9]+$/.test(labels.at(-1)!)) return 'malformed';
  return null;
}

const PROBLEM_TEXT: Record<EmailProblem, string> = {
  empty: 'it is empty',
  too_long: 'it is longer than 254 octets',
  local_part_too_long: 'the part before @ is longer than 64 octets',
  malformed: 'it is not of the form name@domain.tld',
  ill_formed_unicode: 'it holds a lone UTF-16 surrogate (ill-formed Unicode)',
  invisible_character: 'it holds an invisible, control or bidirectional character',
};

/** Why `raw` was refused, naming the offending code point when there is one, for error details. */
export function describeEmailProblem(raw: string, problem: EmailProblem): string {
  if (problem === 'invisible_character') {
    const bad = INVISIBLE.exec(raw.replace(/^[ \t]+|[ \t]+$/g, ''));
    if (bad) {
      const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
      return `it holds U+${code}, an invisible, control or bidirectional character`;
    }
  }
  return PROBLEM_TEXT[problem];
}

/** `raw` safe to echo in an error: unprintable and lone-surrogate code points as `\\u{…}`. */
export function printableEmail(raw: string): string {
  return raw.replace(
    /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cn}\p{Cs}\p{Default_Ignorable_Code_Point}]/gu,
    (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`,
  );
}

export function emailDomain(canonical: string): string {
  return canonical.slice(canonical.lastIndexOf('@') + 1);
}

/** `jane@example.com` → `j***@example.com`, for logs and for pages shown to someone else. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

/** True when the domain equals one of the patterns or is a subdomain of it. */
export function domainMatches(domain: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => domain === pattern || domain.endsWith(`.${pattern}`));
}
