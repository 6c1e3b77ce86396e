import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as tfCore from "@tensorflow/tfjs-core";
import { QueueEvents } from "bullmq";
import {
  DEFAULT_SEARCH_SPACE,
  JOBS,
  QUEUES,
  kernelKey,
  kernelsOf,
  largestGenome,
  narrowSpace,
  type PayloadOf,
} from "@mfnas/core";
import { buildApi } from "@mfnas/api";
import { runCli } from "@mfnas/cli";
import { HOST_CPU_DEVICE_CLASS } from "@mfnas/devices";
import { fitPredictor, parseProfile, predictLatency, type PredictorScope } from "@mfnas/latency";
import { CatalogWorker } from "@mfnas/queue";
import { createLatencyProfileHandler, searcherResources, storedPredictorBook } from "@mfnas/searcher";
import { ApiKeyRepository } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { listenLocally, startTestApi, type TestApi } from "./support/api.ts";
import { ROOT } from "./support/database.ts";
import { openLab, quietLog, type Lab } from "./support/device-lab.ts";
import { emulatedPhoneRuntime } from "./support/latency-lab.ts";

/**
 * latency.profile end to end: the CLI asks the API, the API queues the job, the searcher's handler exports each
 * kernel and measures it through devicelab.measure on the emulated phone (a real adb server and agent), stores the
 * profile, and the searcher's predictor book reads the measured kernels back.
 */
const SPACE = {
  scales: [2],
  trunkWidths: [16],
  branchWidths: [8],
  branchKinds: ["conv3"],
  depth: { min: 1, max: 1 },
  upsamplers: ["pixel-shuffle"],
};
/** The emulated phone's runtime config of the latency benches, as flags (the API check below sends it as JSON). */
const RUNTIME_CONFIG = emulatedPhoneRuntime(3);
const RUNTIME = ["--runtime", "tflite", "--threads", "1", "--delegate", "xnnpack", "--warmup", "2", "--runs", "3"];

