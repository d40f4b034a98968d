import type { Principal, Scope } from '../access/principal.ts';
import type { Database } from '../db/database.ts';
import { recordAudit } from '../events/event.recorder.ts';
import type { Clock } from '../lib/clock.ts';
import { AppError, notFound } from '../lib/errors.ts';
import { newId } from '../lib/ids.ts';
import { API_KEY_PREFIX, newTypedSecret, sha256 } from '../lib/secrets.ts';
import {
  type ApiKeyRecord,
  findApiKey,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
} from './api-key.repository.ts';

export interface CreatedApiKey {
  key: ApiKeyRecord;
  secret: string;
}

export class ApiKeyService {
  readonly #database: Database;
  readonly #clock: Clock;
  constructor(deps: { database: Database; clock: Clock }) {
    this.#database = deps.database;
    this.#clock = deps.clock;
  }

  /** Creates a key for a user. A key never holds a scope its creator's key lacks. */
  async create(
    principal: Principal | null,
    userId: string,
    input: { name: string; scopes?: Scope[] | undefined; expireTime?: string | undefined },
  ): Promise<CreatedApiKey> {
    const now = this.#clock.now();
    let scopes: ApiKeyRecord['scopes'] = input.scopes ? [...new Set(input.scopes)] : ['*'];
    if (principal && principal.scopes !== 'all') {
      const held = principal.scopes;
      if (scopes[0] === '*') scopes = [...held];
      const missing = (scopes as Scope[]).filter((scope) => !held.has(scope));
      if (missing.length > 0) {
        throw new AppError(
          403,
          'scope_not_held',
          'Scope not held',
          'A key cannot grant scopes its creator lacks.',
          {
            extras: { scopes: missing },
          },
        );
      }
    }
    const expiresAt = input.expireTime ? new Date(input.expireTime) : null;
    if (expiresAt && expiresAt <= now) {
      throw new AppError(
        422,
        'expire_time_in_past',
        'Expiry in the past',
        'expire_time must be in the future.',
        {
          extras: { errors: [{ pointer: '/body/expire_time', detail: 'must be in the future' }] },
        },
      );
    }
    const secret = newTypedSecret(API_KEY_PREFIX);
    const key: ApiKeyRecord = {
      id: newId('key', now),
      userId,
      name: input.name,
      secretHash: sha256(secret),
      secretHint: secret.slice(0, API_KEY_PREFIX.length + 4),
      scopes,
      createdAt: now,
      expiresAt,
      lastUsedAt: null,
      revokedAt: null,
    };
    await this.#database.db.transaction().execute(async (trx) => {
      await insertApiKey(trx, key);
      await recordAudit(trx, {
        type: 'api_key.created',
        organizationId: null,
        subject: { type: 'api_key', id: key.id },
        actor: principal,
        now,
        data: { user_id: userId, name: key.name, scopes: key.scopes },
      });
    });
    return { key, secret };
  }

  list(principal: Principal, options: { afterId?: string | undefined; limit: number }) {
    return listApiKeys(this.#database.db, { userId: principal.user.id, ...options });
  }

  /** Revokes one of the caller's keys; revoking twice answers 409, another user's key 404. */
  async revoke(principal: Principal, id: string): Promise<ApiKeyRecord> {
    const key = await findApiKey(this.#database.db, id);
    if (!key || key.userId !== principal.user.id) throw notFound('api key');
    const now = this.#clock.now();
    const revoked = await this.#database.db.transaction().execute(async (trx) => {
      const done = await revokeApiKey(trx, id, now);
      if (done) {
        await recordAudit(trx, {
          type: 'api_key.revoked',
          organizationId: null,
          subject: { type: 'api_key', id },
          actor: principal,
          now,
          data: { user_id: key.userId, name: key.name },
        });
      }
      return done;
    });
    if (!revoked) {
      throw new AppError(
        409,
        'api_key_already_revoked',
        'Already revoked',
        'The API key was already revoked.',
      );
    }
    return (await findApiKey(this.#database.db, id))!;
  }
}
