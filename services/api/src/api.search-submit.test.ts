import { createHash } from "node:crypto";
import { RUNTIMES } from "@mfnas/core";
import { SearchRepository } from "@mfnas/store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../../../tests/support/api.ts";

// A search naming a supernet, checkpoint or device class the system does not have: refused at submit where it
// cannot appear any more, accepted with a warning where it may; and why candidates failed, served per candidate.

const SPEC = {
  name: "s",
  seed: 1,
  targets: [{ deviceClass: "pixel-9", maxLatencyMs: 50 }],
  budget: { generations: 2, population: 4 },
};

describe("submitting a search checks what it names", () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ rateLimit: false });
  });
  afterAll(() => t.close());

  async function supernet(status: "queued" | "training" | "ready" | "failed", checkpointStep?: number) {
    const db = t.database.db;
    const row = await db.supernet.create({ data: { name: status, searchSpace: {}, trainingConfig: {}, status } });
    if (checkpointStep !== undefined) {
      const sha256 = createHash("sha256").update(row.id).digest("hex");
      await db.artifact.create({ data: { sha256, kind: "checkpoint", uri: `file:///${sha256}`, sizeBytes: 1 } });
      await db.supernetCheckpoint.create({
        data: { supernetId: row.id, step: checkpointStep, artifactSha256: sha256 },
      });
    }
    return row.id;
  }

  const submit = (spec: object) =>
    t.app.inject({ method: "POST", url: "/v1/searches", headers: t.auth.submit, payload: spec });

  it("refuses a supernet that failed, or has no such checkpoint once it is ready, naming the field", async () => {
    const failed = await supernet("failed", 10);
    const noCheckpoint = await supernet("ready");
    const atTen = await supernet("ready", 10);
    const cases: Array<[object, string]> = [
      [{ id: failed }, `supernet.id: supernet ${failed} is failed`],
      [{ id: noCheckpoint }, `supernet.id: supernet ${noCheckpoint} has no checkpoint`],
      [{ id: atTen, checkpointStep: 20 }, `supernet.id: supernet ${atTen} has no checkpoint at step 20`],
      [{ id: "00000000-0000-4000-8000-000000000000" }, "supernet.id: no supernet 00000000-0000-4000-8000-000000000000"],
    ];
    const before = await t.database.db.search.count();
    for (const [named, field] of cases) {
      const response = await submit({ ...SPEC, supernet: named });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json<{ fields: string[] }>().fields).toEqual([field]);
    }
    expect(await t.database.db.search.count()).toBe(before);
  });

  it("takes memory traffic as an objective with a limit, and refuses a bad limit naming the field and its unit", async () => {
    const traffic = { objectives: ["latency", "traffic"], constraints: { maxMemoryTrafficMb: 40 } };
    const accepted = await submit({ ...SPEC, ...traffic });
    expect(accepted.statusCode, accepted.body).toBe(201);
    const stored = await t.database.db.search.findUniqueOrThrow({ where: { id: accepted.json<{ id: string }>().id } });
    expect(stored.spec).toMatchObject(traffic);
    for (const limit of [0, -1, "40 MB"]) {
      const response = await submit({ ...SPEC, ...traffic, constraints: { maxMemoryTrafficMb: limit } });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.json<{ fields: string[] }>().fields.join("; ")).toMatch(
        /constraints\.maxMemoryTrafficMb: must be a (positive )?number of MB \(memory traffic per inference at referenceInput\)/,
      );
    }
  });

  it("refuses a target runtime that has no runner, naming the field and the runtimes there are", async () => {
    const runtimeConfig = { threads: 1, delegate: "xnnpack", precision: "fp32", warmupRuns: 1, runs: 3 };
    for (const runtime of ["onnxruntime", "tfjs", "host-onnx"]) {
      const response = await submit({
        ...SPEC,
        targets: [{ deviceClass: "pixel-9", maxLatencyMs: 50, runtimeConfig: { ...runtimeConfig, runtime } }],
      });
      expect(response.statusCode, response.body).toBe(400);
      expect(response.body).toContain("targets.0.runtimeConfig.runtime");
      expect(response.body).toContain(RUNTIMES.join(", "));
    }
    const tflite = await submit({
      ...SPEC,
      targets: [{ ...SPEC.targets[0], runtimeConfig: { ...runtimeConfig, runtime: "tflite" } }],
    });
    expect(tflite.statusCode, tflite.body).toBe(201);
  });

  it("accepts what may still appear with a warning: a supernet in training, a device class with no phone", async () => {
    const training = await supernet("training");
    const response = await submit({ ...SPEC, supernet: { id: training } });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json<{ warnings: string[] }>().warnings).toEqual([
      `supernet.id: supernet ${training} is training with no checkpoint yet; the search fails if it still has none when it starts`,
      "targets: no phone of device class pixel-9 has registered yet; its measurements wait in measure.pixel-9 until one does",
    ]);

    await t.database.db.device.create({ data: { serial: "p9", model: "Pixel 9", deviceClass: "pixel-9" } });
    const ready = await supernet("ready", 10);
    const clean = await submit({ ...SPEC, supernet: { id: ready, checkpointStep: 10 } });
    expect(clean.statusCode, clean.body).toBe(201);
    expect(clean.json<{ warnings: string[] }>().warnings).toEqual([]);
    const photos = await submit({ ...SPEC, supernet: { id: ready }, validationSet: "photos-val" });
    expect(photos.json<{ warnings: string[] }>().warnings).toEqual([]);

    const folder = await submit({ ...SPEC, supernet: { id: ready }, validationSet: "Set14" });
    expect(folder.statusCode, folder.body).toBe(201);
    expect(folder.json<{ warnings: string[] }>().warnings).toEqual([
      expect.stringMatching(/^validationSet: Set14 is not a built-in set .*EVALUATOR_VALIDATION_ROOT/) as unknown,
    ]);
  });

  it("shows a search waiting for phones of a class none of which is online, on its detail and the device lab", async () => {
    const response = await submit({ ...SPEC, name: "phoneless", targets: [{ deviceClass: "galaxy-s20" }] });
    expect(response.statusCode, response.body).toBe(201);
    const { id } = response.json<{ id: string }>();
    const detail = async () =>
      (await t.app.inject({ url: `/v1/searches/${id}`, headers: t.auth.read })).json<{ waitingForPhones: string[] }>();
    const lab = async () =>
      (await t.app.inject({ url: "/v1/device-lab", headers: t.auth.read })).json<{
        waitingSearches: Array<{ id: string; name: string; status: string; deviceClasses: string[] }>;
      }>().waitingSearches;
    expect((await detail()).waitingForPhones).toEqual(["galaxy-s20"]);
    expect(await lab()).toContainEqual({ id, name: "phoneless", status: "queued", deviceClasses: ["galaxy-s20"] });

    // A phone of the class that is offline measures nothing: still waiting. Online, it is not.
    const phone = await t.database.db.device.create({
      data: { serial: "s20", model: "SM-G980F", deviceClass: "galaxy-s20", state: "offline" },
    });
    expect((await detail()).waitingForPhones).toEqual(["galaxy-s20"]);
    await t.database.db.device.update({ where: { id: phone.id }, data: { state: "online" } });
    expect((await detail()).waitingForPhones).toEqual([]);
    expect((await lab()).map((w) => w.id)).not.toContain(id);

    // Cancelled, a search waits for nothing, even with its phones gone.
    await t.database.db.device.update({ where: { id: phone.id }, data: { state: "offline" } });
    expect((await lab()).map((w) => w.id)).toContain(id);
    const cancel = await t.app.inject({ method: "POST", url: `/v1/searches/${id}/cancel`, headers: t.auth.submit });
    expect(cancel.statusCode, cancel.body).toBe(200);
    expect((await detail()).waitingForPhones).toEqual([]);
    expect((await lab()).map((w) => w.id)).not.toContain(id);
  });

  it("serves why a candidate failed, and the search's error", async () => {
    const db = t.database.db;
    const search = await db.search.create({ data: { name: "f", spec: SPEC, seed: 1, status: "running" } });
    const candidate = (hash: string, error?: string) => ({
      genome: { hash },
      hash: hash.repeat(64),
      encoded: hash,
      cost: { params: 10, macs: 20, peakActivationBytes: 30, memoryTrafficBytes: 40 },
      quality: null,
      measured: {},
      objectives: [0],
      violation: error ? 1e9 : 0,
      rank: 0,
      ...(error ? { error } : {}),
    });
    const store = new SearchRepository(db);
    await store.writeGeneration({
      searchId: search.id,
      index: 0,
      costModelVersion: "v",
      referenceInput: { height: 32, width: 32 },
      candidates: [candidate("a", "validation set Set14 is not known"), candidate("b")],
      population: [],
      front: [],
      hypervolume: null,
      state: {},
    });
    await store.finish(search.id, { status: "failed", error: "1 of 2 candidates of generation 0 failed for good" });
    const page = await t.app.inject({ url: `/v1/searches/${search.id}/candidates`, headers: t.auth.read });
    expect(page.statusCode, page.body).toBe(200);
    const errors = page
      .json<{ items: Array<{ genomeHash: string; error: string | null }> }>()
      .items.map((c) => [c.genomeHash[0], c.error])
      .sort();
    expect(errors).toEqual([
      ["a", "validation set Set14 is not known"],
      ["b", null],
    ]);
    const detail = await t.app.inject({ url: `/v1/searches/${search.id}`, headers: t.auth.read });
    expect(detail.json()).toMatchObject({
      status: "failed",
      error: "1 of 2 candidates of generation 0 failed for good",
    });
  });
});
