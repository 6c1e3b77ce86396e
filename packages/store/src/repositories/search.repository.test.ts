import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_SEARCH_SPACE, createRng, encodeGenome, genomeCost, genomeHash, sampleGenome } from "@mfnas/core";
import { SearchRepository, isUniqueViolation } from "@mfnas/store";
import { createTestDatabase, type TestDatabase } from "../../../../tests/support/database.ts";

function members(seed: number, n: number) {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => {
    const genome = sampleGenome(DEFAULT_SEARCH_SPACE, rng);
    return { genome, hash: genomeHash(genome), encoded: encodeGenome(genome), cost: genomeCost(genome, 32, 32) };
  });
}

type Member = ReturnType<typeof members>[number];

function generation(searchId: string, index: number, gen: Member[]) {
  return {
    searchId,
    index,
    costModelVersion: "v",
    referenceInput: { height: 32, width: 32 },
    candidates: gen.map((m, i) => ({
      ...m,
      quality: { psnr: 20 + i, ssim: 0.5 },
      measured: {},
      objectives: [-(20 + i)],
      violation: 0,
      rank: gen.length - 1 - i,
    })),
    population: gen.map((m, i) => ({ hash: m.hash, rank: gen.length - 1 - i, objectives: [-(20 + i)], violation: 0 })),
    front: gen.slice(-1).map((m) => m.hash),
    hypervolume: 1.5,
    state: { algorithm: { generation: index } },
  };
}

describe("SearchRepository on real Postgres", () => {
  let database: TestDatabase;
  let repo: SearchRepository;
  beforeEach(async () => {
    database = await createTestDatabase();
    repo = new SearchRepository(database.db);
  });
  afterEach(() => database.drop());

  it("writes a generation once however often it is replayed, sharing architectures across searches", async () => {
    const a = await repo.create({ name: "a", spec: {}, seed: 1 });
    const b = await repo.create({ name: "b", spec: {}, seed: 1 });
    const gen = members(3, 6);
    const write = (searchId: string) => repo.writeGeneration(generation(searchId, 0, gen));
    await Promise.all([write(a.id), write(a.id), write(a.id)]);
    await write(b.id);
    expect(await database.db.generation.count({ where: { searchId: a.id } })).toBe(1);
    expect(await database.db.candidate.count({ where: { searchId: a.id } })).toBe(new Set(gen.map((m) => m.hash)).size);
    expect(await database.db.architecture.count()).toBe(new Set(gen.map((m) => m.hash)).size);
    expect((await repo.getSearch(a.id))?.lastGeneration).toBe(0);
    expect(await repo.generationState(a.id, 0)).toEqual({ algorithm: { generation: 0 } });
    const stored = await database.db.candidate.findMany({ where: { searchId: a.id }, orderBy: { psnr: "asc" } });
    expect(stored.map((c) => c.psnr)).toEqual(gen.map((_, i) => 20 + i));
    expect(stored.at(-1)?.rank).toBe(0);
  });

  it("refuses a second measurement row for the same request key", async () => {
    const [m] = members(4, 1);
    if (!m) throw new Error("no member");
    await repo.ensureArchitectures([m], "v", { height: 32, width: 32 });
    const device = await database.db.device.create({ data: { serial: "emu-1", model: "x", deviceClass: "host-cpu" } });
    const row = {
      requestKey: "req-1",
      architectureHash: m.hash,
      deviceId: device.id,
      deviceClass: "host-cpu",
      runtime: "tflite",
      runtimeVersion: "2.16",
      runtimeConfig: {},
      inputHeight: 32,
      inputWidth: 32,
      samples: 10,
      medianMs: 1,
      meanMs: 1,
      stdMs: 0,
      p90Ms: 1,
      minMs: 1,
      maxMs: 1,
      conditions: {},
      rawOutput: "",
    };
    await database.db.measurement.create({ data: row });
    const again = await database.db.measurement.create({ data: { ...row, medianMs: 2 } }).catch((e: unknown) => e);
    expect(isUniqueViolation(again)).toBe(true);
    expect(await database.db.measurement.count()).toBe(1);
    const found = await repo.measurementsByRequestKey(["req-1", "req-2"]);
    expect([...found.keys()]).toEqual(["req-1"]);
    expect(found.get("req-1")?.medianMs).toBe(1);
  });

  it("finishes and cancels only searches still in flight", async () => {
    const s = await repo.create({ name: "c", spec: {}, seed: 1 });
    await repo.markRunning(s.id);
    expect(await repo.cancel(s.id)).toBe(true);
    await repo.finish(s.id, { status: "succeeded" });
    expect((await repo.getSearch(s.id))?.status).toBe("cancelled");
    expect(await repo.cancel(s.id)).toBe(false);
  });
});
