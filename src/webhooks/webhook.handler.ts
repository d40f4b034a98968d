import http from 'node:http';
import https from 'node:https';
import type { Executor } from '../db/database.ts';
import type { InstanceKeys } from '../instance/instance-keys.ts';
import type { Clock } from '../lib/clock.ts';
import { newId } from '../lib/ids.ts';
import { decrypt } from '../lib/secrets.ts';
import type { AttemptResult, OutboxHandler, SettledAttempt } from '../outbox/outbox.handler.ts';
import type { ClaimedMessage } from '../outbox/outbox.repository.ts';
import { ForbiddenDestination, guardedLookup } from './destination.ts';
import { signWebhook } from './signing.ts';
import { findEndpointById, insertAttempt } from './webhook.repository.ts';

/** Waits after attempts 1, 2, …: retries span about three days. */
const SCHEDULE_MS = [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 72_000].map((s) => s * 1000);
const TIMEOUT_MS = 15_000;
const MAX_RESPONSE_BYTES = 4096;

/** Posts signed webhook messages; one attempt per call, each logged for the endpoint's delivery log. */
export class WebhookHandler implements OutboxHandler {
  readonly maxAttempts = SCHEDULE_MS.length + 1;
  readonly #db: Executor;
  readonly #clock: Clock;
  readonly #keys: InstanceKeys;
  readonly #lookup: ReturnType<typeof guardedLookup>;

  constructor(deps: { db: Executor; clock: Clock; keys: InstanceKeys; allowPrivateDestinations: boolean }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#keys = deps.keys;
    this.#lookup = guardedLookup(deps.allowPrivateDestinations);
  }

  backoffMs(attempt: number): number {
    return SCHEDULE_MS[Math.min(attempt, SCHEDULE_MS.length) - 1]!;
  }

  async deliver(message: ClaimedMessage): Promise<AttemptResult> {
    const endpoint = message.endpointId ? await findEndpointById(this.#db, message.endpointId) : undefined;
    if (!endpoint) return { ok: false, error: 'endpoint deleted', permanent: true, statusCode: null };
    if (!endpoint.enabled)
      return { ok: false, error: 'endpoint disabled', permanent: true, statusCode: null };
    const body = JSON.stringify(message.payload);
    const timestamp = Math.floor(this.#clock.now().getTime() / 1000);
    const secret = decrypt(this.#keys.encryption, endpoint.sealedSecret);
    try {
      const status = await this.#post(endpoint.url, body, {
        'content-type': 'application/json',
        'user-agent': 'rsvp-webhooks/1',
        'webhook-id': message.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signWebhook(secret, message.id, timestamp, body),
      });
      if (status >= 200 && status < 300) return { ok: true, statusCode: status };
      return { ok: false, error: `HTTP ${status}`, permanent: false, statusCode: status };
    } catch (error) {
      const permanent = error instanceof ForbiddenDestination;
      return { ok: false, error: (error as Error).message.slice(0, 500), permanent, statusCode: null };
    }
  }

  /** Redirects are not followed: a receiver that moved registers its new URL. */
  #post(url: string, body: string, headers: Record<string, string>): Promise<number> {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.request(
        target,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': Buffer.byteLength(body) },
          lookup: this.#lookup,
          timeout: TIMEOUT_MS,
          agent: false,
        },
        (response) => {
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_RESPONSE_BYTES) response.destroy();
          });
          response.on('close', () => resolve(response.statusCode ?? 0));
          response.on('error', () => resolve(response.statusCode ?? 0));
        },
      );
      request.on('timeout', () => request.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
      request.on('error', (error) =>
        reject(
          (error as { cause?: unknown }).cause instanceof ForbiddenDestination
            ? (error as { cause: Error }).cause
            : error,
        ),
      );
      request.end(body);
    });
  }

  async settled(trx: Executor, attempts: readonly SettledAttempt[]): Promise<void> {
    for (const { message, result, durationMs } of attempts) {
      await insertAttempt(trx, {
        id: newId('att', this.#clock.now()),
        outboxId: message.id,
        endpointId: message.endpointId!,
        statusCode: result.statusCode ?? null,
        error: result.ok ? null : result.error,
        durationMs,
        createdAt: this.#clock.now(),
      });
    }
  }
}
