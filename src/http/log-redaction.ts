/**
 * Query parameters whose value is a credential by name. Matched on the name lowercased with
 * `-`, `_` and `.` removed, as a substring, so `api_key`, `X-Amz-Signature`, `client_secret`,
 * `access_token`, `refresh_token`, `sessionid` and `new_password` are all caught. Redacting a
 * parameter that was not secret only costs a log detail; logging one that was is a leak.
 */
const CREDENTIAL_NAME =
  /key|secret|token|passw|pwd|passphrase|signature|^sig$|credential|auth|session|cookie|otp|^code$|jwt|bearer|^join$/;

/** Values that are secrets whatever they are called: rsvp's typed secrets and JWTs. */
const HOLDS_SECRET = /rsvp_[a-z]{2}_[0-9A-Za-z]+|eyJ[\w-]*\.[\w-]*\.[\w-]*/;

const REDACTED = '[redacted]';

/**
 * The text a URL part stands for, for finding secrets in it: each `%XX` escape read as its
 * byte, leniently (a malformed escape elsewhere must not leave the rest unread, as
 * `decodeURIComponent` would), and `+` as a space in a query.
 */
const decoded = (raw: string, plusIsSpace: boolean) => {
  const spaced = plusIsSpace ? raw.replace(/\+/g, ' ') : raw;
  return spaced.includes('%')
    ? spaced.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)))
    : spaced;
};

const isCredentialName = (raw: string) =>
  CREDENTIAL_NAME.test(
    decoded(raw, true)
      .toLowerCase()
      .replace(/[-_.\s]/g, ''),
  );

/**
 * A URL part without its secrets: redacted whole when it holds one as the server would read it,
 * encoded in full, in part (`rsvp_sk_ab%63d…`) or next to a malformed escape.
 */
const withoutSecrets = (raw: string, plusIsSpace: boolean) =>
  HOLDS_SECRET.test(decoded(raw, plusIsSpace)) ? REDACTED : raw;

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
