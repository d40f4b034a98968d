import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalId } from '../access/principal.ts';
import type { Database } from '../db/database.ts';
import type { InstanceKeys } from '../instance/instance-keys.ts';
import { type Clock, DAY } from '../lib/clock.ts';
import { AppError } from '../lib/errors.ts';
import { decrypt, encrypt, sha256 } from '../lib/secrets.ts';
import {
  claimIdempotencyKey,
  completeIdempotencyKey,
  pruneIdempotencyKeys,
} from './idempotency.repository.ts';
import { beginRequestTransaction, endRequestTransaction, requestTransaction } from './request-transaction.ts';

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
 * the first response; the same key with another body answers 422. Responses that say "try
 * again" (429, 5xx) are not kept.
 *
 * The request runs in one transaction that holds the key from the claim to the recorded
 * response: the effect and the answer commit together or not at all. A retry after a crash
 * therefore replays the committed answer or runs a request that never committed; a retry
 * while the first is running waits for it (the key's row is locked) and then replays it.
 * Response bodies are stored sealed (AES-256-GCM): some carry a secret the service otherwise
 * keeps only as a hash (a new API key, an invitation link, a webhook signing secret).
 */
export function registerIdempotency(app: FastifyInstance, deps: IdempotencyDeps) {
  let lastPrune = 0;
  const pruner = async (now: Date) => {
    if (now.getTime() - lastPrune <= PRUNE_EVERY_MS) return;
    lastPrune = now.getTime();
    await pruneIdempotencyKeys(deps.database.db, new Date(now.getTime() - RETENTION_MS));
  };
  app.addHook('preHandler', (request, reply) => claimOrReplay(request, reply, deps, pruner));
  app.addHook('onSend', (request, reply, payload) => completeWithAnswer(request, reply, payload, deps));
  // A request that ended without sending (aborted, or failed before onSend) leaves nothing open.
  app.addHook('onResponse', async () => {
    await endRequestTransaction('rollback');
  });
}

interface IdempotencyDeps {
  database: Database;
  clock: Clock;
  keys: InstanceKeys;
}

/**
 * Before the handler: claims the key in the request's transaction, or answers with the committed
 * reply (a replay), or refuses a key reused for another request.
 */
async function claimOrReplay(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: IdempotencyDeps,
  pruner: (now: Date) => Promise<void>,
) {
  const header = request.headers['idempotency-key'];
  if (typeof header !== 'string' || (request.method !== 'POST' && request.method !== 'PATCH')) return;
  if (!request.principal) return;
  const key = parseKey(header.trim());
  const owner = principalId(request.principal);
  const fingerprint = sha256(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`);
  const now = deps.clock.now();
  await pruner(now);
  const trx = await beginRequestTransaction(deps.database);
  if (!trx) throw new Error('idempotent request outside a request scope');
  let claim: Awaited<ReturnType<typeof claimIdempotencyKey>>;
  try {
    claim = await claimIdempotencyKey(trx, owner, key, fingerprint, now);
  } catch (error) {
    await endRequestTransaction('rollback');
    throw error;
  }
  if (claim.outcome !== 'claimed') await endRequestTransaction('rollback');
  if (claim.outcome === 'mismatch') {
    throw new AppError(
      422,
      'idempotency_key_reused',
      'Idempotency-Key reused',
      'This Idempotency-Key was used with a different request; use a new key for a new request.',
    );
  }
  if (claim.outcome === 'replay') {
    const { statusCode, headers, body } = claim.response;
    for (const [name, value] of Object.entries(headers)) reply.header(name, value);
    reply.header('idempotent-replayed', 'true');
    return reply.code(statusCode).send(isSealed(body) ? decrypt(deps.keys.encryption, body) : body);
  }
  request.idempotency = { owner, key };
}

/** After the handler: stores the sealed answer with the key and commits it with the request's effects. */
async function completeWithAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  deps: IdempotencyDeps,
) {
  const claim = request.idempotency;
  if (!claim) return payload;
  request.idempotency = undefined;
  const trx = requestTransaction();
  if (!trx) return payload;
  const status = reply.statusCode;
  if (status === 429 || status >= 500) {
    await endRequestTransaction('rollback');
    return payload;
  }
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  const body = typeof payload === 'string' ? payload : payload === null ? '' : String(payload);
  try {
    await completeIdempotencyKey(trx, claim.owner, claim.key, {
      statusCode: status,
      headers,
      body: encrypt(deps.keys.encryption, body),
    });
    await endRequestTransaction('commit');
  } catch (error) {
    await endRequestTransaction('rollback').catch(() => {});
    request.log.error({ err: error }, 'idempotent request could not commit');
    // Nothing committed: say so, so the client retries with the same key.
    for (const name of ['location', 'etag', 'content-location']) reply.removeHeader(name);
    reply.code(503).header('retry-after', '1').type('application/problem+json');
    return JSON.stringify({
      type: '/problems/service_unavailable',
      title: 'Service unavailable',
      status: 503,
      code: 'service_unavailable',
      detail: 'The request could not be committed; nothing was changed. Retry with the same Idempotency-Key.',
    });
  }
  return payload;
}

function isSealed(body: string): boolean {
  return body.startsWith('v1.');
}
