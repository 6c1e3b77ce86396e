import { mkdtemp, readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { QueueEvents } from "bullmq";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JOBS, QUEUES, type JobName, type PayloadOf } from "@mfnas/core";
import { startEmulatedPhones, type RunningEmulatedPhone } from "@mfnas/devices";
import { JobProducer, createRedis, startMetricsServer } from "@mfnas/queue";
import { LocalArtifactStore, SearchRepository, SupernetRepository } from "@mfnas/store";
import { TEACHER_FIXTURE, tinyConfig } from "./support/tiny-teacher.ts";
import { startTestApi } from "./support/api.ts";
import { createTestDatabase, uniqueName, type TestDatabase } from "./support/database.ts";
import { startAdbServer } from "./support/device-lab.ts";
import { TEST_REDIS_URL } from "./support/env.ts";
import { eventually, metricsPort, startService, type ServiceProcess } from "./support/processes.ts";
import {
  parsePrometheusText,
  promtoolPath,
  promtoolProblems,
  samplesOf,
  type MetricFamily,
} from "./support/prometheus-text.ts";

// Each mfnas service started as its own process (the API in-process, as its tests build it), driven through
// real work where that is cheap here, then scraped: /metrics must parse strictly (and pass promtool's parser
// when it is installed) and carry the series the dashboards and alert rules use.

type Families = Map<string, MetricFamily>;

