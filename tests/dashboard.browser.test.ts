// The dashboard in Debian's headless Chromium (driven by playwright-core; no browser is ever downloaded) against
// a real API on Postgres and Redis. Rows appear the way the searcher and the device lab write them (through the
// store's SearchRepository and DeviceLabRepository), and the assertions read what the rendered page shows.
import { readFile } from "node:fs/promises";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COST_MODEL_VERSION,
  DEFAULT_SEARCH_SPACE,
  JOBS,
  createRng,
  encodeGenome,
  genomeCost,
  genomeHash,
  sampleGenome,
  type CostReport,
  type Genome,
} from "@mfnas/core";
import { exportGenerator } from "@mfnas/export";
import { createImage, encodePng, imresize, sideBySide } from "@mfnas/model";
import { DeviceLabRepository, SearchRepository } from "@mfnas/store";
import { probeWeights } from "@mfnas/searcher";
import { listenLocally, startTestApi, type TestApi } from "./support/api.ts";
import { seedSearchResults } from "./support/api-seed.ts";
import { chromiumAvailable, openDashboard, type DashboardBrowser } from "./support/browser.ts";

const TARGET = "pixel-7";
const MAX_LATENCY_MS = 30;
const GENERATIONS = 3;
const POPULATION = 6;
const REFERENCE = { height: 64, width: 64 };
const WALL_MS = 1_500;
const RUNTIME = {
  runtime: "tflite",
  threads: 1,
  delegate: "xnnpack",
  precision: "fp32",
  warmupRuns: 2,
  runs: 10,
} as const;

