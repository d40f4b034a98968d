import type { UserRecord } from '../access/user-record.ts';
import type { Executor } from '../db/database.ts';
import { type MemoAt, VersionedMemo } from '../lib/versioned-memo.ts';
import { type ApiKeyRecord, findApiKeyAndUserBySecretHash, readEpochs } from './api-key.repository.ts';

export interface CachedKey {
  key: ApiKeyRecord;
  user: UserRecord;
  /** What this key's user may do in the organizations it named, kept while the access epoch holds. */
  organizations: VersionedMemo<unknown>;
}

/** A key found, with its organization access as of the access epoch this request read. */
export interface FoundKey {
  key: ApiKeyRecord;
  user: UserRecord;
  organizations: MemoAt<unknown>;
}

const DEFAULT_SIZE = 10_000;
/** Organizations remembered per key: a key is usually used in one or a few. */
const ORGANIZATIONS_PER_KEY = 16;

/**
 * API keys and their users by secret hash, valid while the auth epoch (migration 011) has not
 * moved. Every lookup reads the epoch first: a key revoked, or a user changed, by this process
 * or any other sharing the database, is refused by the very next request. Bounded (least
 * recently used out); unknown secrets are never cached, so guessing cannot fill it. Each key
 * also carries its user's organization access, valid while the access epoch (migration 015),
 * read in the same statement, has not moved.
 */
export class PrincipalCache {
  readonly #entries = new Map<string, CachedKey>();
  readonly #size: number;
  #epoch = -1;

  constructor(size = DEFAULT_SIZE) {
    this.#size = size;
  }

  /**
   * A hit costs one read of the epochs; a miss one lookup, which reads the epochs with the key.
   * `onMiss` runs before the database is asked (it may throw to refuse without a lookup).
   */
  async find(db: Executor, secretHash: string, onMiss: () => void): Promise<FoundKey | undefined> {
    const hit = this.#entries.get(secretHash);
    if (hit) {
      const epochs = await readEpochs(db);
      if (epochs.auth === this.#epoch) {
        this.#entries.delete(secretHash);
        this.#entries.set(secretHash, hit);
        return { key: hit.key, user: hit.user, organizations: hit.organizations.at(epochs.access) };
      }
      this.#reset(epochs.auth);
    }
    onMiss();
    const found = await findApiKeyAndUserBySecretHash(db, secretHash);
    if (!found) return undefined;
    const entry: CachedKey = {
      key: Object.freeze(found.key),
      user: Object.freeze(found.user),
      organizations: new VersionedMemo(ORGANIZATIONS_PER_KEY),
    };
    const result = {
      key: entry.key,
      user: entry.user,
      organizations: entry.organizations.at(found.epochs.access),
    };
    // Older than what this process has seen (a read racing a change): valid now, not to keep.
    if (found.epochs.auth < this.#epoch) return result;
    if (found.epochs.auth > this.#epoch) this.#reset(found.epochs.auth);
    this.#entries.set(secretHash, entry);
    if (this.#entries.size > this.#size) this.#entries.delete(this.#entries.keys().next().value!);
    return result;
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
