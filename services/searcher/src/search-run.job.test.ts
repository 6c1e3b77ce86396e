import { describe, expect, it } from "vitest";
import {
  DEFAULT_SEARCH_SPACE,
  createRng,
  genomeCost,
  narrowSpace,
  sampleGenome,
  type SearchSpaceOverride,
  kernelFigures,
} from "@mfnas/core";
import { profilingPlan } from "@mfnas/latency";
import type { JobContext, WorkerLog } from "@mfnas/queue";
import { ActiveLatencySource, type PredictorBook } from "./adapters/active.latency-source.ts";
import { createSearchRunHandler, type SearchRunResources } from "./search-run.job.ts";
import type {
  CandidateGenome,
  GenerationWrite,
  Latency,
  LatencyRequest,
  LatencySource,
  Quality,
  QualityRequest,
  QualitySource,
  SearchStore,
  StoredSearch,
} from "./ports.ts";

const quiet: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const SUPERNET = "3f1c2b4e-8d7a-4c1e-9b2f-5a6d7e8f9012";
/** The space the supernet was trained on, as its row stores it (an override of the default space). */
const SUPERNET_SPACE = { trunkWidths: [16, 24, 32], depth: { min: 1, max: 3 }, branchWidths: [8, 16], scales: [4] };

/** An in-memory SearchStore: the handler's own port, so its logic is tested without Postgres. */
class MemoryStore implements SearchStore {
  generations: GenerationWrite[] = [];
  architectures = new Set<string>();
  search: { -readonly [K in keyof StoredSearch]: StoredSearch[K] };
  finished: { status: string; error?: string; result?: unknown } | undefined;
  onWrite: (index: number) => void = () => undefined;
  constructor(spec: unknown) {
    this.search = { id: "s1", status: "queued", spec, seed: 5, lastGeneration: null, startedAt: null };
  }
  getSearch() {
    return Promise.resolve({ ...this.search });
  }
  markRunning() {
    if (this.search.status === "queued") this.search.status = "running";
    this.search.startedAt ??= new Date();
    return Promise.resolve();
  }
  generationState(_id: string, index: number) {
    return Promise.resolve(structuredClone(this.generations.find((g) => g.index === index)?.state ?? null));
  }
  supernetSpace() {
    return Promise.resolve(SUPERNET_SPACE);
  }
  latestCheckpointStep() {
    return Promise.resolve(40);
  }
  ensureArchitectures(genomes: readonly CandidateGenome[]) {
    for (const g of genomes) this.architectures.add(g.hash);
    return Promise.resolve();
  }
  writeGeneration(g: GenerationWrite) {
    if (!this.generations.some((x) => x.index === g.index)) this.generations.push(structuredClone(g));
    this.search.lastGeneration = g.index;
    this.onWrite(g.index);
    return Promise.resolve();
  }
  finish(_id: string, outcome: { status: "succeeded" | "failed" | "cancelled"; error?: string; result?: unknown }) {
    if (this.search.status === "queued" || this.search.status === "running") this.search.status = outcome.status;
    this.finished = outcome;
    return Promise.resolve();
  }
}

/** Quality that grows with capacity, cached by genome hash like the evaluator's table; counts real evaluations. */
class MemoryQuality implements QualitySource {
  readonly cache = new Map<string, Quality>();
  evaluated = 0;
  failing = new Set<string>();
  /** Every evaluation fails for good with this message (a corrupt checkpoint, an unknown validation set). */
  failAll: string | undefined;
  evaluate(request: QualityRequest): Promise<Map<string, Quality | Error>> {
    const out = new Map<string, Quality | Error>();
    for (const g of request.genomes) {
      if (this.failAll !== undefined) {
        out.set(g.hash, new Error(this.failAll.replace("<set>", request.validationSet)));
        continue;
      }
      if (this.failing.has(g.hash)) {
        out.set(g.hash, new Error("evaluation failed for good"));
        continue;
      }
      let q = this.cache.get(g.hash);
      if (!q) {
        this.evaluated++;
        q = { psnr: 20 + 2 * Math.log10(g.cost.params), ssim: 0.5 };
        this.cache.set(g.hash, q);
      }
      out.set(g.hash, q);
    }
    return Promise.resolve(out);
  }
}

