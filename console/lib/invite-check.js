import { t } from './i18n.js';

// The API's rules for one invitation row, checked before sending so a bad cell names its row
// instead of failing a whole batch (src/invitations/invitation.schemas.ts holds the originals).
export const BATCH_LIMIT = 1000;
const MESSAGE_MAX = 2000;
const ROLE_NAME = /^[a-z][a-z0-9_-]*$/;
// Shape only; the API's full RFC 5321 check still answers per row.
const EMAIL = /^[^\s@"<>,;]{1,64}@[^\s@"<>,;]+\.[^\s@"<>,;]+$/;
export const TTL_MIN_SECONDS = 3600;
export const TTL_MAX_SECONDS = 30 * 86400;

/** Why the API would refuse this row, in the reader's language; empty when it looks sendable. */
export function rowProblems(row, { roles, locales, loose }) {
  const problems = [];
  if (loose) problems.push(t('check.quotes'));
  if (!row.email) problems.push(t('invite.noEmail'));
  else if (row.email.length > 320 || !EMAIL.test(row.email)) problems.push(t('check.email'));
  if (row.role !== undefined) {
    if (!ROLE_NAME.test(row.role) || row.role.length > 64) problems.push(t('check.roleName', row.role));
    else if (!roles.some((r) => r.name === row.role)) problems.push(t('check.roleUnknown', row.role));
  }
  if (row.locale !== undefined && locales && !locales.includes(row.locale.toLowerCase().split('-')[0]))
    problems.push(t('check.locale', row.locale, locales.join(', ')));
  if (row.message !== undefined && row.message.trim().length > MESSAGE_MAX)
    problems.push(t('check.message', row.message.trim().length, MESSAGE_MAX));
  if (
    row.ttl_seconds !== undefined &&
    !(row.ttl_seconds >= TTL_MIN_SECONDS && row.ttl_seconds <= TTL_MAX_SECONDS)
  )
    problems.push(t('check.expiry'));
  return problems;
}

/** The row a 400's pointer names (`/body/invitations/3/role` → 3), if any. */
export function pointedRow(pointer) {
  const match = /\/invitations\/(\d+)(\/|$)/.exec(pointer ?? '');
  return match ? Number(match[1]) : undefined;
}

/** Groups of at most the API's batch size, in order. */
export function batches(items, size = BATCH_LIMIT) {
  const groups = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}
