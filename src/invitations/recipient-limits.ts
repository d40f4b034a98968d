import type { AppError } from '../lib/errors.ts';
import { describeWindow, type RateLimit, type RateLimiter, tooManyRequests } from '../lib/rate-limiter.ts';
import { sha256 } from '../lib/secrets.ts';

/** What each organization may always send one address per window, whatever others sent. */
export const RECIPIENT_GUARANTEED_PER_ORGANIZATION = 3;

/**
 * Invitation emails to one address, limited so the recipient is not flooded and no tenant can
 * deny another (see docs/decisions.md, "Per-recipient limits"):
 * - per organization and address (`perOrganization`): one tenant exhausts only its own window;
 * - each organization's first RECIPIENT_GUARANTEED_PER_ORGANIZATION emails in its window are
 *   never refused for what other organizations sent;
 * - beyond those, emails draw on a pool shared by every organization (`shared`), which bounds
 *   what many organizations together send.
 * Keys hold a hash: the limiter's store never holds an address. A refused email consumes
 * nothing, in either counter.
 */
export async function takeRecipientEmail(
  limiter: RateLimiter,
  rules: { perOrganization: RateLimit; shared: RateLimit },
  organizationId: string,
  emailCanonical: string,
  shown: string,
): Promise<AppError | null> {
  const recipient = sha256(emailCanonical);
  const ownKey = `recipient:${organizationId}:${recipient}`;
  const own = await limiter.consume(ownKey, rules.perOrganization);
  if (!own.allowed) {
    return tooManyRequests(
      own,
      rules.perOrganization,
      `${shown} was sent ${rules.perOrganization.limit} invitation emails from this organization in the last ${describeWindow(rules.perOrganization.windowMs)}; try later.`,
      'recipient_limit_reached',
    );
  }
  const sentByThisOrganization = rules.perOrganization.limit - own.remaining;
  if (sentByThisOrganization <= RECIPIENT_GUARANTEED_PER_ORGANIZATION) return null;
  const shared = await limiter.consume(`recipient:${recipient}`, rules.shared);
  if (shared.allowed) return null;
  await limiter.consume(ownKey, rules.perOrganization, -1);
  return tooManyRequests(
    shared,
    rules.shared,
    `${shown} was sent many invitation emails in the last ${describeWindow(rules.shared.windowMs)}; ` +
      `each organization may still send it ${RECIPIENT_GUARANTEED_PER_ORGANIZATION} per window, and this one has; try later.`,
    'recipient_limit_reached',
  );
}