/** Latency proportional to MACs, cached by architecture like the Measurement table; counts new measurements. */
class MemoryLatency implements LatencySource {
  readonly cache = new Map<string, Latency>();
  newMeasurements = 0;
  requests: LatencyRequest[] = [];
  measure(request: LatencyRequest): Promise<Map<string, Latency | Error>> {
    this.requests.push(request);
    const out = new Map<string, Latency | Error>();
    for (const g of request.genomes) {
      const key = `${request.tag ?? ""}/${g.hash}`;
      let l = this.cache.get(key);
      if (!l) {
        this.newMeasurements++;
        l = { medianMs: g.cost.macs / 1e7, minMs: g.cost.macs / 1.1e7, peakMemoryMb: null, measurementId: `m-${key}` };
        this.cache.set(key, l);
      }
      out.set(g.hash, l);
    }
    return Promise.resolve(out);
  }
}

function context(signal = new AbortController().signal, attemptsMade = 0): JobContext<"search.run"> {
  return { payload: { searchId: "s1" }, jobId: "j", attemptsMade, signal, progress: () => Promise.resolve() };
}

const costOnly = { name: "t", seed: 5, budget: { generations: 4, population: 6 } };
const hardware = {
  name: "hw",
  supernet: { id: SUPERNET },
  space: { trunkWidths: [16, 24, 32], depth: { min: 1, max: 3 } },
  targets: [{ deviceClass: "host-cpu", input: { height: 32, width: 32 }, maxLatencyMs: 40 }],
  budget: { generations: 5, population: 8 },
};

function run(store: MemoryStore, extra: Partial<SearchRunResources> = {}, signal?: AbortSignal, attemptsMade = 0) {
  return createSearchRunHandler({ store, log: quiet, cancelPollMs: 5, ...extra })(context(signal, attemptsMade));
}

