/**
 * Query parameters whose value is a credential by name. Matched on the name lowercased with
 * `-`, `_` and `.` removed, as a substring, so `api_key`, `X-Amz-Signature`, `client_secret`,
 * `access_token`, `refresh_token`, `sessionid` and `new_password` are all caught. Redacting a
 * parameter that was not secret only costs a log detail; logging one that was is a leak.
 */
const CREDENTIAL_NAME =
  /key|secret|token|passw|pwd|passphrase|signature|^sig$|credential|auth|session|cookie|otp|^code$|jwt|bearer|^join$/;

/** Values that are secrets whatever they are called: rsvp's typed secrets and JWTs. */
const SECRET_VALUE = /rsvp_[a-z]{2}_[0-9A-Za-z]+|eyJ[\w-]*\.[\w-]*\.[\w-]*/g;

const HOLDS_SECRET = new RegExp(SECRET_VALUE.source);

const REDACTED = '[redacted]';

/** The text a server reads from a URL part: percent-decoded, `+` as a space in a query. */
const decoded = (raw: string, plusIsSpace: boolean) => {
  if (!raw.includes('%')) return plusIsSpace ? raw.replace(/\+/g, ' ') : raw;
  try {
    return decodeURIComponent(plusIsSpace ? raw.replace(/\+/g, ' ') : raw);
  } catch {
    return raw;
  }
};

const isCredentialName = (raw: string) =>
  CREDENTIAL_NAME.test(
    decoded(raw, true)
      .toLowerCase()
      .replace(/[-_.\s]/g, ''),
  );

/**
 * A URL part without its secrets. A part that holds one only once decoded (`rsvp%5Fjl%5F…`, as
 * a client may encode it) is redacted whole: the server reads the decoded value.
 */
const withoutSecrets = (raw: string, plusIsSpace: boolean) => {
  const plain = raw.replace(SECRET_VALUE, REDACTED);
  return HOLDS_SECRET.test(decoded(plain, plusIsSpace)) ? REDACTED : plain;
};

/** A request URL fit for the log: credential-like query values and embedded secrets replaced. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  const path = (at < 0 ? url : url.slice(0, at))
    .split('/')
    .map((segment) => withoutSecrets(segment, false))
    .join('/');
  if (at < 0) return path;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      if (eq >= 0 && isCredentialName(name)) return `${name}=${REDACTED}`;
      if (eq < 0) return withoutSecrets(pair, true);
      return `${withoutSecrets(name, true)}=${withoutSecrets(pair.slice(eq + 1), true)}`;
    })
    .join('&');
  return `${path}?${query}`;
}
