/**
 * Query parameters whose value is a credential by name. Matched on the name lowercased with
 * `-`, `_` and `.` removed, as a substring, so `api_key`, `X-Amz-Signature`, `client_secret`,
 * `access_token`, `refresh_token`, `sessionid` and `new_password` are all caught. Redacting a
 * parameter that was not secret only costs a log detail; logging one that was is a leak.
 */
const CREDENTIAL_NAME =
  /key|secret|token|passw|pwd|passphrase|signature|^sig$|credential|auth|session|cookie|otp|^code$|jwt|bearer/;

/** Values that are secrets whatever they are called: rsvp's typed secrets and JWTs. */
const SECRET_VALUE = /rsvp_[a-z]{2}_[0-9A-Za-z]+|eyJ[\w-]*\.[\w-]*\.[\w-]*/g;

const REDACTED = '[redacted]';

const isCredentialName = (raw: string) => {
  let name = raw;
  try {
    name = decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {}
  return CREDENTIAL_NAME.test(name.toLowerCase().replace(/[-_.\s]/g, ''));
};

/** A request URL fit for the log: credential-like query values and embedded secrets replaced. */
export function redactUrl(url: string): string {
  const at = url.indexOf('?');
  const path = (at < 0 ? url : url.slice(0, at)).replace(SECRET_VALUE, REDACTED);
  if (at < 0) return path;
  const query = url
    .slice(at + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      if (eq >= 0 && isCredentialName(name)) return `${name}=${REDACTED}`;
      return pair.replace(SECRET_VALUE, REDACTED);
    })
    .join('&');
  return `${path}?${query}`;
}