describe("search.run handler", () => {
  it("runs NSGA-II generation by generation, writing each generation once with its front and state", async () => {
    const store = new MemoryStore(costOnly);
    expect(await run(store)).toEqual({ generations: 4 });
    expect(store.search.status).toBe("succeeded");
    expect(store.generations.map((g) => g.index)).toEqual([0, 1, 2, 3]);
    for (const g of store.generations) {
      expect(g.population).toHaveLength(6);
      expect(g.front.length).toBeGreaterThan(0);
      expect(g.hypervolume).toBeGreaterThan(0);
      for (const hash of g.front) expect(g.population.find((p) => p.hash === hash)?.rank).toBe(0);
    }
    expect(store.finished?.result).toMatchObject({ axes: [{ name: "macs" }, { name: "memory" }] });
  });

  it("resumes after the last stored generation exactly as an uninterrupted run, re-evaluating nothing", async () => {
    const straightQuality = new MemoryQuality();
    const straight = new MemoryStore(hardware);
    await run(straight, { quality: straightQuality, latency: new MemoryLatency() });

    const quality = new MemoryQuality();
    const latency = new MemoryLatency();
    const crashed = new MemoryStore(hardware);
    const abort = new AbortController();
    crashed.onWrite = (index) => {
      if (index === 2) abort.abort();
    };
    await expect(run(crashed, { quality, latency }, abort.signal)).rejects.toThrow();
    crashed.onWrite = () => undefined;
    await run(crashed, { quality, latency });

    expect(crashed.search.status).toBe("succeeded");
    expect(crashed.generations.map((g) => g.index)).toEqual([0, 1, 2, 3, 4]);
    crashed.generations.forEach((g, i) => {
      const twin = straight.generations[i];
      expect(g.candidates.map((c) => c.hash)).toEqual(twin?.candidates.map((c) => c.hash));
      expect(g.front).toEqual(twin?.front);
      expect(g.hypervolume).toBe(twin?.hypervolume);
    });
    expect(quality.evaluated).toBe(straightQuality.evaluated);
  });

  it("keeps constraint violators and failed candidates out of the front, and re-measures the final set", async () => {
    const quality = new MemoryQuality();
    const latency = new MemoryLatency();
    const store = new MemoryStore(hardware);
    const first = new MemoryStore(hardware);
    await run(first, { quality: new MemoryQuality(), latency: new MemoryLatency() });
    const doomed = first.generations[0]?.candidates[0]?.hash ?? "";
    quality.failing.add(doomed);
    await run(store, { quality, latency });

    const all = store.generations.flatMap((g) => g.candidates);
    const failed = all.find((c) => c.hash === doomed);
    expect(failed?.error).toMatch(/evaluation failed for good/);
    expect(failed?.quality).toBeNull();
    for (const g of store.generations) {
      expect(g.front).not.toContain(doomed);
      for (const hash of g.front) {
        const member = all.find((c) => c.hash === hash);
        expect(member?.violation).toBe(0);
        expect(member?.measured["host-cpu"]?.medianMs).toBeLessThanOrEqual(40);
      }
    }
    const result = store.finished?.result as { front: { hash: string; latency: Record<string, unknown> }[] };
    expect(result.front.map((m) => m.hash)).toEqual(store.generations.at(-1)?.front);
    // No exporter is connected here, so nothing is exported and nothing is re-measured.
    expect(latency.requests.every((r) => r.tag === undefined)).toBe(true);
  });

  it("searches memory traffic as an objective under a memory-traffic limit, keeping the front within it", async () => {
    // A limit between the space's cheapest and dearest SubGenerators, so that it binds.
    const space = narrowSpace(DEFAULT_SEARCH_SPACE, hardware.space);
    const trafficMb = (genome: Parameters<typeof genomeCost>[0]) => genomeCost(genome, 64, 64).memoryTrafficBytes / 1e6;
    const rng = createRng(3);
    const sampled = Array.from({ length: 200 }, () => trafficMb(sampleGenome(space, rng)));
    const limit = (Math.min(...sampled) + Math.max(...sampled)) / 2;
    const spec = { ...hardware, objectives: ["psnr", "traffic"], constraints: { maxMemoryTrafficMb: limit } };
    const store = new MemoryStore(spec);
    await run(store, { quality: new MemoryQuality(), latency: new MemoryLatency() });

    expect(store.search.status).toBe("succeeded");
    const result = store.finished?.result as {
      axes: { name: string; unit: string }[];
      front: { hash: string; objectives: number[]; memoryTrafficBytes: number; peakActivationBytes: number }[];
    };
    expect(result.axes).toEqual([
      { name: "psnr", unit: "dB", negated: true },
      { name: "traffic", unit: "MB", negated: false },
    ]);
    expect(result.front.length).toBeGreaterThan(0);
    // The hypervolume is measured up to the limit on the traffic axis, as up to a latency limit on a latency axis.
    expect((store.finished?.result as { reference: number[] }).reference[1]).toBe(limit);
    const all = store.generations.flatMap((g) => g.candidates);
    for (const member of result.front) {
      const candidate = all.find((c) => c.hash === member.hash);
      const cost = candidate?.cost;
      expect(member.memoryTrafficBytes).toBe(cost?.memoryTrafficBytes);
      expect(member.peakActivationBytes).toBe(cost?.peakActivationBytes);
      expect(member.objectives[1]).toBeCloseTo(member.memoryTrafficBytes / 1e6, 9);
      expect(member.objectives[1]).toBeLessThanOrEqual(limit);
    }
    // Whatever the breeding let through above the limit is marked infeasible, by how far it is over.
    for (const c of all.filter((x) => x.cost.memoryTrafficBytes / 1e6 > limit)) {
      expect(c.violation).toBeCloseTo(c.cost.memoryTrafficBytes / 1e6 / limit - 1, 9);
    }
  });

  it("stops when the device-measurement budget is spent, and reports what it used", async () => {
    // A looser latency limit than `hardware`'s: two generations must hold a feasible candidate, or the search would
    // rightly end failed with an empty front.
    const store = new MemoryStore({
      ...hardware,
      targets: [{ ...hardware.targets[0], maxLatencyMs: 80 }],
      budget: { generations: 20, population: 8, maxMeasurements: 12 },
    });
    await run(store, { quality: new MemoryQuality(), latency: new MemoryLatency() });
    expect(store.search.status).toBe("succeeded");
    expect(store.generations.length).toBe(2);
    expect(store.finished?.result).toMatchObject({ measurementsRequested: 16 });
  });

  it("stops once the search is cancelled", async () => {
    const store = new MemoryStore(costOnly);
    store.onWrite = (index) => {
      if (index === 1) store.search.status = "cancelled";
    };
    const result = await run(store);
    expect(result.generations).toBeLessThanOrEqual(3);
    expect(store.search.status).toBe("cancelled");
  });

  it("fails a search whose spec needs a source this searcher lacks, or is invalid, naming the problem", async () => {
    const noEvaluator = new MemoryStore(hardware);
    await expect(run(noEvaluator)).rejects.toMatchObject({ code: "unsupported" });
    expect(noEvaluator.search.status).toBe("failed");
    const outside = new MemoryStore({ ...hardware, space: { trunkWidths: [16, 64] } });
    await expect(run(outside, { quality: new MemoryQuality(), latency: new MemoryLatency() })).rejects.toMatchObject({
      code: "invalid_input",
    });
    expect(outside.finished?.error).toMatch(
      /space: leaves the supernet's space \(trunkWidths: 64 not in \[16, 24, 32\]\)/,
    );
    const invalid = new MemoryStore({ name: "t", budget: { generations: 0, population: 6 } });
    await expect(run(invalid)).rejects.toMatchObject({ code: "invalid_input" });
    expect(invalid.finished?.error).toMatch(/budget\.generations/);
  });

  it("does nothing for a search that already finished", async () => {
    const store = new MemoryStore(costOnly);
    store.search.status = "succeeded";
    store.search.lastGeneration = 3;
    expect(await run(store)).toEqual({ generations: 4 });
    expect(store.generations).toEqual([]);
  });

  it("refuses a predicted search when its latency source cannot predict", async () => {
    const store = new MemoryStore({ ...hardware, latencySource: "predicted" });
    await expect(run(store, { quality: new MemoryQuality(), latency: new MemoryLatency() })).rejects.toMatchObject({
      code: "unsupported",
    });
    expect(store.finished?.error).toMatch(/latency predictor/);
  });
});

