import { QueueEvents, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JOBS, QUEUES } from "@mfnas/core";
import { JobProducer, createRedis } from "@mfnas/queue";
import { SearchRepository } from "@mfnas/store";
import { createTestDatabase, uniqueName, type TestDatabase } from "./support/database.ts";
import { TEST_REDIS_URL } from "./support/env.ts";
import { eventually, startService, type ServiceProcess } from "./support/processes.ts";

describe("searcher killed with SIGKILL mid-search", () => {
  let database: TestDatabase;
  let redis: Redis;
  let prefix: string;
  const services: ServiceProcess[] = [];

  beforeEach(async () => {
    database = await createTestDatabase();
    redis = createRedis(TEST_REDIS_URL);
    prefix = uniqueName("mfnas-test");
  });
  afterEach(async () => {
    for (const s of services.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
  });

  function searcher(): ServiceProcess {
    const s = startService("searcher", {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      // Short lock and stall check so the test does not wait the production minute for takeover.
      SEARCHER_LOCK_DURATION_MS: "2000",
      SEARCHER_STALLED_INTERVAL_MS: "1000",
      LOG_LEVEL: "info",
    });
    services.push(s);
    return s;
  }

  const GENERATIONS = 60;

  /** Creates a search long enough to interrupt and queues its search.run job. */
  async function submitSearch(producer: JobProducer, name: string, seed: number) {
    const spec = { name, seed, budget: { generations: GENERATIONS, population: 24 } };
    const { id } = await new SearchRepository(database.db).create({ name, spec, seed });
    const { jobId } = await producer.enqueue(JOBS.searchRun.name, { searchId: id });
    return { id, jobId };
  }

  /** Waits until the search has stored a few generations, i.e. it is in the middle of its run. */
  function midRun(id: string) {
    return eventually(
      async () => {
        const s = await database.db.search.findUnique({ where: { id } });
        return (s?.lastGeneration ?? -1) >= 3 ? s : undefined;
      },
      90_000,
      "generation 3",
    );
  }

  /** Waits on queue events until the job has finished (completed or failed for good). */
  async function finished(producer: JobProducer, jobId: string): Promise<Job> {
    const eventsConnection = redis.duplicate();
    const events = new QueueEvents(QUEUES.search.name, { connection: eventsConnection, prefix });
    try {
      await events.waitUntilReady();
      const job = (await producer.queue(QUEUES.search.name).getJob(jobId))!;
      await job.waitUntilFinished(events, 180_000);
      return job;
    } finally {
      await events.close();
      eventsConnection.disconnect();
    }
  }

  it("is picked up again by another worker and every generation is written exactly once", async () => {
    const producer = new JobProducer({ connection: redis, prefix });
    const { id, jobId } = await submitSearch(producer, "crash", 7);

    const first = searcher();
    await first.waitFor(/searcher ready/);
    await midRun(id);
    first.child.kill("SIGKILL");
    const killed = await first.exited;
    expect(killed.signal).toBe("SIGKILL");
    const atKill = await database.db.search.findUniqueOrThrow({ where: { id } });
    expect(atKill.status).toBe("running");
    expect(atKill.lastGeneration).toBeLessThan(GENERATIONS - 1);

    const second = searcher();
    const job = await finished(producer, jobId);
    expect(await job.getState()).toBe("completed");
    await producer.close();

    expect(second.output()).toMatch(/resuming search/);
    const done = await database.db.search.findUniqueOrThrow({ where: { id } });
    expect(done.status).toBe("succeeded");
    expect(done.lastGeneration).toBe(GENERATIONS - 1);
    const rows = await database.sql<{ index: number }>(
      `SELECT "index" FROM "Generation" WHERE "searchId" = $1 ORDER BY "index"`,
      [id],
    );
    expect(rows.map((r) => r.index)).toEqual(Array.from({ length: GENERATIONS }, (_, i) => i));
    // Candidates: one row per distinct genome of the whole search, however often it was sampled or replayed.
    const generations = await database.db.generation.findMany({ where: { searchId: id }, select: { state: true } });
    const distinct = new Set(generations.flatMap((g) => (g.state as { evaluated: string[] }).evaluated));
    expect(await database.db.candidate.count({ where: { searchId: id } })).toBe(distinct.size);
  });

  it("on SIGTERM hands its running search back to the queue, exits 0, and another worker finishes it", async () => {
    const producer = new JobProducer({ connection: redis, prefix });
    const { id, jobId } = await submitSearch(producer, "term", 9);
    const first = searcher();
    await midRun(id);
    first.child.kill("SIGTERM");
    expect((await first.exited).code).toBe(0);
    expect(first.output()).toMatch(/shutting down: running searches go back to the queue/);
    const job = (await producer.queue(QUEUES.search.name).getJob(jobId))!;
    expect(["wait", "delayed"]).toContain(await job.getState());
    expect(job.attemptsMade).toBe(0);

    searcher();
    await finished(producer, jobId);
    await producer.close();
    const done = await database.db.search.findUniqueOrThrow({ where: { id } });
    expect(done.status).toBe("succeeded");
    expect(await database.db.generation.count({ where: { searchId: id } })).toBe(GENERATIONS);
  });

  it("runs a search whose job Redis lost: unfinished searches in Postgres are enqueued again", async () => {
    // As after a Redis restart without persistence: the row says running, no job exists anywhere.
    const spec = { name: "lost", seed: 3, budget: { generations: 3, population: 8 } };
    const { id } = await new SearchRepository(database.db).create({ name: "lost", spec, seed: 3 });
    await database.db.search.update({ where: { id }, data: { status: "running" } });
    const s = startService("searcher", {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      SEARCHER_REQUEUE_MS: "500",
      LOG_LEVEL: "info",
    });
    services.push(s);
    const done = await eventually(
      async () => {
        const row = await database.db.search.findUniqueOrThrow({ where: { id } });
        return row.status === "succeeded" ? row : undefined;
      },
      180_000,
      "the lost search finished",
    );
    expect(done.lastGeneration).toBe(2);
  });

  it("a service started with a malformed variable exits non-zero, naming it", async () => {
    const bad = startService("searcher", {
      DATABASE_URL: database.url,
      REDIS_URL: "http://nope",
      SEARCHER_CONCURRENCY: "two",
    });
    services.push(bad);
    const { code } = await bad.exited;
    expect(code).toBe(78);
    expect(bad.output()).toMatch(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL \(got "http:\/\/nope"\)/);
    expect(bad.output()).toMatch(/SEARCHER_CONCURRENCY: must be a positive integer \(got "two"\)/);
    const missing = startService("searcher", {});
    services.push(missing);
    expect((await missing.exited).code).toBe(78);
    expect(missing.output()).toMatch(/DATABASE_URL: .*\(missing\)/);
  });
});