describe.skipIf(!chromiumAvailable)("dashboard in headless Chromium", () => {
  let t: TestApi;
  let base: string;
  let browser: DashboardBrowser;
  let page: Page;
  let deviceId: string;

  const json = async <T>(
    method: "GET" | "POST" | "PUT",
    url: string,
    auth: { authorization: string },
    body?: object,
  ) => {
    const response = await t.app.inject({ method, url, headers: auth, ...(body ? { payload: body } : {}) });
    if (response.statusCode >= 300) throw new Error(`${method} ${url}: ${response.statusCode} ${response.body}`);
    return response.json<T>();
  };

  beforeAll(async () => {
    t = await startTestApi();
    base = await listenLocally(t);
    // A phone of the target's class, reported by its agent as the device lab does.
    const phone = await json<{ id: string }>("PUT", `/v1/agent/devices/emu-7a`, t.auth.agent, {
      deviceClass: TARGET,
      model: "Pixel 7 (emulated)",
      soc: "Tensor G2",
      state: "online",
      health: {
        battery: { levelPercent: 87, temperatureC: 31.5 },
        thermalZones: [{ celsius: 36.25 }],
        screenOn: false,
      },
    });
    deviceId = phone.id;
    browser = await openDashboard(base);
    page = browser.page;
    // Sign in through the key box; the key stays in sessionStorage for the rest of the session.
    await browser.signIn(t.auth.read);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** One measurement of an architecture on the phone, with the conditions the device lab records. */
  async function measure(hash: string, macs: number, key: string) {
    const medianMs = 4 + macs / 2e7;
    return new DeviceLabRepository(t.database.db).recordMeasurement({
      requestKey: key,
      architectureHash: hash,
      deviceId,
      deviceClass: TARGET,
      runtime: "tflite",
      runtimeVersion: "2.16.1",
      runtimeConfig: { ...RUNTIME },
      inputHeight: REFERENCE.height,
      inputWidth: REFERENCE.width,
      samples: 2,
      medianMs,
      meanMs: medianMs * 1.01,
      stdMs: 0.2,
      p90Ms: medianMs * 1.05,
      minMs: medianMs * 0.97,
      maxMs: medianMs * 1.1,
      initMs: 12,
      peakMemoryMb: 41.5,
      conditions: {
        serial: "emu-7a",
        emulated: true,
        stopReason: "confident",
        healthBefore: { battery: { levelPercent: 87, temperatureC: 31.5 }, thermalZones: [{ celsius: 36.25 }] },
        healthAfter: { battery: { levelPercent: 87, temperatureC: 32 }, thermalZones: [{ celsius: 37.5 }] },
        perRepetition: [{ wallMs: WALL_MS / 2 }, { wallMs: WALL_MS / 2 }],
      },
      rawOutput: "INFO: Inference timings in us: Init: 12000, First inference: 9000, Warmup (avg): 8000",
    });
  }

  it("follows a submitted search live, opens a candidate and downloads its .tflite", async () => {
    const supernet = await t.database.db.supernet.create({
      data: { name: "dashboard-supernet", searchSpace: {}, trainingConfig: {}, status: "ready" },
    });
    // Submit refuses a supernet without a checkpoint; the search's progress below is written by the test itself.
    const checkpoint = await t.artifacts.put({ bytes: new TextEncoder().encode("checkpoint"), kind: "checkpoint" });
    await t.database.db.supernetCheckpoint.create({
      data: { supernetId: supernet.id, step: 10, artifactSha256: checkpoint.sha256 },
    });
    const submitted = await json<{ id: string }>("POST", "/v1/searches", t.auth.submit, {
      name: "live front",
      seed: 7,
      supernet: { id: supernet.id },
      targets: [{ deviceClass: TARGET, maxLatencyMs: MAX_LATENCY_MS }],
      objectives: ["psnr", "latency"],
      budget: { generations: GENERATIONS, population: POPULATION },
      final: { exportFormats: ["tflite"] },
    });
    const id = submitted.id;
    expect((await t.jobs.queue("search").getJob(`${JOBS.searchRun.name}-${id}`))?.data).toEqual({ searchId: id });

    // The searches list shows it queued, then follows it live over its event stream.
    await page.goto(`${base}/#/`);
    const row = page.locator(`table.searches tr[data-search-id="${id}"]`);
    await row.locator(".badge[data-status=queued]").waitFor();
    await expect.poll(() => row.locator(".progress-cell").textContent()).toBe(`generation 0 of ${GENERATIONS}`);

    // The searcher's writes, generation by generation; the pages must follow each one without a reload.
    const searches = new SearchRepository(t.database.db);
    const rng = createRng(11);
    const seen = new Map<string, { genome: Genome; macs: number; psnr: number; latency: number }>();
    const writeGeneration = async (index: number) => {
      const members: { genome: Genome; hash: string; encoded: string; cost: CostReport }[] = [];
      while (members.length < POPULATION) {
        const genome = sampleGenome(DEFAULT_SEARCH_SPACE, rng);
        const hash = genomeHash(genome);
        if (seen.has(hash) || members.some((m) => m.hash === hash)) continue;
        members.push({ genome, hash, encoded: encodeGenome(genome), cost: genomeCost(genome, 64, 64) });
      }
      await searches.ensureArchitectures(members, COST_MODEL_VERSION, REFERENCE);
      const candidates = [];
      for (const m of members) {
        const measured = await measure(m.hash, m.cost.macs, `${id}.${m.hash}`);
        const latency = 4 + m.cost.macs / 2e7;
        const psnr = 26 + 3 * Math.log1p(m.cost.macs / 1e8) + rng.nextFloat() * 0.3;
        seen.set(m.hash, { genome: m.genome, macs: m.cost.macs, psnr, latency });
        candidates.push({
          ...m,
          quality: { psnr, ssim: 0.7 + psnr / 200 },
          measured: { [TARGET]: { latencyMs: latency, peakMemoryMb: 41.5, measurementId: measured.id } },
          objectives: [-psnr, latency],
          violation: Math.max(0, latency - MAX_LATENCY_MS),
          rank: 0,
        });
      }
      await searches.writeGeneration({
        searchId: id,
        index,
        costModelVersion: COST_MODEL_VERSION,
        referenceInput: REFERENCE,
        candidates,
        population: candidates.map((c) => ({
          hash: c.hash,
          rank: 0,
          objectives: c.objectives,
          violation: c.violation,
        })),
        front: [],
        hypervolume: 10 + index * 2.5,
        state: {},
      });
    };
    await searches.markRunning(id);
    await row.locator(".badge[data-status=running]").waitFor();
    await writeGeneration(0);
    await expect.poll(() => row.locator(".progress-cell").textContent()).toBe(`generation 1 of ${GENERATIONS}`);

    // The search page: generation 0 on load, the rest as they arrive.
    await page.click(`table.searches tr[data-search-id="${id}"] a`);
    await page.waitForSelector(".page-head .badge[data-status=running]");
    await expect.poll(() => page.locator("#front-plot .point").count()).toBe(POPULATION);
    for (let index = 1; index < GENERATIONS; index++) {
      await writeGeneration(index);
      await expect
        .poll(() => page.locator("#front-plot .point").count(), { timeout: 135_000 })
        .toBe((index + 1) * POPULATION);
      await expect
        .poll(() => page.textContent(".search-progress"))
        .toContain(`generation ${index + 1} of ${GENERATIONS}`);
    }

    // What the page shows is the API's front: the same points, a staircase through them, the constraint line.
    const front = await json<{ points: { candidateId: string; genomeHash: string }[] }>(
      "GET",
      `/v1/searches/${id}/fronts/${TARGET}?quality=psnr`,
      t.auth.read,
    );
    expect(front.points.length).toBeGreaterThan(0);
    await expect.poll(() => page.locator("#front-plot .point.on-front").count()).toBe(front.points.length);
    expect(await page.getAttribute("#front-plot path.front-line", "data-points")).toBe(String(front.points.length));
    expect(await page.getAttribute("#front-plot .constraint", "data-max")).toBe(String(MAX_LATENCY_MS));
    expect(await page.textContent("#front-plot .constraint text")).toBe(`max ${MAX_LATENCY_MS} ms`);
    expect(await page.textContent("#plot-summary")).toBe(
      `${GENERATIONS * POPULATION} candidates plotted · ${front.points.length} on the front · ` +
        `constraint: latency ≤ ${MAX_LATENCY_MS} ms`,
    );
    expect(await page.locator(".hypervolume .hv-point").count()).toBe(GENERATIONS);

    // Hover shows the genome and its figures.
    const best = front.points[front.points.length - 1]!;
    const figures = seen.get(best.genomeHash)!;
    await page.hover(`#front-plot .point[data-key="${best.candidateId}"]`);
    const tooltip = page.locator("#front-plot .tooltip");
    await expect.poll(() => tooltip.isVisible()).toBe(true);
    const tip = (await tooltip.textContent()) ?? "";
    expect(tip).toContain(encodeGenome(figures.genome));
    expect(tip).toContain(`PSNR ${figures.psnr.toFixed(2)} dB`);
    expect(tip).toContain(`latency ${figures.latency.toFixed(2)} ms (measured)`);

    // Against memory traffic (the memory access cost) instead: the API's front on that axis, the axis named.
    const byTraffic = await json<{ points: unknown[] }>(
      "GET",
      `/v1/searches/${id}/fronts/${TARGET}?quality=psnr&axis=traffic`,
      t.auth.read,
    );
    await page.selectOption("select[name=axis]", "traffic");
    await expect
      .poll(() => page.locator("#front-plot path.front-line").getAttribute("data-points"))
      .toBe(String(byTraffic.points.length));
    expect(await page.textContent("#front-plot")).toContain("memory traffic (memory access cost) (MB)");
    expect(await page.locator("#front-plot .point").count()).toBe(GENERATIONS * POPULATION);
    await page.selectOption("select[name=axis]", "latency");
    await expect.poll(() => page.textContent("#front-plot")).toContain(`latency on ${TARGET}`);

    // The search ends: its final Pareto set is exported (a real TFLite file in the artifact store) and stored.
    const exported = new Map<string, string>();
    for (const p of front.points) {
      const artifact = exportGenerator(seen.get(p.genomeHash)!.genome, probeWeights(seen.get(p.genomeHash)!.genome), {
        format: "tflite",
        precision: "float32",
        input: REFERENCE,
      });
      const stored = await t.artifacts.put({
        bytes: artifact.bytes,
        kind: "tflite",
        mediaType: "application/vnd.tflite",
        metadata: { ...artifact.metadata, purpose: "final-pareto-set" },
      });
      exported.set(p.genomeHash, stored.sha256);
    }
    await searches.finish(id, {
      status: "succeeded",
      result: {
        axes: [
          { name: "psnr", unit: "dB", negated: true },
          { name: `latency:${TARGET}`, unit: "ms", negated: false },
        ],
        reference: [-20, 120],
        checkpointStep: 1000,
        measurementsRequested: GENERATIONS * POPULATION,
        front: front.points.map((p) => {
          const f = seen.get(p.genomeHash)!;
          return {
            hash: p.genomeHash,
            genome: encodeGenome(f.genome),
            objectives: [-f.psnr, f.latency],
            params: 0,
            macs: f.macs,
            latency: { [TARGET]: { searchMs: f.latency, finalMs: f.latency * 1.02 } },
            exports: { tflite: exported.get(p.genomeHash)! },
            targetModels: { [TARGET]: exported.get(p.genomeHash)! },
          };
        }),
      },
    });
    await page.waitForSelector(".page-head .badge[data-status=succeeded]");
    await browser.screenshot("search-live");
    await expect.poll(() => page.locator("#result table.final tbody tr").count()).toBe(front.points.length);
    expect(await page.textContent("#result")).toContain(`${front.points.length} SubGenerators in the final Pareto set`);

    // The best candidate's evaluation, with its sample crops as the evaluator stores them (a PNG of four panels).
    const storedSpec = (await t.database.db.search.findUniqueOrThrow({ where: { id } })).spec as {
      validationSet: string;
    };
    const panel = imresize(createImage(32, 32, new Float32Array(32 * 32 * 3).fill(0.5)), { scale: 4 });
    const sheet = await t.artifacts.put({
      bytes: await encodePng(sideBySide([panel, panel, panel, panel])),
      kind: "report",
      mediaType: "image/png",
      metadata: { report: "sample-crops", sampleOf: best.genomeHash },
    });
    await t.database.db.evaluation.create({
      data: {
        supernetId: supernet.id,
        checkpointStep: 10,
        genomeHash: best.genomeHash,
        genome: encodeGenome(figures.genome),
        validationSet: storedSpec.validationSet,
        psnr: figures.psnr,
        ssim: 0.8,
        imageCount: 3,
        images: [],
        path: "onnxruntime",
        runtime: "onnxruntime-node",
        durationMs: 1,
        samples: {
          sha256: sheet.sha256,
          image: "chelsea.png",
          scale: 4,
          window: { top: 64, left: 128, size: 128 },
          panels: [
            { name: "bicubic", psnrY: 27.125 },
            { name: "subgenerator", psnrY: 27.5 },
            { name: "teacher", psnrY: 28.25 },
            { name: "hr", psnrY: null },
          ],
        },
      },
    });

    // Click the best point: the candidate page with its diagram, cost next to ESRGAN's and measurements.
    await page.click(`#front-plot .point[data-key="${best.candidateId}"]`);
    await page.waitForSelector("svg.diagram");
    expect(page.url()).toContain(`#/searches/${id}/candidates/${best.candidateId}`);
    expect(await page.textContent("h1.genome")).toBe(encodeGenome(figures.genome));
    expect(await page.locator("svg.diagram [data-block]").count()).toBe(figures.genome.blocks.length);
    expect(await page.locator("svg.diagram [data-branch]").count()).toBe(
      figures.genome.blocks.reduce((n, b) => n + b.branches.length, 0),
    );
    const cost = (await page.textContent("table.cost")) ?? "";
    expect(cost).toContain("RRDBNet x");
    expect(cost).toContain(Math.round(genomeCost(figures.genome, 64, 64).params).toLocaleString("en-US"));
    const measurements = (await page.textContent("table.measurements")) ?? "";
    expect(measurements).toContain("Pixel 7 (emulated) (emu-7a)");
    expect(measurements).toContain("1 threads · xnnpack · fp32 · 64×64 · emulated phone · stop: confident");
    // The headline latency (the candidate's measured figure on the target) is found in its own measurements table.
    expect(await page.textContent("table.latencies tbody")).toContain(figures.latency.toFixed(2));
    expect(await page.textContent("table.measurements .headline")).toBe(
      `${TARGET}: ${figures.latency.toFixed(2)} ms (median)`,
    );
    await browser.screenshot("candidate");

    // The sample crops: the sheet fetched with the key and decoded by the browser, each panel named with its PSNR.
    await expect
      .poll(() =>
        page.locator("img.sample-sheet").evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBe(4 * 128 + 3 * 4);
    const panels = (await page.textContent("table.sample-panels")) ?? "";
    for (const text of ["bicubic", "this SubGenerator", "teacher", "HR (ground truth)", "27.50 dB", "28.25 dB"]) {
      expect(panels).toContain(text);
    }
    expect(await page.textContent("section.samples")).toContain("chelsea.png, 128×128 HR pixels at (64, 128), x4");

    // Download the .tflite through the page and compare it with the stored artifact byte for byte.
    const sha = exported.get(best.genomeHash)!;
    const [downloadEvent] = await Promise.all([
      page.waitForEvent("download"),
      page.click(`button.download[data-kind=tflite][data-sha="${sha}"]`),
    ]);
    const file = await downloadEvent.path();
    const bytes = await readFile(file);
    expect(Buffer.compare(bytes, Buffer.from(await t.artifacts.get(sha)))).toBe(0);
    expect(bytes.subarray(4, 8).toString("latin1")).toBe("TFL3");
    expect(downloadEvent.suggestedFilename()).toMatch(/^subgenerator-[0-9a-f]{12}-[0-9a-f]{12}\.tflite$/);
  }, 180_000);

  it("shows the device lab: phones, health, queue depth, utilization and the predictors' accuracy", async () => {
    // A second class with a quarantined phone, and two measure jobs waiting for pixel-7.
    await t.database.db.device.create({
      data: {
        serial: "emu-8a",
        model: "Pixel 8 (emulated)",
        deviceClass: "pixel-8",
        state: "quarantined",
        quarantineReason: "too hot",
      },
    });
    const [architecture] = await t.database.db.architecture.findMany({ take: 1, select: { hash: true } });
    for (const n of [1, 2]) {
      await t.jobs.enqueue(JOBS.measure.name, {
        requestKey: `dashboard-queue-${n}`,
        architectureHash: architecture!.hash,
        artifactSha256: "0".repeat(64),
        deviceClass: TARGET,
        runtimeConfig: { ...RUNTIME },
        inputHeight: 64,
        inputWidth: 64,
      });
    }
    // An older and a newer accuracy report of the class's latency predictor: the page shows the newer.
    const report = (version: string, within10: number) =>
      t.artifacts.put({
        bytes: new TextEncoder().encode(JSON.stringify({ version, within10 })),
        kind: "report",
        mediaType: "application/json",
        metadata: {
          report: "latency-predictor",
          deviceClass: TARGET,
          predictorVersion: version,
          statistic: "min",
          input: { height: 32, width: 32 },
          count: 50,
          trainSamples: 80,
          rmseMs: 1.234,
          mapePct: 4.56,
          within5: 0.62,
          within10,
          coverage2Std: 0.96,
        },
      });
    await report("lp-0000000000000001", 0.5);
    const newest = await report("lp-0000000000000002", 0.9);
    const measured = await t.database.db.measurement.count({ where: { deviceId } });
    await page.goto(`${base}/#/lab`);
    await page.waitForSelector("table.lab-phones");
    const classes = page.locator("table.lab-classes tbody tr");
    expect(await classes.count()).toBe(2);
    expect(await classes.nth(0).locator("td").allTextContents()).toEqual([
      "pixel-7",
      "measure.pixel-7",
      "1 / 1",
      "2",
      "0",
      "0",
      "0",
    ]);
    expect(await classes.nth(1).locator("td").nth(2).textContent()).toBe("0 / 1");
    const phones = page.locator("table.lab-phones tbody tr");
    const pixel7 = await phones.nth(0).locator("td").allTextContents();
    expect(pixel7[0]).toContain("emu-7a");
    expect(pixel7[2]).toBe("online");
    expect(pixel7[3]).toBe("battery 87%, 31.5 °C battery, max 36.3 °C, screen off");
    expect(pixel7[5]).toBe(String(measured));
    const share = ((measured * WALL_MS) / 3_600_000) * 100;
    expect(pixel7[6]).toBe(`${share.toFixed(1)}% (${((measured * WALL_MS) / 1000).toFixed(1)} s benchmarking)`);
    const pixel8 = await phones.nth(1).locator("td").allTextContents();
    expect(pixel8[2]).toBe("quarantinedtoo hot");
    await browser.screenshot("lab");
    const predictors = page.locator("table.lab-predictors tbody tr");
    expect(await predictors.count()).toBe(1);
    const cells = await predictors.nth(0).locator("td").allTextContents();
    expect(cells.slice(0, 11)).toEqual([
      "pixel-7",
      "fastest run",
      "32x32",
      "50",
      "1.23 ms",
      "4.6%",
      "62.0%",
      "90.0%",
      "96.0%",
      "80 models",
      "lp-0000000000000002",
    ]);
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      predictors.nth(0).locator("button.download").click(),
    ]);
    const bytes = await readFile(await download.path());
    expect(Buffer.compare(bytes, Buffer.from(await t.artifacts.get(newest.sha256)))).toBe(0);

    // A search for pixel-8, whose only phone is quarantined: listed as waiting, and its page says so.
    const waiting = await json<{ id: string }>("POST", "/v1/searches", t.auth.submit, {
      name: "waits-for-pixel-8",
      seed: 1,
      targets: [{ deviceClass: "pixel-8" }],
      budget: { generations: 1, population: 4 },
    });
    await page.reload();
    const row = page.locator("table.lab-waiting tbody tr", { hasText: "waits-for-pixel-8" });
    await row.waitFor();
    expect(await row.locator("td").allTextContents()).toEqual([
      "waits-for-pixel-8",
      "queued",
      "waiting for phones of class pixel-8",
    ]);
    await row.locator("a").click();
    await page.waitForURL(`**/#/searches/${waiting.id}`);
    await page.locator("#waiting-for-phones").waitFor();
    expect(await page.locator("#waiting-for-phones").textContent()).toMatch(/^waiting for phones of class pixel-8: /);
    await json("POST", `/v1/searches/${waiting.id}/cancel`, t.auth.submit);
  });

  it("compares two searches' fronts on one plot", async () => {
    const a = await seedSearchResults(t.database.db, { candidates: 60, generations: 4, seed: 3, name: "night A" });
    const b = await seedSearchResults(t.database.db, { candidates: 60, generations: 4, seed: 4, name: "night B" });
    const fronts = await Promise.all(
      [a, b].map((s) => json<{ points: unknown[] }>("GET", `/v1/searches/${s.id}/fronts/${TARGET}`, t.auth.read)),
    );
    await page.goto(`${base}/#/compare?a=${a.id}&b=${b.id}&target=${TARGET}`);
    await page.waitForSelector("#compare-plot svg");
    expect(await page.locator("#compare-plot path.front-line").count()).toBe(2);
    for (const [i, front] of fronts.entries()) {
      expect(await page.locator(`#compare-plot .point[data-series="${i}"]`).count()).toBe(front.points.length);
      expect(await page.getAttribute(`#compare-plot path.front-line[data-series="${i}"]`, "data-points")).toBe(
        String(front.points.length),
      );
    }
    const summary = (await page.textContent("#compare-summary")) ?? "";
    expect(summary).toContain(`A: night A: ${fronts[0]!.points.length} points on the front`);
    expect(summary).toContain(`B: night B: ${fronts[1]!.points.length} points on the front`);
    expect(summary).toMatch(/A's front dominates \d+% of B's; B's dominates \d+% of A's\./);
    await browser.screenshot("compare");
  });
});