/** Runs the CLI in this process; returns its exit code and what it printed. */
async function runInProcess(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => (out.push(String(chunk)), true));
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => (err.push(String(chunk)), true));
  try {
    const code = await runCli(args, {}, () => undefined);
    return { code, out: out.join(""), err: err.join("") };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe("mfnas latency profile --spec (the API's queue, no worker)", () => {
  let t: TestApi;
  let url: string;
  beforeAll(async () => {
    t = await startTestApi();
    url = await listenLocally(t);
  });
  afterAll(() => t?.close());

  it("queues the profile of the spec's target of the class, with the spec's runtime config and input", async () => {
    const token = t.auth.submit.authorization.replace("Bearer ", "");
    const spec = path.join(ROOT, "examples/searches/snapdragon-865.yaml");
    const run = await runInProcess([
      "--api-url",
      url,
      "--api-key",
      token,
      "--json",
      "latency",
      "profile",
      "sm8250",
      "--spec",
      spec,
    ]);
    expect(run.code).toBe(0);
    const { jobId } = JSON.parse(run.out) as { jobId: string };
    const job = await t.jobs.queue(QUEUES.search.name).getJob(jobId);
    expect(job?.name).toBe("latency.profile");
    expect(job?.data).toEqual({
      deviceClass: "sm8250",
      runtimeConfig: { runtime: "tflite", threads: 4, delegate: "xnnpack", precision: "fp32", warmupRuns: 5, runs: 50 },
      inputHeight: 64,
      inputWidth: 64,
    });
    const other = await runInProcess([
      "--api-url",
      url,
      "--api-key",
      token,
      "latency",
      "profile",
      "pixel-7",
      "--spec",
      spec,
    ]);
    expect(other.code).not.toBe(0);
    expect(other.err).toContain("no target has device class pixel-7");
    const mixed = await runInProcess([
      ...["--api-url", url, "--api-key", token, "latency", "profile", "sm8250", "--spec", spec],
      ...["--threads", "1", "--input", "32x32"],
    ]);
    expect(mixed.code).not.toBe(0);
    expect(mixed.err).toContain("--spec gives the target; leave out --threads, --input");
  });
});

describe("latency.profile (CLI -> API -> searcher -> device lab, emulated phone)", () => {
  let lab: Lab;
  let api: FastifyInstance;
  let apiUrl: string;
  let token: string;
  let worker: CatalogWorker;
  let resources: ReturnType<typeof searcherResources>;
  let spaceFile: string;

  beforeAll(async () => {
    lab = await openLab({ adbPort: 5073 });
    api = await buildApi({ db: lab.db, jobs: lab.producer, artifacts: lab.artifacts, options: { rateLimit: false } });
    apiUrl = await api.listen({ host: "127.0.0.1", port: 0 });
    token = (await new ApiKeyRepository(lab.db).issue({ name: "submit", scopes: ["submit"], deviceClass: null })).token;
    resources = searcherResources({
      db: lab.db,
      redis: lab.redis,
      prefix: lab.prefix,
      artifactDir: lab.artifactDir,
      tf: tfCore,
      log: quietLog,
    });
    worker = new CatalogWorker({
      connection: lab.redis,
      prefix: lab.prefix,
      queue: QUEUES.search,
      handlers: { "latency.profile": createLatencyProfileHandler(resources.profiling) },
      log: quietLog,
      name: "latency-profile-test",
    });
    await worker.start();
    spaceFile = path.join(await mkdtemp(path.join(os.tmpdir(), "mfnas-profile-")), "space.json");
    await writeFile(spaceFile, JSON.stringify(SPACE));
  }, 120_000);

  afterAll(async () => {
    await worker?.close();
    await resources?.close();
    await api?.close();
    await lab?.close();
  });

  const cli = (args: string[]) => runInProcess(["--api-url", apiUrl, "--api-key", token, ...args]);

  /** Waits (with a deadline) until the search-queue job finished; returns its return value. */
  async function finished(jobId: string) {
    const connection = lab.redis.duplicate();
    const events = new QueueEvents(QUEUES.search.name, { connection, prefix: lab.prefix });
    try {
      await events.waitUntilReady();
      const job = await lab.producer.queue(QUEUES.search.name).getJob(jobId);
      if (!job) throw new Error(`no job ${jobId}`);
      return (await job.waitUntilFinished(events, 240_000)) as {
        kernels: number;
        measured: number;
        failed: number;
        artifact: string;
      };
    } finally {
      await events.close();
      connection.disconnect();
    }
  }

  it("refuses bad requests with the field named, before anything is queued", async () => {
    const badInput = await cli(["--json", "latency", "profile", HOST_CPU_DEVICE_CLASS, "--input", "8x"]);
    expect(badInput.code).not.toBe(0);
    expect(JSON.parse(badInput.err)).toEqual({ error: '--input: "8x" is not HxW (e.g. 64x64)' });
    const badThreads = await cli(["latency", "profile", HOST_CPU_DEVICE_CLASS, "--threads", "0", "--input", "8x8"]);
    expect(badThreads.code).not.toBe(0);
    expect(badThreads.err).toMatch(/threads/);
    const response = await api.inject({
      method: "POST",
      url: `/v1/predictors/${HOST_CPU_DEVICE_CLASS}/profile`,
      headers: { authorization: `Bearer ${token}` },
      payload: {
        runtimeConfig: RUNTIME_CONFIG,
        inputHeight: 8,
        inputWidth: 8,
        space: { depth: { min: 9 } },
      },
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toMatch(/space/);
    expect(await lab.producer.queue(QUEUES.search.name).getJobCounts()).toMatchObject({ waiting: 0, active: 0 });
  });

  it("measures every planned kernel on the phone, stores the profile, and the searcher predicts from it", async () => {
    const args = ["latency", "profile", HOST_CPU_DEVICE_CLASS, ...RUNTIME, "--input", "8x8", "--block-share", "1"];
    args.push("--space", spaceFile);
    // Before any profile the searcher's book has no kernels for the scope and says how to profile.
    const warnings: string[] = [];
    const book = storedPredictorBook(lab.db, () => Promise.reject(new Error("nothing is stored here")), {
      warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
    });
    const scope: PredictorScope = {
      deviceClass: HOST_CPU_DEVICE_CLASS,
      runtimeConfig: RUNTIME_CONFIG,
      input: { height: 8, width: 8 },
      statistic: "median",
    };
    expect((await book.load(scope)).kernels).toEqual([]);
    expect(warnings).toEqual([expect.stringContaining(`mfnas latency profile ${HOST_CPU_DEVICE_CLASS}`)]);
    const run = await cli(["--json", ...args]);
    expect(run.err).toBe("");
    expect(run.code).toBe(0);
    const { jobId } = JSON.parse(run.out) as { jobId: string };
    expect(jobId).toMatch(/^latency\.profile-[0-9a-f]{32}$/);
    const result = await finished(jobId);
    expect(result.failed).toBe(0);
    expect(result.measured).toBe(result.kernels);
    expect(result.kernels).toBeGreaterThanOrEqual(6);

    const stored = await lab.db.artifact.findUniqueOrThrow({ where: { sha256: result.artifact } });
    expect(stored.metadata).toMatchObject({ report: "kernel-profile", deviceClass: HOST_CPU_DEVICE_CLASS });
    const profile = parseProfile(new TextDecoder().decode(await lab.artifacts.get(result.artifact)));
    expect(profile.samples).toHaveLength(result.kernels);
    expect(profile.scope.runtimeConfig).toEqual(RUNTIME_CONFIG);
    for (const s of profile.samples) expect(s.ms).toBeGreaterThan(0);
    // One Measurement row per kernel, measured on the emulated phone with the requested runtime config.
    const measurements = await lab.db.measurement.count({ where: { deviceClass: HOST_CPU_DEVICE_CLASS } });
    expect(measurements).toBe(result.kernels);

    // The searcher's predictors start from the stored kernels: a genome of the space is predicted as the sum of
    // its measured kernels (no SubGenerator measured yet, so no correction).
    const data = await book.load(scope);
    expect(data.kernels).toHaveLength(result.kernels);
    expect(warnings).toHaveLength(1); // from the load before the profile, none since
    const genome = largestGenome(narrowSpace(DEFAULT_SEARCH_SPACE, SPACE as never), 2);
    const byKey = new Map(profile.samples.map((s) => [kernelKey(s.kernel), s.ms]));
    const sum = kernelsOf(genome, 8, 8).reduce((total, k) => total + (byKey.get(kernelKey(k)) ?? NaN), 0);
    expect(predictLatency(fitPredictor(scope, data.kernels, data.samples), genome).meanMs).toBeCloseTo(sum, 6);

    // The same request again runs the job again and measures nothing new: every kernel's row is reused.
    const again = await cli(["--json", ...args]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.out)).toMatchObject({ jobId });
    const second = await finished(jobId);
    expect(second).toMatchObject({ measured: result.kernels, failed: 0 });
    expect(await lab.db.measurement.count({ where: { deviceClass: HOST_CPU_DEVICE_CLASS } })).toBe(measurements);
  }, 300_000);

  it("has a deterministic job id per request", () => {
    const payload: PayloadOf<"latency.profile"> = {
      deviceClass: HOST_CPU_DEVICE_CLASS,
      runtimeConfig: RUNTIME_CONFIG,
      inputHeight: 8,
      inputWidth: 8,
    };
    expect(JOBS.latencyProfile.jobId(payload)).toBe(JOBS.latencyProfile.jobId({ ...payload }));
    expect(JOBS.latencyProfile.jobId(payload)).not.toBe(JOBS.latencyProfile.jobId({ ...payload, seed: 2 }));
  });
});
