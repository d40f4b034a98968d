/**
 * Standard Webhooks verification (https://www.standardwebhooks.com) with Web Crypto only, so it
 * runs unchanged on Node ≥ 20, Deno, Bun, Cloudflare Workers and in browsers.
 */
import type { components } from './schema.ts';

/** The event types an endpoint subscribes to. */
export type SubscribableEventType =
  components['schemas']['WebhookEndpointCreateInput']['event_types'][number];

/** The type of a message rsvp posts: a subscribed event, or the test an admin asked for. */
export type WebhookEventType = SubscribableEventType | 'webhook.test';

/** The body rsvp posts: the event type, when it happened, and the subject as it stood after. */
export interface WebhookEvent {
  type: WebhookEventType;
  timestamp: string;
  data: { event_id: string; organization_id: string | null; [field: string]: unknown };
}

export type WebhookHeaders =
  | { get(name: string): string | null }
  | Record<string, string | string[] | undefined>;

export interface VerifyWebhookOptions {
  /** How far `webhook-timestamp` may be from now, either way. 300 by default, as the specification advises. */
  toleranceSeconds?: number;
  /** The current time; tests pass their own. */
  now?: Date;
}

export type WebhookVerificationReason =
  | 'missing_headers'
  | 'invalid_secret'
  | 'invalid_timestamp'
  | 'timestamp_outside_tolerance'
  | 'no_matching_signature'
  | 'invalid_payload';

export class WebhookVerificationError extends Error {
  readonly reason: WebhookVerificationReason;
  constructor(reason: WebhookVerificationReason, message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
    this.reason = reason;
  }
}

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof headers.get === 'function')
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value.join(' ') : value;
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Checks that a delivery came from rsvp with this endpoint's secret and is recent, and returns
 * its parsed body. Pass the raw body exactly as received (a string or bytes): re-serialized JSON
 * does not verify. Throws WebhookVerificationError otherwise; answer such requests 400/401.
 * The `webhook-id` is the same on every retry of a message: use it to process each one once.
 */
export async function verifyWebhook(
  secret: string,
  payload: string | Uint8Array,
  headers: WebhookHeaders,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures) {
    throw new WebhookVerificationError(
      'missing_headers',
      'webhook-id, webhook-timestamp and webhook-signature are all required',
    );
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new WebhookVerificationError(
      'invalid_timestamp',
      'webhook-timestamp is not a Unix time in seconds',
    );
  }
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - Number(timestamp)) > (options.toleranceSeconds ?? 300)) {
    throw new WebhookVerificationError(
      'timestamp_outside_tolerance',
      'webhook-timestamp is too far from now (a replay, or a clock off)',
    );
  }
  let keyBytes: Uint8Array<ArrayBuffer>;
  try {
    keyBytes = fromBase64(secret.replace(/^whsec_/, ''));
  } catch {
    throw new WebhookVerificationError('invalid_secret', 'the secret is not `whsec_` and base64');
  }
  if (keyBytes.length === 0) throw new WebhookVerificationError('invalid_secret', 'the secret is empty');
  const key = await crypto.subtle.importKey('raw', keyBytes, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  const body = typeof payload === 'string' ? payload : new TextDecoder().decode(payload);
  const signed = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
  // Several signatures, space-separated, while a secret rotates; any v1 one may match.
  for (const candidate of signatures.split(' ')) {
    const [version, signature] = candidate.split(',', 2);
    if (version !== 'v1' || !signature) continue;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = fromBase64(signature);
    } catch {
      continue;
    }
    // crypto.subtle.verify compares in constant time.
    if (await crypto.subtle.verify('HMAC', key, bytes, signed)) {
      try {
        return JSON.parse(body) as WebhookEvent;
      } catch {
        throw new WebhookVerificationError('invalid_payload', 'the signed body is not JSON');
      }
    }
  }
  throw new WebhookVerificationError('no_matching_signature', 'no v1 signature matches this secret and body');
}