async function scrapeText(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

function parsed(text: string): Families {
  const families = parsePrometheusText(text);
  const promtool = promtoolPath();
  if (promtool) expect(promtoolProblems(promtool, text)).toEqual([]);
  return families;
}

async function scrape(port: number): Promise<Families> {
  return parsed(await scrapeText(`http://127.0.0.1:${port}/metrics`));
}

function value(families: Families, name: string, labels: Record<string, string> = {}): number | undefined {
  return samplesOf(families, name, labels)[0]?.value;
}

/** Families every worker service exports through the queue package. */
const WORKER_FAMILIES = [
  "mfnas_queue_jobs",
  "mfnas_queue_oldest_waiting_age_seconds",
  "mfnas_job_duration_seconds",
  "mfnas_jobs_completed_total",
  "mfnas_job_failures_total",
  "mfnas_worker_busy_seconds_total",
  "mfnas_worker_utilization_ratio",
  "process_cpu_user_seconds_total",
];

describe("each service's /metrics", () => {
  let database: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let producer: JobProducer;
  const services: ServiceProcess[] = [];
  const cleanups: Array<() => Promise<void>> = [];

  beforeEach(async () => {
    database = await createTestDatabase();
    redis = createRedis(TEST_REDIS_URL);
    prefix = uniqueName("mfnas-test");
    producer = new JobProducer({ connection: redis, prefix });
  });
  afterEach(async () => {
    for (const s of services.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await producer.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
  });

  function start(service: string, env: Record<string, string> = {}): ServiceProcess {
    const s = startService(service, {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      METRICS_HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...env,
    });
    services.push(s);
    return s;
  }

  /** Enqueues a job and waits until it has finished (completed or failed for good). */
  async function runJob<N extends JobName>(name: N, payload: PayloadOf<N>, queue: string, timeoutMs = 120_000) {
    const connection = redis.duplicate();
    const events = new QueueEvents(queue, { connection, prefix });
    try {
      await events.waitUntilReady();
      const { jobId } = await producer.enqueue(name, payload);
      const job = (await producer.queue(queue).getJob(jobId))!;
      await job.waitUntilFinished(events, timeoutMs).catch(() => undefined);
      return job;
    } finally {
      await events.close();
      connection.disconnect();
    }
  }

  it("searcher: search progress (generations, hypervolume, front size) and its queue and jobs", async () => {
    const searcher = start("searcher");
    const port = await metricsPort(searcher);
    const generations = 4;
    const spec = { name: "metrics", seed: 5, budget: { generations, population: 8 } };
    const { id } = await new SearchRepository(database.db).create({ name: "metrics", spec, seed: 5 });
    const job = await runJob(JOBS.searchRun.name, { searchId: id }, QUEUES.search.name);
    expect(await job.getState()).toBe("completed");

    const families = await scrape(port);
    for (const name of WORKER_FAMILIES) expect(families.has(name), name).toBe(true);
    expect(value(families, "mfnas_search_generations_total")).toBe(generations);
    expect(value(families, "mfnas_search_generation", { search_id: id })).toBe(generations - 1);
    const stored = await database.db.generation.findFirstOrThrow({ where: { searchId: id, index: generations - 1 } });
    expect(value(families, "mfnas_search_front_size", { search_id: id })).toBe((stored.front as unknown[]).length);
    if (stored.hypervolume !== null) {
      expect(value(families, "mfnas_search_hypervolume", { search_id: id })).toBeCloseTo(stored.hypervolume, 9);
    }
    expect(families.has("mfnas_search_hypervolume")).toBe(true);
    expect(value(families, "mfnas_searches_finished_total", { status: "succeeded" })).toBe(1);
    expect(value(families, "mfnas_queue_jobs", { queue: "search", state: "completed" })).toBe(1);
    expect(value(families, "mfnas_jobs_completed_total", { queue: "search", name: "search.run" })).toBe(1);
    expect(value(families, "mfnas_worker_utilization_ratio", { queue: "search" })).toBeGreaterThan(0);
    expect(value(families, "mfnas_job_duration_seconds_count", { queue: "search", outcome: "completed" })).toBe(1);
    expect(samplesOf(families, "mfnas_queue_jobs").every((s) => s.labels["service"] === "searcher")).toBe(true);

    const health = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(health.status).toBe(200);
  });

  it("trainer: steps and images per second, the step reached, and the train queue's load", async () => {
    const artifactDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-metrics-"));
    const teacher = new Uint8Array(await readFile(TEACHER_FIXTURE));
    const { sha256 } = await new LocalArtifactStore(artifactDir, database.db).put({ bytes: teacher, kind: "weights" });
    const cfg = tinyConfig(sha256, { steps: 4, checkpointEvery: 4, logEvery: 2, batch: 2 });
    const supernet = await new SupernetRepository(database.db).create({
      name: "metrics",
      searchSpace: {},
      trainingConfig: cfg,
    });
    const trainer = start("trainer", { ARTIFACT_DIR: artifactDir, TRAINER_BACKEND: "wasm" });
    const port = await metricsPort(trainer, 360_000);
    const job = await runJob(JOBS.trainSupernet.name, { supernetId: supernet.id }, QUEUES.train.name, 720_000);
    expect(await job.getState()).toBe("completed");

    const families = await scrape(port);
    for (const name of WORKER_FAMILIES) expect(families.has(name), name).toBe(true);
    expect(value(families, "mfnas_trainer_steps_total")).toBe(4);
    expect(value(families, "mfnas_trainer_images_total")).toBe(8);
    expect(value(families, "mfnas_trainer_step", { supernet_id: supernet.id })).toBe(4);
    expect(value(families, "mfnas_trainer_steps_per_second", { supernet_id: supernet.id })).toBeGreaterThan(0);
    expect(value(families, "mfnas_trainer_images_per_second", { supernet_id: supernet.id })).toBeGreaterThan(0);
    expect(value(families, "mfnas_worker_concurrency", { queue: "train" })).toBe(1);
    expect(value(families, "mfnas_worker_utilization_ratio", { queue: "train" })).toBeGreaterThan(0);
    expect(value(families, "mfnas_jobs_completed_total", { queue: "train", name: "trainer.train-supernet" })).toBe(1);
  });

  it("evaluator: candidates evaluated by path, failures by job name, the evaluate queue's load", async () => {
    const evaluator = start("evaluator", { EVALUATOR_PATH: "onnxruntime", EVALUATOR_BACKEND: "wasm" });
    const port = await metricsPort(evaluator, 360_000);
    // A candidate of a supernet that does not exist: a permanent failure, counted as final.
    const job = await runJob(
      JOBS.evaluateCandidate.name,
      {
        supernetId: randomUUID(),
        checkpointStep: 1,
        genomeHash: "0".repeat(64),
        genome: "x",
        validationSet: "bundled:val",
      },
      QUEUES.evaluate.name,
    );
    expect(await job.getState()).toBe("failed");

    const families = await scrape(port);
    for (const name of WORKER_FAMILIES) expect(families.has(name), name).toBe(true);
    expect(value(families, "mfnas_evaluator_candidates_evaluated_total", { path: "onnxruntime" })).toBe(0);
    expect(families.has("mfnas_evaluator_evaluation_seconds")).toBe(true);
    const failed = { queue: "evaluate", name: "evaluator.evaluate-candidate", final: "true" };
    expect(value(families, "mfnas_job_failures_total", failed)).toBe(1);
    expect(value(families, "mfnas_queue_jobs", { queue: "evaluate", state: "failed" })).toBe(1);
    expect(value(families, "mfnas_worker_concurrency", { queue: "evaluate" })).toBe(1);
  });

  it("device-lab: devices by class and state, measurements per class, the class's queue", async () => {
    const adbPort = 5061;
    const adb = await startAdbServer(adbPort);
    const phones: RunningEmulatedPhone[] = await startEmulatedPhones(1, { adb: { port: adbPort } });
    cleanups.push(async () => {
      await Promise.all(phones.map((p) => p.stop().catch(() => p.kill())));
      await adb.stop();
    });
    const host = uniqueName("agent");
    const lab = start("device-lab", {
      ADB_PORT: String(adbPort),
      DEVICE_LAB_AGENT_HOST: host,
      ARTIFACT_DIR: await mkdtemp(path.join(os.tmpdir(), "mfnas-metrics-")),
    });
    const port = await metricsPort(lab, 360_000);
    await lab.waitFor(/device-lab ready/, 180_000);

    const families = await eventually(async () => {
      const f = await scrape(port);
      return value(f, "mfnas_devicelab_devices", { device_class: "host-cpu", state: "online" }) === 1 ? f : undefined;
    });
    expect(value(families, "mfnas_devicelab_devices", { device_class: "host-cpu", state: "offline" })).toBe(0);
    expect(
      value(families, "mfnas_devicelab_measurements_total", { device_class: "host-cpu", outcome: "measured" }),
    ).toBe(0);
    expect(families.has("mfnas_devicelab_measurement_duration_seconds")).toBe(true);
    expect(value(families, "mfnas_queue_jobs", { queue: "measure.host-cpu", state: "waiting" })).toBe(0);
    expect(value(families, "mfnas_worker_concurrency", { queue: "measure.host-cpu" })).toBe(1);

    // The phone goes away: the agent marks it offline, and the gauge follows.
    await phones[0]!.stop();
    await eventually(
      async () => {
        const f = await scrape(port);
        return value(f, "mfnas_devicelab_devices", { device_class: "host-cpu", state: "offline" }) === 1
          ? true
          : undefined;
      },
      180_000,
      "the phone offline in the metrics",
    );
  });

  it("scheduler: the latest run's status per schedule, from the scheduler's history", async () => {
    const schedule = await database.db.schedule.create({
      data: { name: "nightly", cron: "0 3 * * *", searchSpec: { name: "n" }, enabled: false },
    });
    const search = await database.db.search.create({
      data: { name: "n", spec: {}, seed: 1, status: "failed", scheduleId: schedule.id },
    });
    const slot = new Date("2026-01-02T03:00:00Z");
    await database.db.scheduleRun.create({ data: { scheduleId: schedule.id, slot, searchId: search.id } });
    const scheduler = start("scheduler");
    const port = await metricsPort(scheduler);

    const families = await scrape(port);
    expect(value(families, "mfnas_schedule_last_run_status", { schedule: "nightly", status: "failed" })).toBe(1);
    expect(value(families, "mfnas_schedule_last_run_status", { schedule: "nightly", status: "succeeded" })).toBe(0);
    expect(value(families, "mfnas_schedule_last_run_timestamp_seconds", { schedule: "nightly" })).toBe(
      slot.getTime() / 1000,
    );
    expect(families.has("mfnas_schedule_last_success_timestamp_seconds")).toBe(true);
    expect(value(families, "mfnas_queue_jobs", { queue: "schedule", state: "waiting" })).toBeDefined();
    // Autoscaling reads the train and evaluate counts from the always-running scheduler (k8s/base/keda.yaml).
    for (const queue of [QUEUES.train.name, QUEUES.evaluate.name]) {
      expect(value(families, "mfnas_queue_jobs", { queue, state: "waiting" }), queue).toBe(0);
      expect(value(families, "mfnas_queue_jobs", { queue, state: "active" }), queue).toBe(0);
    }
  });

  it("api: request latency by route template, method and status", async () => {
    const api = await startTestApi();
    cleanups.push(() => api.close());
    const address = await api.app.listen({ host: "127.0.0.1", port: 0 });
    await fetch(`${address}/v1/searches`, { headers: api.auth.read });
    await fetch(`${address}/v1/searches`);
    // /metrics is not on the API's port: main.ts serves the app's registry on API_METRICS_PORT, as here.
    expect((await fetch(`${address}/metrics`)).status).toBe(404);
    const server = await startMetricsServer({ registry: api.app.metricsRegistry, port: 0, host: "127.0.0.1" });
    cleanups.push(() => server.close());
    const families = await scrape(server.port);
    const ok = { method: "GET", route: "/v1/searches", status_code: "200" };
    expect(value(families, "mfnas_api_request_duration_seconds_count", ok)).toBe(1);
    expect(value(families, "mfnas_api_request_duration_seconds_count", { ...ok, status_code: "401" })).toBe(1);
    // Process metrics under the names every service uses, labelled with the service, as the dashboards read them.
    expect(value(families, "process_resident_memory_bytes", { service: "api" })).toBeGreaterThan(0);
    expect(value(families, "process_cpu_seconds_total", { service: "api" })).toBeGreaterThan(0);
  });
});
