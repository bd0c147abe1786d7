/**
 * Consul-style blocking queries: a caller waits until a key's index moves past the one it saw, or
 * until its timeout, and always gets the current index back.
 */

interface Waiter {
  resolve: (index: number) => void;
  timer: NodeJS.Timeout;
}

/** Parked queries by key. */
export class BlockingQueries {
  private readonly waiters = new Map<string, Set<Waiter>>();

  /**
   * Resolves with `indexOf()` once {@link notify} is called for `key`, or after `timeoutMs`.
   * The caller has already checked that the index has not moved.
   */
  wait(key: string, timeoutMs: number, indexOf: () => number): Promise<number> {
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const waiter: Waiter = {
        resolve,
        timer: setTimeout(() => {
          set.delete(waiter);
          resolve(indexOf());
        }, timeoutMs),
      };
      set.add(waiter);
    });
  }

  /** `key` moved to `index`: every query parked on it returns. */
  notify(key: string, index: number): void {
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    for (const w of set) {
      clearTimeout(w.timer);
      w.resolve(index);
    }
  }

  /** Releases every parked query with `index`. */
  close(index: number): void {
    for (const key of [...this.waiters.keys()]) this.notify(key, index);
  }
}
