import { describe, expect, it } from "vitest";
import { LruCache } from "./lru-cache.ts";

const bytesOf = (value: { bytes: number }) => value.bytes;

describe("byte-bounded LRU cache", () => {
  it("evicts the least recently used entries once the byte bound is exceeded", async () => {
    const cache = new LruCache<string, { bytes: number }>(100, bytesOf);
    await cache.get("a", () => Promise.resolve({ bytes: 40 }));
    await cache.get("b", () => Promise.resolve({ bytes: 40 }));
    await cache.get("a", () => Promise.reject(new Error("must come from the cache")));
    await cache.get("c", () => Promise.resolve({ bytes: 40 }));
    expect([cache.has("a"), cache.has("b"), cache.has("c")]).toEqual([true, false, true]);
    expect(cache.bytes).toBe(80);
  });

  it("shares one load between concurrent requests", async () => {
    const cache = new LruCache<number, { bytes: number }>(100, bytesOf);
    let loads = 0;
    const load = () => {
      loads += 1;
      return Promise.resolve({ bytes: 1 });
    };
    const [x, y] = await Promise.all([cache.get(1, load), cache.get(1, load)]);
    expect(loads).toBe(1);
    expect(x).toBe(y);
  });

  it("forgets failed loads so that the next request retries", async () => {
    const cache = new LruCache<number, { bytes: number }>(100, bytesOf);
    await expect(cache.get(1, () => Promise.reject(new Error("disk hiccup")))).rejects.toThrow("disk hiccup");
    await Promise.resolve();
    expect(cache.has(1)).toBe(false);
    await expect(cache.get(1, () => Promise.resolve({ bytes: 5 }))).resolves.toEqual({ bytes: 5 });
  });

  it("does not keep a value larger than the whole bound, but still returns it", async () => {
    const cache = new LruCache<number, { bytes: number }>(10, bytesOf);
    await cache.get(1, () => Promise.resolve({ bytes: 4 }));
    await expect(cache.get(2, () => Promise.resolve({ bytes: 50 }))).resolves.toEqual({ bytes: 50 });
    expect([cache.has(1), cache.has(2), cache.bytes]).toEqual([true, false, 4]);
  });
});
