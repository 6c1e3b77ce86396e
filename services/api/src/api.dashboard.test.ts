import { createHash } from "node:crypto";
import {
  COST_MODEL_VERSION,
  DEFAULT_SEARCH_SPACE,
  esrganCost,
  genomeCost,
  genomeHash,
  largestGenome,
} from "@mfnas/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../../../tests/support/api.ts";
import { seedSearchResults } from "../../../tests/support/api-seed.ts";

describe("dashboard files and the routes the dashboard reads", () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi();
  });
  afterAll(() => t.close());

  it("serves the page and its modules with content types, validators and a content security policy", async () => {
    const page = await t.app.inject({ method: "GET", url: "/" });
    expect(page.statusCode).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toContain("script-src 'self'");
    expect(page.headers["cache-control"]).toBe("no-cache");
    expect(page.body).toContain('<script type="module" src="/dashboard/js/main.js">');
    const again = await t.app.inject({ method: "GET", url: "/", headers: { "if-none-match": page.headers.etag! } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe("");

    const script = await t.app.inject({ method: "GET", url: "/dashboard/js/main.js" });
    expect(script.statusCode).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.headers["x-content-type-options"]).toBe("nosniff");
    const css = await t.app.inject({ method: "GET", url: "/dashboard/style.css" });
    expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
    const head = await t.app.inject({ method: "HEAD", url: "/dashboard/favicon.svg" });
    expect([head.statusCode, head.headers["content-type"]]).toEqual([200, "image/svg+xml"]);
  });

  it("serves nothing outside the dashboard's files", async () => {
    for (const url of [
      "/dashboard/../package.json",
      "/dashboard/..%2fpackage.json",
      "/dashboard/%2e%2e/src/app.ts",
      "/dashboard/js/../../src/app.ts",
      "/dashboard/tsconfig.json/..",
      "/dashboard/tsconfig.ts",
      "/dashboard/",
      "/dashboard//etc/passwd",
      "/dashboard/%00",
      `/dashboard/${"a/".repeat(200)}`,
    ]) {
      const response = await t.app.inject({ method: "GET", url });
      expect([400, 404], url).toContain(response.statusCode);
      expect(response.headers["content-type"], url).toBe("application/problem+json; charset=utf-8");
    }
  });

  it("reads a search's final result (null until finished) with each member's candidate", async () => {
    const seeded = await seedSearchResults(t.database.db, { candidates: 12, generations: 2 });
    expect((await t.app.inject({ method: "GET", url: `/v1/searches/${seeded.id}/result` })).statusCode).toBe(401);
    const before = await t.app.inject({ method: "GET", url: `/v1/searches/${seeded.id}/result`, headers: t.auth.read });
    expect(before.json()).toMatchObject({ searchId: seeded.id, status: "succeeded", result: null });

    const [first] = await t.database.db.candidate.findMany({ where: { searchId: seeded.id }, take: 1 });
    const result = {
      axes: [{ name: "psnr", unit: "dB", negated: true }],
      reference: [-20, 100],
      checkpointStep: 40,
      measurementsRequested: 9,
      measurementsSaved: 30,
      front: [
        {
          hash: first!.genomeHash,
          genome: "x4-c16-u:nc-b[8:conv3]",
          objectives: [-28.5, 12.25],
          params: 1234,
          macs: 56789,
          latency: { "pixel-7": { searchMs: 12.25, finalMs: 12.5, finalMeasurementId: "m-1" } },
          exports: { tflite: "a".repeat(64) },
          targetModels: { "pixel-7": "b".repeat(64) },
          unknownField: "dropped",
        },
        { hash: 42, genome: null },
      ],
    };
    await t.database.db.search.update({ where: { id: seeded.id }, data: { result } });
    const after = await t.app.inject({ method: "GET", url: `/v1/searches/${seeded.id}/result`, headers: t.auth.read });
    expect(after.statusCode).toBe(200);
    const { unknownField: _dropped, ...member } = result.front[0]!;
    expect(after.json()).toMatchObject({
      result: { ...result, front: [{ ...member, candidateId: first!.id }] },
    });
    expect(after.json<{ result: { front: unknown[] } }>().result.front).toHaveLength(1);

    const missing = await t.app.inject({
      method: "GET",
      url: "/v1/searches/00000000-0000-4000-8000-000000000000/result",
      headers: t.auth.read,
    });
    expect(missing.statusCode).toBe(404);
  });

  it("describes an architecture layer by layer next to ESRGAN at the same input", async () => {
    const genome = largestGenome(DEFAULT_SEARCH_SPACE, 4);
    const hash = genomeHash(genome);
    const cost = genomeCost(genome, 32, 32);
    await t.database.db.architecture.create({
      data: {
        hash,
        genome: JSON.parse(JSON.stringify(genome)) as object,
        costModelVersion: COST_MODEL_VERSION,
        params: BigInt(cost.params),
        macs: BigInt(cost.macs),
        peakActivationBytes: BigInt(cost.peakActivationBytes),
        memoryTrafficBytes: BigInt(cost.memoryTrafficBytes),
        referenceInputHeight: 32,
        referenceInputWidth: 32,
      },
    });
    const response = await t.app.inject({ method: "GET", url: `/v1/architectures/${hash}`, headers: t.auth.read });
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      input: object;
      cost: { params: number; macs: number; layers: { name: string; macs: number }[] };
      esrgan: { params: number; macs: number };
    }>();
    expect(body.input).toEqual({ height: 32, width: 32 });
    expect(body.cost.params).toBe(cost.params);
    expect(body.cost.layers.map((l) => l.name)).toEqual(cost.layers.map((l) => l.name));
    expect(body.cost.layers.reduce((sum, l) => sum + l.macs, 0)).toBe(cost.macs);
    expect(body.esrgan.macs).toBe(esrganCost(32, 32, { scale: 4 }).macs);

    const other = await t.app.inject({
      method: "GET",
      url: `/v1/architectures/${hash}?height=64&width=48`,
      headers: t.auth.read,
    });
    expect(other.json<{ cost: { macs: number } }>().cost.macs).toBe(genomeCost(genome, 64, 48).macs);
    const bad = await t.app.inject({
      method: "GET",
      url: `/v1/architectures/${hash}?height=30`,
      headers: t.auth.read,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ fields: string[] }>().fields.join()).toContain("querystring.height");
    const unknown = createHash("sha256").update("none").digest("hex");
    const missing = await t.app.inject({ method: "GET", url: `/v1/architectures/${unknown}`, headers: t.auth.read });
    expect(missing.statusCode).toBe(404);
  });

  it("sums the lab's queue depth per device class and each phone's benchmark time in the last hour", async () => {
    const phone = await t.app.inject({
      method: "PUT",
      url: "/v1/agent/devices/lab-1",
      headers: t.auth.agent,
      payload: { deviceClass: "pixel-7", model: "Pixel 7", state: "online" },
    });
    const deviceId = phone.json<{ id: string }>().id;
    const [architecture] = await t.database.db.architecture.findMany({ take: 1 });
    const row = (key: string, createdAt: Date, conditions: object) => ({
      requestKey: key,
      architectureHash: architecture!.hash,
      deviceId,
      deviceClass: "pixel-7",
      runtime: "tflite",
      runtimeVersion: "2.16",
      runtimeConfig: {},
      inputHeight: 64,
      inputWidth: 64,
      samples: 2,
      medianMs: 5,
      meanMs: 5,
      stdMs: 0.1,
      p90Ms: 5.2,
      minMs: 4.9,
      maxMs: 5.5,
      conditions,
      rawOutput: "",
      createdAt,
    });
    await t.database.db.measurement.createMany({
      data: [
        row("recent", new Date(), { perRepetition: [{ wallMs: 1000 }, { wallMs: 800 }] }),
        row("untimed", new Date(), { perRepetition: "not a list" }),
        row("old", new Date(Date.now() - 2 * 3_600_000), { perRepetition: [{ wallMs: 99_000 }] }),
      ],
    });
    await t.jobs.queue("measure.pixel-7").add("devicelab.measure", {}, { jobId: "dashboard-test-waiting" });
    expect((await t.app.inject({ method: "GET", url: "/v1/device-lab", headers: t.auth.agent })).statusCode).toBe(403);
    const response = await t.app.inject({ method: "GET", url: "/v1/device-lab", headers: t.auth.read });
    expect(response.statusCode).toBe(200);
    const lab = response.json<{ classes: object[]; devices: object[] }>();
    expect(lab.classes).toEqual([
      {
        deviceClass: "pixel-7",
        queue: "measure.pixel-7",
        devices: 1,
        online: 1,
        counts: { waiting: 1, active: 0, delayed: 0, prioritized: 0, failed: 0 },
      },
    ]);
    expect(lab.devices).toEqual([
      expect.objectContaining({ serial: "lab-1", measurements: 2, busyMs: 1800, untimed: 1, utilization: 0.0005 }),
    ]);
  });
});
