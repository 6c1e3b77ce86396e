import { randomUUID } from "node:crypto";
import { Queue, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MfnasError, QUEUES } from "@mfnas/core";
import {
  CatalogWorker,
  JobProducer,
  createRedis,
  throwIfAborted,
  type JobHandlers,
  type WorkerLog,
} from "@mfnas/queue";
import { TEST_REDIS_URL } from "../../../tests/support/env.ts";
import { uniqueName } from "../../../tests/support/database.ts";

const quiet: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe("catalog queues on real Redis", () => {
  let redis: Redis;
  let prefix: string;
  let producer: JobProducer;
  const workers: CatalogWorker[] = [];

  beforeEach(() => {
    redis = createRedis(TEST_REDIS_URL);
    prefix = uniqueName("mfnas-test");
    producer = new JobProducer({
      connection: redis,
      prefix,
      retry: { "search.run": { attempts: 3, backoffDelayMs: 300 } },
    });
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
    await producer.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  type Settlement = { state: "completed" | "failed"; job: Job };
  /** Every final settlement each worker saw, recorded from before it starts, so no event can slip past a test. */
  const journals = new WeakMap<CatalogWorker, { seen: Settlement[]; notify: Set<() => void> }>();

  async function startWorker(handlers: JobHandlers, extra: { lockDurationMs?: number } = {}): Promise<CatalogWorker> {
    const worker = new CatalogWorker({
      connection: redis,
      prefix,
      queue: QUEUES.search,
      handlers,
      log: quiet,
      ...extra,
    });
    workers.push(worker);
    const journal = { seen: [] as Settlement[], notify: new Set<() => void>() };
    const record = (entry: Settlement): void => {
      journal.seen.push(entry);
      for (const wake of journal.notify) wake();
    };
    worker.bullWorker.on("completed", (job) => record({ state: "completed", job }));
    worker.bullWorker.on("failed", (job) => {
      if (job && (job.attemptsMade >= (job.opts.attempts ?? 1) || job.finishedOn !== undefined)) {
        record({ state: "failed", job });
      }
    });
    journals.set(worker, journal);
    await worker.start();
    return worker;
  }

  /** The nth (1-based) final settlement of a job on a worker, whether it happened already or is still to come. */
  function settled(worker: CatalogWorker, jobId: string, nth = 1): Promise<Settlement> {
    const journal = journals.get(worker);
    if (!journal) throw new Error("worker was not started through startWorker");
    return new Promise((resolve) => {
      const check = (): void => {
        const hit = journal.seen.filter((e) => e.job.id === jobId)[nth - 1];
        if (!hit) return;
        journal.notify.delete(check);
        resolve(hit);
      };
      journal.notify.add(check);
      check();
    });
  }

  it("refuses a bad payload at enqueue, naming the field, and writes nothing to Redis", async () => {
    await expect(producer.enqueue("search.run", { searchId: "not-a-uuid" })).rejects.toMatchObject({
      code: "invalid_payload",
      message: expect.stringContaining("searchId") as unknown,
    });
    await expect(producer.enqueue("search.run", { searchId: randomUUID(), extra: 1 } as never)).rejects.toThrow(
      /extra/,
    );
    const counts = await producer.queue(QUEUES.search.name).getJobCounts();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
  });

  it("refuses a job forged straight into Redis at pick-up, as a permanent failure without retries", async () => {
    let calls = 0;
    const worker = await startWorker({ "search.run": () => Promise.resolve(calls++) });
    const raw = new Queue(QUEUES.search.name, { connection: redis, prefix });
    const forged = await raw.add(
      "search.run",
      { searchId: 42 },
      { jobId: "forged-1", attempts: 5, backoff: { type: "fixed", delay: 10 } },
    );
    const unknown = await raw.add("search.explode", { searchId: randomUUID() }, { jobId: "forged-2", attempts: 5 });
    const [a, b] = await Promise.all([settled(worker, forged.id ?? ""), settled(worker, unknown.id ?? "")]);
    await raw.close();
    expect(a.state).toBe("failed");
    expect(a.job.attemptsMade).toBe(1);
    expect(a.job.failedReason).toMatch(/invalid payload for search\.run: searchId/);
    expect(await a.job.getState()).toBe("failed");
    expect(b.job.attemptsMade).toBe(1);
    expect(b.job.failedReason).toMatch(/unknown job name "search\.explode"/);
    expect(calls).toBe(0);
  });

  it("retries a transient failure with exponential backoff, and does not retry a permanent one", async () => {
    const attemptsAt: number[] = [];
    const permanentId = randomUUID();
    let permanentCalls = 0;
    const worker = await startWorker({
      "search.run": ({ payload }) => {
        if (payload.searchId === permanentId) {
          permanentCalls++;
          throw new MfnasError("not_found", `search ${payload.searchId} does not exist`);
        }
        attemptsAt.push(Date.now());
        if (attemptsAt.length < 3) throw new MfnasError("transient", "postgres blipped");
        return Promise.resolve("done");
      },
    });
    const transient = await producer.enqueue("search.run", { searchId: randomUUID() });
    const permanent = await producer.enqueue("search.run", { searchId: permanentId });
    const [t, p] = await Promise.all([settled(worker, transient.jobId), settled(worker, permanent.jobId)]);
    expect(t.state).toBe("completed");
    expect(t.job.attemptsMade).toBe(3);
    const [first = 0, second = 0, third = 0] = attemptsAt;
    expect(second - first).toBeGreaterThanOrEqual(300); // 300 ms, then 600 ms
    expect(third - second).toBeGreaterThanOrEqual(600);
    expect(p.state).toBe("failed");
    expect(p.job.attemptsMade).toBe(1);
    expect(permanentCalls).toBe(1);
  });

  it("runs the same job enqueued twice once, under its deterministic id", async () => {
    const searchId = randomUUID();
    const a = await producer.enqueue("search.run", { searchId });
    const b = await producer.enqueue("search.run", { searchId });
    expect(a.jobId).toBe(`search.run-${searchId}`);
    expect(b.jobId).toBe(a.jobId);
    let runs = 0;
    const worker = await startWorker({ "search.run": () => Promise.resolve(++runs) });
    const done = await settled(worker, a.jobId);
    expect(done.state).toBe("completed");
    // After completion the id is still taken: enqueueing again is a no-op.
    await producer.enqueue("search.run", { searchId });
    const counts = await producer.queue(QUEUES.search.name).getJobCounts("completed", "wait", "active", "delayed");
    expect(counts).toEqual({ completed: 1, wait: 0, active: 0, delayed: 0 });
    expect(runs).toBe(1);
  });

  it("leaves a job that failed for good in place, unless the producer asks to retry failed jobs", async () => {
    const searchId = randomUUID();
    let fixed = false;
    const worker = await startWorker({
      "search.run": () => (fixed ? Promise.resolve("ok") : Promise.reject(new MfnasError("invalid_input", "a bug"))),
    });
    const first = settled(worker, `search.run-${searchId}`);
    await producer.enqueue("search.run", { searchId });
    expect((await first).state).toBe("failed");
    fixed = true;
    await producer.enqueue("search.run", { searchId });
    const queue = producer.queue(QUEUES.search.name);
    expect(await (await queue.getJob(`search.run-${searchId}`))?.getState()).toBe("failed");
    const second = settled(worker, `search.run-${searchId}`, 2);
    await producer.enqueue("search.run", { searchId }, { retryFailed: true });
    expect((await second).state).toBe("completed");
    expect(await queue.getJobCounts("completed", "failed")).toEqual({ completed: 1, failed: 0 });
  });

  it("puts a running job back on the queue on graceful shutdown without spending an attempt", async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const first = await startWorker({
      "search.run": async ({ signal }) => {
        started();
        while (!signal.aborted) await new Promise((r) => setTimeout(r, 20));
        throwIfAborted(signal);
      },
    });
    const { jobId } = await producer.enqueue("search.run", { searchId: randomUUID() });
    await running;
    await first.close();
    const job = await producer.queue(QUEUES.search.name).getJob(jobId);
    expect(["wait", "delayed"]).toContain(await job?.getState());
    expect(job?.attemptsMade).toBe(0);

    const second = await startWorker({ "search.run": () => Promise.resolve("resumed") });
    const done = await settled(second, jobId);
    expect(done.state).toBe("completed");
    expect(done.job.returnvalue).toBe("resumed");
  });
});
