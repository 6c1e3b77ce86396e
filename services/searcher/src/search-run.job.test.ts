import { describe, expect, it } from "vitest";
import type { JobContext, WorkerLog } from "@mfnas/queue";
import { createSearchRunHandler } from "./search-run.job.ts";
import type { GenerationWrite, SearchStore, StoredSearch } from "./search-store.ts";

const quiet: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** An in-memory SearchStore: the handler's own port, so its logic is tested without Postgres. */
class MemoryStore implements SearchStore {
  generations: GenerationWrite[] = [];
  search: { -readonly [K in keyof StoredSearch]: StoredSearch[K] };
  onWrite: (index: number) => void = () => undefined;
  constructor(spec: unknown) {
    this.search = { id: "s1", status: "queued", spec, seed: 5, lastGeneration: null };
  }
  getSearch() {
    return Promise.resolve({ ...this.search });
  }
  markRunning() {
    if (this.search.status === "queued") this.search.status = "running";
    return Promise.resolve();
  }
  writeGeneration(g: GenerationWrite) {
    if (!this.generations.some((x) => x.index === g.index)) this.generations.push(g);
    this.search.lastGeneration = g.index;
    this.onWrite(g.index);
    return Promise.resolve();
  }
  finish(_id: string, outcome: { status: "succeeded" | "failed" | "cancelled"; error?: string }) {
    if (this.search.status === "queued" || this.search.status === "running") this.search.status = outcome.status;
    return Promise.resolve();
  }
}

function context(signal = new AbortController().signal): JobContext<"search.run"> {
  return { payload: { searchId: "s1" }, jobId: "j", attemptsMade: 0, signal, progress: () => Promise.resolve() };
}

const spec = { name: "t", seed: 5, budget: { generations: 4, population: 6 } };

describe("search.run handler", () => {
  it("draws the same generations whether it runs straight through or resumes", async () => {
    const straight = new MemoryStore(spec);
    await createSearchRunHandler({ store: straight, log: quiet })(context());
    const resumed = new MemoryStore(spec);
    resumed.search.lastGeneration = 1;
    resumed.search.status = "running";
    await createSearchRunHandler({ store: resumed, log: quiet })(context());
    expect(straight.search.status).toBe("succeeded");
    expect(resumed.generations.map((g) => g.index)).toEqual([2, 3]);
    for (const g of resumed.generations) {
      const twin = straight.generations.find((x) => x.index === g.index);
      expect(g.members.map((m) => m.hash)).toEqual(twin?.members.map((m) => m.hash));
    }
  });

  it("stops before the next generation once the search is cancelled", async () => {
    const store = new MemoryStore(spec);
    store.onWrite = (index) => {
      if (index === 1) store.search.status = "cancelled";
    };
    const result = await createSearchRunHandler({ store, log: quiet })(context());
    expect(result).toEqual({ generations: 2 });
    expect(store.generations).toHaveLength(2);
    expect(store.search.status).toBe("cancelled");
  });

  it("marks a search with an invalid stored spec failed, naming the field, and fails permanently", async () => {
    const store = new MemoryStore({ name: "t", budget: { generations: 0, population: 6 } });
    await expect(createSearchRunHandler({ store, log: quiet })(context())).rejects.toMatchObject({
      code: "invalid_input",
    });
    expect(store.search.status).toBe("failed");
  });

  it("does nothing for a search that already finished", async () => {
    const store = new MemoryStore(spec);
    store.search.status = "succeeded";
    store.search.lastGeneration = 3;
    expect(await createSearchRunHandler({ store, log: quiet })(context())).toEqual({ generations: 4 });
    expect(store.generations).toEqual([]);
  });
});
