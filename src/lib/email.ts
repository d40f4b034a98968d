/**
 * Email addresses are kept twice: as given (for delivery) and canonical (for every comparison
 * and uniqueness rule). Canonical = trimmed, NFC-normalised, lower-cased. Sub-addressing and
 * provider-specific dot rules are deliberately not folded: they are the mailbox owner's choice.
 */
export function canonicalEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

export type EmailProblem = 'empty' | 'too_long' | 'local_part_too_long' | 'malformed';

const LOCAL_PART =
  /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9\u0080-\uFFFF-]{1,63}(?<!-)$/;

/** Validates within RFC 5321 limits: local part ≤ 64 octets, whole address ≤ 254 octets. */
export function checkEmail(raw: string): EmailProblem | null {
  const email = raw.trim().normalize('NFC');
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
