import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../lib/secrets.ts';

/** Standard Webhooks secrets: `whsec_` and base64 of the HMAC key. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, per the Standard Webhooks specification. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const digest = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${digest}`;
}

/**
 * What a receiver does: any of the space-separated signatures may match, and the timestamp
 * must be recent, so a captured delivery cannot be replayed later.
 */
export function verifyWebhook(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const timestamp = Number(headers.timestamp);
  if (!Number.isInteger(timestamp) || Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = signWebhook(secret, headers.id, timestamp, body);
  return headers.signature.split(' ').some((candidate) => constantTimeEqual(candidate, expected));
}
