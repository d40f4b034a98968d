/** What one request may read from and add to a VersionedMemo: values of the version it read. */
export interface MemoAt<T> {
  get(key: string): T | undefined;
  set(key: string, value: T): void;
}

/**
 * Values that stay valid while a version counter stays where it was when they were read (the
 * access epoch of migration 015). A lookup at the version held reads; a value read at any other
 * version replaces everything held — newer because the counter moved, older because a request
 * read before a move and finished after it (a value read after its version was read is at least
 * as new as that version, so it is never older than what the version stands for), or because the
 * counter was set back (a restored backup). Bounded, least recently used out.
 */
export class VersionedMemo<T> {
  readonly #entries = new Map<string, T>();
  readonly #size: number;
  #version = -1;

  constructor(size: number) {
    this.#size = size;
  }

  at(version: number): MemoAt<T> {
    return {
      get: (key) => {
        if (version !== this.#version) return undefined;
        const value = this.#entries.get(key);
        if (value !== undefined) {
          this.#entries.delete(key);
          this.#entries.set(key, value);
        }
        return value;
      },
      set: (key, value) => {
        if (version !== this.#version) {
          this.#entries.clear();
          this.#version = version;
        }
        this.#entries.set(key, value);
        if (this.#entries.size > this.#size) this.#entries.delete(this.#entries.keys().next().value!);
      },
    };
  }
}
