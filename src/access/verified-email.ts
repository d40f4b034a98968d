import { AppError } from '../lib/errors.ts';
import type { UserRecord } from './user-record.ts';

/**
 * Refuses what only the owner of an address may do: stand for its domain, or find and answer the
 * invitations sent to it without their link. An account whose address nobody proved (made from a
 * link its inviter was handed) still answers the invitation that link belongs to.
 */
export function requireVerifiedEmail(user: UserRecord, what: string): void {
  if (user.emailVerified) return;
  throw new AppError(
    403,
    'email_unverified',
    'Address not verified',
    `${what} needs an account whose address is verified: one made from an invitation emailed to it, by an admin, or through an identity provider that verified it.`,
  );
}
