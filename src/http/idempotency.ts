import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalId } from '../auth/principal.ts';
import type { Database } from '../db/database.ts';
import { type Clock, DAY } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { sha256 } from '../lib/secrets.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  pruneIdempotencyKeys,
  releaseIdempotencyKey,
} from './idempotency.repository.ts';

const REPLAYED_HEADERS = ['location', 'etag', 'content-type'];
const RETENTION_MS = DAY;
const PRUNE_EVERY_MS = 10 * 60_000;

/** Accepts the Structured-Field string form (`"abc"`) and the bare form (`abc`). */
function parseKey(header: string): string {
  const bare =
    header.startsWith('"') && header.endsWith('"') && header.length >= 2 ? header.slice(1, -1) : header;
  if (!/^[\x21-\x7e]{1,255}$/.test(bare)) {
    throw new AppError(
      400,
      'invalid_idempotency_key',
      'Invalid Idempotency-Key',
      'Idempotency-Key must be 1 to 255 visible ASCII characters, such as a UUID.',
    );
  }
  return bare;
}

/**
 * `Idempotency-Key` on every POST and PATCH, per principal, kept 24 hours. A replay returns
 * the first response; the same key with another body answers 422; a retry while the first is
 * still running answers 409. Responses that say "try again" (429, 5xx) are not kept.
 */
export function registerIdempotency(app: FastifyInstance, deps: { database: Database; clock: Clock }) {
  let lastPrune = 0;
  app.addHook('preHandler', async (request: FastifyRequest, reply: FastifyReply) => {
    const header = request.headers['idempotency-key'];
    if (typeof header !== 'string' || (request.method !== 'POST' && request.method !== 'PATCH')) return;
    if (!request.principal) return;
    const key = parseKey(header.trim());
    const owner = principalId(request.principal);
    const fingerprint = sha256(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`);
    const now = deps.clock.now();
    if (now.getTime() - lastPrune > PRUNE_EVERY_MS) {
      lastPrune = now.getTime();
      await pruneIdempotencyKeys(deps.database.db, new Date(now.getTime() - RETENTION_MS));
    }
    const claim = await claimIdempotencyKey(deps.database.db, owner, key, fingerprint, now);
    if (claim.outcome === 'mismatch') {
      throw new AppError(
        422,
        'idempotency_key_reused',
        'Idempotency-Key reused',
        'This Idempotency-Key was used with a different request; use a new key for a new request.',
      );
    }
    if (claim.outcome === 'in_flight') {
      throw new AppError(
        409,
        'idempotency_request_in_flight',
        'Request in flight',
        'A request with this Idempotency-Key is still being processed; retry shortly.',
        { headers: { 'retry-after': '1' } },
      );
    }
    if (claim.outcome === 'replay') {
      const { statusCode, headers, body } = claim.response;
      for (const [name, value] of Object.entries(headers)) reply.header(name, value);
      reply.header('idempotent-replayed', 'true');
      return reply.code(statusCode).send(body);
    }
    request.idempotency = { owner, key };
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotency;
    if (!claim) return payload;
    request.idempotency = undefined;
    const status = reply.statusCode;
    if (status === 429 || status >= 500) {
      await releaseIdempotencyKey(deps.database.db, claim.owner, claim.key);
      return payload;
    }
    const headers: Record<string, string> = {};
    for (const name of REPLAYED_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    const body = typeof payload === 'string' ? payload : payload === null ? '' : String(payload);
    await completeIdempotencyKey(deps.database.db, claim.owner, claim.key, {
      statusCode: status,
      headers,
      body,
    });
    return payload;
  });
}
