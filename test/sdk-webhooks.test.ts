import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from '../packages/sdk/src/index.ts';
import { newWebhookSecret, signWebhook } from '../src/webhooks/signing.ts';

const secret = newWebhookSecret();
const body = JSON.stringify({ type: 'invitation.accepted', timestamp: '2026-11-23T12:00:00.000Z', data: {} });
const now = new Date('2026-11-23T12:00:00.000Z');
const at = Math.floor(now.getTime() / 1000);
const headers = (timestamp = at, signature = signWebhook(secret, 'msg_1', timestamp, body)) => ({
  'webhook-id': 'msg_1',
  'webhook-timestamp': String(timestamp),
  'webhook-signature': signature,
});
const reason = (promise: Promise<unknown>) =>
  promise.then(
    () => 'verified',
    (error: unknown) => (error instanceof WebhookVerificationError ? error.reason : String(error)),
  );

describe('verifyWebhook against the server’s signer', () => {
  it('accepts what the server signs, from a Headers object or a plain one, as a string or bytes', async () => {
    expect((await verifyWebhook(secret, body, headers(), { now })).type).toBe('invitation.accepted');
    expect(
      await reason(verifyWebhook(secret, new TextEncoder().encode(body), new Headers(headers()), { now })),
    ).toBe('verified');
  });

  it('accepts any matching v1 signature of several, as while a secret rotates', async () => {
    const other = signWebhook(newWebhookSecret(), 'msg_1', at, body);
    const list = `v2,abc ${other} ${signWebhook(secret, 'msg_1', at, body)}`;
    expect(await reason(verifyWebhook(secret, body, headers(at, list), { now }))).toBe('verified');
  });

  it('refuses another secret, another body, another id and a replay outside the window', async () => {
    expect(await reason(verifyWebhook(newWebhookSecret(), body, headers(), { now }))).toBe(
      'no_matching_signature',
    );
    expect(await reason(verifyWebhook(secret, `${body} `, headers(), { now }))).toBe('no_matching_signature');
    expect(await reason(verifyWebhook(secret, body, { ...headers(), 'webhook-id': 'msg_2' }, { now }))).toBe(
      'no_matching_signature',
    );
    expect(await reason(verifyWebhook(secret, body, headers(at - 301), { now }))).toBe(
      'timestamp_outside_tolerance',
    );
    expect(await reason(verifyWebhook(secret, body, headers(at + 301), { now }))).toBe(
      'timestamp_outside_tolerance',
    );
    expect(await reason(verifyWebhook(secret, body, headers(at - 301), { now, toleranceSeconds: 600 }))).toBe(
      'verified',
    );
  });

  it('says what is wrong with a malformed delivery', async () => {
    const { 'webhook-signature': _, ...unsigned } = headers();
    expect(await reason(verifyWebhook(secret, body, unsigned, { now }))).toBe('missing_headers');
    expect(
      await reason(verifyWebhook(secret, body, { ...headers(), 'webhook-timestamp': '1e9' }, { now })),
    ).toBe('invalid_timestamp');
    expect(await reason(verifyWebhook(secret, body, headers(at, 'v1,!!not-base64!!'), { now }))).toBe(
      'no_matching_signature',
    );
    expect(await reason(verifyWebhook('whsec_%%%', body, headers(), { now }))).toBe('invalid_secret');
  });
});
