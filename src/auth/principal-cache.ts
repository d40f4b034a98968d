import type { UserRecord } from '../access/user-record.ts';
import type { Executor } from '../db/database.ts';
import { type ApiKeyRecord, findApiKeyAndUserBySecretHash, readAuthEpoch } from './api-key.repository.ts';

export interface CachedKey {
  key: ApiKeyRecord;
  user: UserRecord;
}

const DEFAULT_SIZE = 10_000;

/**
 * API keys and their users by secret hash, valid while the auth epoch (migration 011) has not
 * moved. Every lookup reads the epoch first: a key revoked, or a user changed, by this process
 * or any other sharing the database, is refused by the very next request. Bounded (least
 * recently used out); unknown secrets are never cached, so guessing cannot fill it.
 */
export class PrincipalCache {
  readonly #entries = new Map<string, CachedKey>();
  readonly #size: number;
  #epoch = -1;

  constructor(size = DEFAULT_SIZE) {
    this.#size = size;
  }

  /**
   * A hit costs one read of the epoch; a miss one lookup, which reads the epoch with the key.
   * `onMiss` runs before the database is asked (it may throw to refuse without a lookup).
   */
  async find(db: Executor, secretHash: string, onMiss: () => void): Promise<CachedKey | undefined> {
    const hit = this.#entries.get(secretHash);
    if (hit) {
      const epoch = await readAuthEpoch(db);
      if (epoch === this.#epoch) {
        this.#entries.delete(secretHash);
        this.#entries.set(secretHash, hit);
        return hit;
      }
      this.#reset(epoch);
    }
    onMiss();
    const found = await findApiKeyAndUserBySecretHash(db, secretHash);
    if (!found) return undefined;
    const entry = { key: Object.freeze(found.key), user: Object.freeze(found.user) };
    // Older than what this process has seen (a read racing a change): valid now, not to keep.
    if (found.epoch < this.#epoch) return entry;
    if (found.epoch > this.#epoch) this.#reset(found.epoch);
    this.#entries.set(secretHash, entry);
    if (this.#entries.size > this.#size) this.#entries.delete(this.#entries.keys().next().value!);
    return entry;
  }

  #reset(epoch: number): void {
    this.#entries.clear();
    this.#epoch = epoch;
  }

  /** After `last_used_at` was written (it does not move the epoch). */
  touched(secretHash: string, at: Date): void {
    const entry = this.#entries.get(secretHash);
    if (entry)
      this.#entries.set(secretHash, { ...entry, key: Object.freeze({ ...entry.key, lastUsedAt: at }) });
  }
}
