import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { DEFAULT_SEARCH_SPACE, narrowSpace } from "@mfnas/core";
import { MfaSupernet } from "@mfnas/model";
import { beforeAll, describe, expect, it } from "vitest";
import { SupernetCache } from "./supernet-cache.ts";

const SPACE = narrowSpace(DEFAULT_SEARCH_SPACE, { trunkWidths: [4], branchWidths: [2], depth: { min: 1, max: 1 } });

beforeAll(() => tf.setBackend("cpu"));

describe("SupernetCache", () => {
  it("loads each key once, and disposes the least recently used only when no job holds it", async () => {
    const cache = new SupernetCache(1);
    let loads = 0;
    const load = () => {
      loads += 1;
      return Promise.resolve(new MfaSupernet(tf, SPACE));
    };
    const a1 = await cache.acquire("a", load);
    const a2 = await cache.acquire("a", load);
    expect(loads).toBe(1);
    expect(a2.supernet).toBe(a1.supernet);

    const b = await cache.acquire("b", load); // over capacity: "a" goes, but two jobs still hold it
    expect(cache.size).toBe(1);
    a1.release();
    expect(a1.supernet.params.disposed).toBe(false);
    a2.release();
    a2.release(); // a second release of one lease counts once
    expect(a1.supernet.params.disposed).toBe(true);

    b.release();
    expect(b.supernet.params.disposed).toBe(false); // still cached
    cache.clear();
    await Promise.resolve();
    expect(b.supernet.params.disposed).toBe(true);
  });

  it("keeps no failed load, so the next job tries again", async () => {
    const cache = new SupernetCache(2);
    await expect(cache.acquire("a", () => Promise.reject(new Error("artifact missing")))).rejects.toThrow(/missing/);
    expect(cache.size).toBe(0);
    const lease = await cache.acquire("a", () => Promise.resolve(new MfaSupernet(tf, SPACE)));
    expect(lease.supernet.params.disposed).toBe(false);
    lease.release();
    cache.clear();
  });
});
