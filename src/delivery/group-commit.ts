interface Entry<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Commits items handed in close together in one go: an item waits at most `waitMs` for others,
 * or none when the caller says nothing else is coming. Commits run one after another; each
 * item's promise settles with its group's commit.
 */
export class GroupCommit<T> {
  readonly #commit: (items: T[]) => Promise<void>;
  readonly #waitMs: number;
  #queue: Entry<T>[] = [];
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();

  constructor(commit: (items: T[]) => Promise<void>, waitMs: number) {
    this.#commit = commit;
    this.#waitMs = waitMs;
  }

  add(item: T, now: boolean): Promise<void> {
    const committed = new Promise<void>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
    });
    if (now) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.#waitMs);
    return committed;
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const group = this.#queue;
    if (group.length === 0) return;
    this.#queue = [];
    this.#chain = this.#chain
      .then(() => this.#commit(group.map((entry) => entry.item)))
      .then(
        () => {
          for (const entry of group) entry.resolve();
        },
        (error: unknown) => {
          for (const entry of group) entry.reject(error);
        },
      );
  }
}
