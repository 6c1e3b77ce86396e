import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MfnasError, QUEUES } from "@mfnas/core";
import {
  CatalogWorker,
  JobProducer,
  ServiceMetrics,
  createRedis,
  startMetricsServer,
  type MetricsServer,
  type WorkerLog,
} from "@mfnas/queue";
import { TEST_REDIS_URL } from "../../../tests/support/env.ts";
import { uniqueName } from "../../../tests/support/database.ts";
import {
  parsePrometheusText,
  promtoolPath,
  promtoolProblems,
  samplesOf,
} from "../../../tests/support/prometheus-text.ts";

const quiet: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe("ServiceMetrics and the metrics server on real Redis", () => {
  let redis: Redis;
  let prefix: string;
  let producer: JobProducer;
  let metrics: ServiceMetrics;
  let server: MetricsServer | undefined;
  let worker: CatalogWorker | undefined;

  beforeEach(() => {
    redis = createRedis(TEST_REDIS_URL);
    prefix = uniqueName("mfnas-test");
    producer = new JobProducer({ connection: redis, prefix });
    metrics = new ServiceMetrics({ service: "test", log: quiet });
  });
  afterEach(async () => {
    await worker?.close();
    await server?.close();
    await metrics.close();
    await producer.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  async function scrape(path = "/metrics"): Promise<Response> {
    server ??= await startMetricsServer({ registry: metrics.registry, port: 0, host: "127.0.0.1" });
    return fetch(`http://127.0.0.1:${server.port}${path}`);
  }

  it("exports queue depth and the oldest waiting job's age, job durations, failures and worker load", async () => {
    metrics.watchQueue(redis, prefix, QUEUES.search.name);
    metrics.watchQueue(redis, prefix, QUEUES.train.name);
    // Two training jobs wait with no trainer: the older one sets the age.
    await producer.enqueue("trainer.train-supernet", { supernetId: randomUUID() });
    await new Promise((r) => setTimeout(r, 1_100));
    await producer.enqueue("trainer.train-supernet", { supernetId: randomUUID() });

    const failing = randomUUID();
    worker = new CatalogWorker({
      connection: redis,
      prefix,
      queue: QUEUES.search,
      concurrency: 2,
      log: quiet,
      handlers: {
        "search.run": async ({ payload }) => {
          await new Promise((r) => setTimeout(r, 150));
          if (payload.searchId === failing) throw new MfnasError("not_found", "no such search");
          return { ok: true };
        },
      },
    });
    metrics.instrumentWorker(worker);
    const settled = new Promise<void>((resolve) => {
      let n = 0;
      const done = () => (++n === 3 ? resolve() : undefined);
      worker!.bullWorker.on("completed", done);
      worker!.bullWorker.on("failed", done);
    });
    await worker.start();
    await producer.enqueue("search.run", { searchId: randomUUID() });
    await producer.enqueue("search.run", { searchId: randomUUID() });
    await producer.enqueue("search.run", { searchId: failing });
    await settled;

    const response = await scrape();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const families = parsePrometheusText(text);

    const jobs = (queue: string, state: string) => samplesOf(families, "mfnas_queue_jobs", { queue, state })[0]?.value;
    expect(jobs("train", "waiting")).toBe(2);
    expect(jobs("search", "waiting")).toBe(0);
    expect(jobs("search", "completed")).toBe(2);
    expect(jobs("search", "failed")).toBe(1);
    const age = samplesOf(families, "mfnas_queue_oldest_waiting_age_seconds", { queue: "train" })[0]?.value ?? 0;
    expect(age).toBeGreaterThanOrEqual(1);
    expect(age).toBeLessThan(60);
    expect(samplesOf(families, "mfnas_queue_oldest_waiting_age_seconds", { queue: "search" })[0]?.value).toBe(0);

    const completedCount = samplesOf(families, "mfnas_job_duration_seconds_count", {
      queue: "search",
      name: "search.run",
      outcome: "completed",
    })[0];
    expect(completedCount?.value).toBe(2);
    const sum = samplesOf(families, "mfnas_job_duration_seconds_sum", { outcome: "completed" })[0]?.value ?? 0;
    expect(sum).toBeGreaterThanOrEqual(0.25);
    expect(samplesOf(families, "mfnas_jobs_completed_total", { queue: "search", name: "search.run" })[0]?.value).toBe(
      2,
    );
    expect(samplesOf(families, "mfnas_job_failures_total", { queue: "search", final: "true" })[0]?.value).toBe(1);

    expect(samplesOf(families, "mfnas_worker_concurrency", { queue: "search" })[0]?.value).toBe(2);
    expect(samplesOf(families, "mfnas_worker_active_jobs", { queue: "search" })[0]?.value).toBe(0);
    const busy = samplesOf(families, "mfnas_worker_busy_seconds_total", { queue: "search" })[0]?.value ?? 0;
    expect(busy).toBeGreaterThanOrEqual(0.4);
    const utilization = samplesOf(families, "mfnas_worker_utilization_ratio", { queue: "search" })[0]?.value ?? -1;
    expect(utilization).toBeGreaterThan(0);
    expect(utilization).toBeLessThanOrEqual(1);
    // Every series carries the service label; default process metrics are there.
    expect(samplesOf(families, "mfnas_queue_jobs").every((s) => s.labels["service"] === "test")).toBe(true);
    expect(families.has("process_cpu_user_seconds_total")).toBe(true);

    const promtool = promtoolPath();
    if (promtool) expect(promtoolProblems(promtool, text)).toEqual([]);
  });

  it("answers /healthz, /readyz from its check, 404 elsewhere, and survives an unreadable queue", async () => {
    let ready = true;
    server = await startMetricsServer({
      registry: metrics.registry,
      port: 0,
      host: "127.0.0.1",
      ready: () => (ready ? Promise.resolve() : Promise.reject(new Error("redis down"))),
    });
    expect((await scrape("/healthz")).status).toBe(200);
    expect((await scrape("/readyz")).status).toBe(200);
    ready = false;
    expect((await scrape("/readyz")).status).toBe(503);
    expect((await scrape("/nope")).status).toBe(404);

    const broken = createRedis("redis://127.0.0.1:1", "unreachable");
    broken.on("error", () => undefined);
    metrics.watchQueue(broken, prefix, "evaluate");
    const scraped = await Promise.race([
      scrape().then(async (r) => ({ status: r.status, text: await r.text() })),
      new Promise<never>((_r, reject) => setTimeout(() => reject(new Error("scrape hung")), 60_000)),
    ]);
    broken.disconnect();
    expect(scraped.status).toBe(200);
    expect(samplesOf(parsePrometheusText(scraped.text), "mfnas_queue_jobs", { queue: "evaluate" })).toEqual([]);
  });
});
