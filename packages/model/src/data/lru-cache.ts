/**
 * A byte-bounded LRU cache of asynchronously loaded values. Decoded images are large (a DIV2K HR image is ~33 MB as
 * float32), so the bound is in bytes, not entries. Concurrent requests for one key share a single load, and a failed
 * load is forgotten so that the next request retries it.
 */
export class LruCache<K, V> {
  readonly #maxBytes: number;
  readonly #sizeOf: (value: V) => number;
  // Map iteration order is insertion order: re-inserting on access keeps the least recently used entry first.
  readonly #entries = new Map<K, { promise: Promise<V>; bytes: number }>();
  #bytes = 0;

  constructor(maxBytes: number, sizeOf: (value: V) => number) {
    this.#maxBytes = maxBytes;
    this.#sizeOf = sizeOf;
  }

  /** Bytes held by settled entries. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Entries held, loading ones included. */
  get size(): number {
    return this.#entries.size;
  }

  has(key: K): boolean {
    return this.#entries.has(key);
  }

  /** The cached value for `key`, or the result of `load()`, which is then cached if it fits. */
  get(key: K, load: () => Promise<V>): Promise<V> {
    const hit = this.#entries.get(key);
    if (hit) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.promise;
    }
    const entry = { promise: load(), bytes: 0 };
    this.#entries.set(key, entry);
    entry.promise.then(
      (value) => {
        if (this.#entries.get(key) !== entry) return;
        entry.bytes = this.#sizeOf(value);
        this.#bytes += entry.bytes;
        this.#evict(key);
      },
      () => {
        if (this.#entries.get(key) === entry) this.#entries.delete(key);
      },
    );
    return entry.promise;
  }

  /** Drops settled entries, oldest first, until the bound holds; a value bigger than the whole bound is not kept. */
  #evict(loaded: K): void {
    const fresh = this.#entries.get(loaded);
    if (fresh && fresh.bytes > this.#maxBytes) {
      this.#entries.delete(loaded);
      this.#bytes -= fresh.bytes;
      return;
    }
    for (const [key, entry] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) return;
      if (key === loaded || entry.bytes === 0) continue;
      this.#entries.delete(key);
      this.#bytes -= entry.bytes;
    }
  }
}
