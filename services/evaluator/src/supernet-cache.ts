/**
 * Decoded supernets kept across jobs, keyed by (supernet, checkpoint step): a search evaluates hundreds of genomes
 * against one checkpoint, and reading and decoding it each time would cost more than many evaluations. At most
 * `capacity` are kept; the least recently used goes first, and is disposed once no running job holds it.
 */
import type { MfaSupernet } from "@mfnas/model";

interface Entry {
  readonly supernet: Promise<MfaSupernet>;
  holders: number;
  evicted: boolean;
}

export interface SupernetLease {
  readonly supernet: MfaSupernet;
  release(): void;
}

export class SupernetCache {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly capacity: number) {}

  /** The supernet for `key`, loaded by `load` if it is not held; call `release` when done with it. */
  async acquire(key: string, load: () => Promise<MfaSupernet>): Promise<SupernetLease> {
    let entry = this.#entries.get(key);
    if (entry) {
      this.#entries.delete(key); // re-inserted below: Map order is recency order
    } else {
      entry = { supernet: load(), holders: 0, evicted: false };
    }
    this.#entries.set(key, entry);
    entry.holders += 1;
    let supernet: MfaSupernet;
    try {
      supernet = await entry.supernet;
    } catch (error) {
      // A failed load is not kept, so the next job tries again (the artifact may be restored).
      entry.holders -= 1;
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
      throw error;
    }
    this.#evictBeyondCapacity();
    let released = false;
    const held = entry;
    return {
      supernet,
      release: () => {
        if (released) return;
        released = true;
        held.holders -= 1;
        if (held.evicted && held.holders === 0) supernet.dispose();
      },
    };
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Disposes every supernet no job holds; the rest go when released. */
  clear(): void {
    for (const key of [...this.#entries.keys()]) this.#evict(key);
  }

  #evictBeyondCapacity(): void {
    for (const key of this.#entries.keys()) {
      if (this.#entries.size <= this.capacity) return;
      this.#evict(key);
    }
  }

  #evict(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    entry.evicted = true;
    if (entry.holders === 0) void entry.supernet.then((s) => s.dispose()).catch(() => undefined);
  }
}