describe("search.run with active latency calibration", () => {
  const input = { height: 32, width: 32 };
  /**
   * A device as MemoryLatency measures it (MACs at the 64x64 reference input / 1e7 ms, so 4x the MACs at the
   * target's 32x32 input), profiled kernel by kernel, with 20 earlier samples.
   */
  const book: PredictorBook = {
    load: () => {
      const space = narrowSpace(DEFAULT_SEARCH_SPACE, SUPERNET_SPACE as SearchSpaceOverride);
      const rng = createRng(77);
      return Promise.resolve({
        kernels: profilingPlan(space, input, { blockShare: 1 }).map((k) => ({
          kernel: k,
          ms: (4 * kernelFigures(k).macs) / 1e7,
        })),
        samples: Array.from({ length: 20 }, () => {
          const genome = sampleGenome(space, rng);
          return { genome, ms: (4 * genomeCost(genome, input.height, input.width).macs) / 1e7 };
        }),
      });
    },
  };

  it("predicts every candidate, measures only the decisive ones, and reaches the fully measured front", async () => {
    const spec = { ...hardware, budget: { generations: 6, population: 8 } };
    const full = new MemoryStore(spec);
    const fullLatency = new MemoryLatency();
    await run(full, { quality: new MemoryQuality(), latency: fullLatency });

    const device = new MemoryLatency();
    const active = new ActiveLatencySource({ measured: device, book });
    const store = new MemoryStore({ ...spec, latencySource: "predicted" });
    await run(store, { quality: new MemoryQuality(), latency: active });
    expect(store.search.status).toBe("succeeded");

    const candidates = store.generations.flatMap((g) => g.candidates);
    for (const c of candidates) {
      const predicted = c.predicted?.["host-cpu"];
      expect(predicted?.predictorVersion).toMatch(/^lp-[0-9a-f]{16}$/);
      expect(Math.abs((predicted?.meanMs ?? 0) / (c.cost.macs / 1e7) - 1)).toBeLessThan(0.1);
      const measured = c.measured["host-cpu"];
      if (measured) expect(measured.measurementId).toMatch(/^m-/);
    }
    const measuredCount = candidates.filter((c) => c.measured["host-cpu"]).length;
    expect(measuredCount).toBe(device.newMeasurements);
    // The default budget: at most 10% of the latency estimates are device measurements.
    expect(measuredCount).toBeGreaterThan(0);
    expect(measuredCount).toBeLessThanOrEqual(Math.floor(0.1 * candidates.length));
    expect(store.finished?.result).toMatchObject({ measurementsSaved: candidates.length - measuredCount });
    expect(active.measurementsSaved).toBe(candidates.length - measuredCount);
    // Refits as measurements arrive: later generations use a newer predictor than the first.
    const versions = new Set(candidates.map((c) => c.predicted?.["host-cpu"]?.predictorVersion));
    expect(versions.size).toBeGreaterThan(1);
    const hv = store.generations.at(-1)?.hypervolume ?? 0;
    const fullHv = full.generations.at(-1)?.hypervolume ?? 0;
    expect(Math.abs(hv / fullHv - 1)).toBeLessThan(0.02);
  });

  it("spends at most the spec's share of estimates on the device, and stores the target's latency statistic", async () => {
    const device = new MemoryLatency();
    const active = new ActiveLatencySource({ measured: device, book });
    const spec = {
      ...hardware,
      targets: hardware.targets.map((t) => ({ ...t, latencyStatistic: "min" as const })),
      budget: { generations: 6, population: 8 },
      latencySource: "predicted" as const,
      activeMeasurement: { maxShare: 0.3 },
    };
    const store = new MemoryStore(spec);
    await run(store, { quality: new MemoryQuality(), latency: active });
    expect(store.search.status).toBe("succeeded");
    const candidates = store.generations.flatMap((g) => g.candidates);
    const measured = candidates.flatMap((c) => {
      const m = c.measured["host-cpu"];
      return m ? [m] : [];
    });
    expect(measured.length).toBeGreaterThan(Math.floor(0.1 * candidates.length));
    expect(measured.length).toBeLessThanOrEqual(Math.floor(0.3 * candidates.length));
    // "min": the fastest run is the target's latency, in the stored figure and in the fitness.
    for (const m of measured) {
      expect(m.latencyMs).toBe(m.minMs);
      expect(m.latencyMs).toBeLessThan(m.medianMs);
    }
  });

  describe("ends failed, naming the failure, never succeeded with an empty front", () => {
    it("when every evaluation fails for good (a checkpoint whose bytes were flipped)", async () => {
      const store = new MemoryStore(hardware);
      const quality = new MemoryQuality();
      quality.failAll = "artifact 5e0c is corrupt on disk (its bytes hash to 9a1f)";
      await run(store, { quality, latency: new MemoryLatency() });
      expect(store.search.status).toBe("failed");
      expect(store.finished?.error).toMatch(
        /^8 of 8 candidates of generation 0 failed for good: artifact 5e0c is corrupt on disk .* \(x8\)$/,
      );
      // The generation is kept, each candidate with its reason.
      expect(store.generations).toHaveLength(1);
      expect(store.generations[0]?.candidates.every((c) => c.error?.includes("corrupt on disk"))).toBe(true);
    });

    it("when the validation set is one the evaluator does not have", async () => {
      const store = new MemoryStore({ ...hardware, validationSet: "no-such-set" });
      const quality = new MemoryQuality();
      quality.failAll = "validation set <set> is not known to this evaluator";
      await run(store, { quality, latency: new MemoryLatency() });
      expect(store.search.status).toBe("failed");
      expect(store.finished?.error).toContain("validation set no-such-set is not known to this evaluator (x8)");
    });

    it("when the checkpoint to reuse is missing from the artifact store, before anything is evaluated", async () => {
      const store = new MemoryStore(hardware);
      const quality = new MemoryQuality();
      const verifyCheckpoint = () => Promise.reject(new Error("artifact 77aa is not in the store"));
      await expect(run(store, { quality, latency: new MemoryLatency(), verifyCheckpoint })).rejects.toThrow(
        /checkpoint at step 40 cannot be used: artifact 77aa is not in the store/,
      );
      expect(store.search.status).toBe("failed");
      expect(store.finished?.error).toContain(`supernet ${SUPERNET} checkpoint at step 40 cannot be used`);
      expect(quality.evaluated).toBe(0);
    });

    it("when no candidate meets the constraints", async () => {
      const store = new MemoryStore({
        ...hardware,
        targets: [{ ...hardware.targets[0], maxLatencyMs: 0.000001 }],
        budget: { generations: 2, population: 4 },
      });
      await run(store, { quality: new MemoryQuality(), latency: new MemoryLatency() });
      expect(store.search.status).toBe("failed");
      expect(store.finished?.error).toBe(
        "no feasible candidate after 2 generation(s): the front is empty (every candidate exceeds a constraint of the spec)",
      );
    });

    it("when its own job fails for good on its last attempt, but not on an earlier one", async () => {
      const broken = (): LatencySource => ({
        newMeasurements: 0,
        measure: () => Promise.reject(new Error("redis connection lost")),
      });
      const early = new MemoryStore(hardware);
      await expect(run(early, { quality: new MemoryQuality(), latency: broken() }, undefined, 0)).rejects.toThrow(
        "redis connection lost",
      );
      expect(early.search.status).toBe("running");
      const last = new MemoryStore(hardware);
      await expect(run(last, { quality: new MemoryQuality(), latency: broken() }, undefined, 4)).rejects.toThrow(
        "redis connection lost",
      );
      expect(last.search.status).toBe("failed");
      expect(last.finished?.error).toBe("search.run failed for good after 5 attempt(s): redis connection lost");
    });
  });
});
