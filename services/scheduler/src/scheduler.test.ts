import { Queue } from "bullmq";
import { CronExpressionParser } from "cron-parser";
import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { QUEUES } from "@mfnas/core";
import { JobProducer, createRedis, type WorkerLog } from "@mfnas/queue";
import { ScheduleRepository, ScheduleRunRepository } from "@mfnas/store";
import { createTestDatabase, uniqueName, type TestDatabase } from "../../../tests/support/database.ts";
import { TEST_REDIS_URL } from "../../../tests/support/env.ts";
import { eventually } from "../../../tests/support/processes.ts";
import { createFireHandler } from "./fire.job.ts";
import { startScheduler, type RunningScheduler } from "./scheduler.ts";
import { ScheduleSync, jobSchedulerId } from "./sync.ts";
import { latestSlot, parseTiming } from "./timing.ts";

const quiet: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const SPEC = { name: "nightly", seed: 7, budget: { generations: 2, population: 8 } };
const HOUR = 3_600_000;

/** What a worker hands a fire handler for one job. */
function fireContext(scheduleId: string, slot: string) {
  return {
    payload: { scheduleId, slot },
    jobId: `scheduler.fire-${slot}`,
    attemptsMade: 0,
    signal: new AbortController().signal,
    progress: () => Promise.resolve(),
  };
}

describe("scheduler on real Postgres and Redis", () => {
  let database: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let queue: Queue;
  let schedules: ScheduleRepository;
  let runs: ScheduleRunRepository;
  const started: RunningScheduler[] = [];

  beforeEach(async () => {
    database = await createTestDatabase();
    redis = createRedis(TEST_REDIS_URL);
    prefix = uniqueName("mfnas-test");
    queue = new Queue(QUEUES.schedule.name, { connection: redis, prefix });
    schedules = new ScheduleRepository(database.db);
    runs = new ScheduleRunRepository(database.db);
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
    await queue.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
  });

  function createSchedule(
    name: string,
    cron: string,
    options: { timezone?: string; missedRunPolicy?: "skip" | "run_once"; enabled?: boolean } = {},
  ) {
    return schedules.create({
      name,
      cron,
      timezone: options.timezone ?? "UTC",
      searchSpec: SPEC,
      enabled: options.enabled ?? true,
      missedRunPolicy: options.missedRunPolicy ?? "skip",
    });
  }

  /** Pretends the schedule has existed, unchanged, for three hours: its recent slots were missed. */
  async function agedThreeHours(id: string) {
    await database.sql(`UPDATE "Schedule" SET "createdAt" = $2, "updatedAt" = $2 WHERE id = $1`, [
      id,
      new Date(Date.now() - 3 * HOUR),
    ]);
  }

  async function start(): Promise<RunningScheduler> {
    const scheduler = await startScheduler({
      db: database.db,
      redis,
      prefix,
      log: quiet,
      syncMs: 60_000,
      missedAfterMs: 1_000,
    });
    started.push(scheduler);
    return scheduler;
  }

  /** Waits until no fire job is waiting, delayed for now, or running. */
  async function drained() {
    await eventually(async () => {
      const counts = await queue.getJobCounts("waiting", "active", "prioritized");
      return (counts["waiting"] ?? 0) + (counts["active"] ?? 0) + (counts["prioritized"] ?? 0) === 0 ? true : undefined;
    });
  }

  it("keeps job schedulers in sync with schedules created, changed, disabled, re-enabled and deleted", async () => {
    const sync = new ScheduleSync({ queue, store: runs, log: quiet });
    const a = await createSchedule("a", "0 3 * * *");
    const b = await createSchedule("b", "30 1 * * 1", { timezone: "America/New_York" });
    const off = await createSchedule("off", "0 4 * * *", { enabled: false });
    expect((await sync.reconcile()).upserted.sort()).toEqual([a.id, b.id].sort());
    expect(await queue.getJobScheduler(jobSchedulerId(off.id))).toBeUndefined();
    expect(await queue.getJobScheduler(jobSchedulerId(b.id))).toMatchObject({
      pattern: "30 1 * * 1",
      tz: "America/New_York",
    });
    expect((await sync.reconcile()).upserted).toEqual([]); // nothing changed: nothing rewritten

    await schedules.update(a.id, { cron: "15 5 * * *", timezone: "Asia/Tokyo" });
    expect((await sync.reconcile()).upserted).toEqual([a.id]);
    const changed = await queue.getJobScheduler(jobSchedulerId(a.id));
    expect(changed).toMatchObject({ pattern: "15 5 * * *", tz: "Asia/Tokyo" });
    const expectedNext = CronExpressionParser.parse("15 5 * * *", { tz: "Asia/Tokyo" }).next().getTime();
    expect(changed?.next).toBe(expectedNext);
    // One pending fire job per scheduler: the changed one replaced its old slot.
    const delayed = (await queue.getDelayed()).map((j) => j.id ?? "");
    expect(delayed.filter((id) => id.includes(a.id))).toEqual([`repeat:${jobSchedulerId(a.id)}:${expectedNext}`]);

    await schedules.update(b.id, { enabled: false });
    await schedules.update(off.id, { enabled: true });
    const toggled = await sync.reconcile();
    expect(toggled.removed).toEqual([b.id]);
    expect(toggled.upserted).toEqual([off.id]);
    expect(await queue.getJobScheduler(jobSchedulerId(b.id))).toBeUndefined();
    expect((await queue.getDelayed()).some((j) => j.id?.includes(b.id))).toBe(false);

    await schedules.delete(a.id);
    expect((await sync.reconcile()).removed).toEqual([a.id]);
    expect((await queue.getJobSchedulers()).map((s) => s.key)).toEqual([jobSchedulerId(off.id)]);
  });

  it("schedules the next slot in the schedule's time zone (Europe/Berlin vs UTC)", async () => {
    const sync = new ScheduleSync({ queue, store: runs, log: quiet });
    const berlin = await createSchedule("berlin", "0 2 * * *", { timezone: "Europe/Berlin" });
    const utc = await createSchedule("utc", "0 2 * * *");
    await sync.reconcile();
    const berlinNext = (await queue.getJobScheduler(jobSchedulerId(berlin.id)))?.next ?? 0;
    const utcNext = (await queue.getJobScheduler(jobSchedulerId(utc.id)))?.next ?? 0;
    expect(berlinNext).toBe(CronExpressionParser.parse("0 2 * * *", { tz: "Europe/Berlin" }).next().getTime());
    expect(utcNext).toBe(CronExpressionParser.parse("0 2 * * *", { tz: "UTC" }).next().getTime());
    // 02:00 in Berlin is 01:00 or 00:00 UTC (CET / CEST); in UTC it is 02:00.
    expect([0, 1]).toContain(new Date(berlinNext).getUTCHours());
    expect(new Date(utcNext).getUTCHours()).toBe(2);
  });

  it("leaves a schedule with a bad cron or time zone unscheduled, naming the field", async () => {
    const sync = new ScheduleSync({ queue, store: runs, log: quiet });
    // Rows written around the API's validation (an older release, a hand edit).
    const badCron = await createSchedule("bad-cron", "61 * * * *");
    const badZone = await createSchedule("bad-zone", "0 2 * * *", { timezone: "Europe/Atlantis" });
    const summary = await sync.reconcile();
    expect(summary.scheduled).toBe(0);
    expect(summary.invalid).toEqual([
      {
        scheduleId: badCron.id,
        error: expect.stringMatching(/^cron: "61 \* \* \* \*" is not a cron pattern/) as string,
      },
      { scheduleId: badZone.id, error: 'timezone: unknown time zone "Europe/Atlantis"' },
    ]);
    expect(await queue.getJobSchedulers()).toEqual([]);
  });

  it("starts one search for a slot fired many times at once", async () => {
    const schedule = await createSchedule("race", "0 2 * * *");
    const producer = new JobProducer({ connection: redis, prefix });
    const handler = createFireHandler({
      store: runs,
      startSearch: async (searchId) => {
        await producer.enqueue("search.run", { searchId });
      },
      log: quiet,
      missedAfterMs: 24 * HOUR,
    });
    const slot = latestSlot(parseTiming("0 2 * * *", "UTC"), new Date())!.toISOString();
    const fire = () => handler(fireContext(schedule.id, slot));
    const outcomes = (await Promise.all(Array.from({ length: 8 }, fire))) as { outcome: string; searchId: string }[];
    const searches = await database.db.search.findMany({ where: { scheduleId: schedule.id } });
    expect(searches).toHaveLength(1);
    expect(searches[0]?.name).toBe(`nightly @ ${slot}`);
    expect(outcomes.filter((o) => o.outcome === "started")).toHaveLength(1);
    expect(new Set(outcomes.map((o) => o.searchId))).toEqual(new Set([searches[0]?.id]));
    expect(await database.db.scheduleRun.count({ where: { scheduleId: schedule.id } })).toBe(1);
    expect(await producer.queue(QUEUES.search.name).getJob(`search.run-${searches[0]?.id}`)).toBeDefined();
    await producer.close();
  });

  it("run_once: after downtime, one catch-up run for the most recent missed slot only, once across restarts", async () => {
    const schedule = await createSchedule("hourly", "0 * * * *", { missedRunPolicy: "run_once" });
    await agedThreeHours(schedule.id);
    const expected = latestSlot(parseTiming("0 * * * *", "UTC"), new Date());
    await start();
    const run = await eventually(async () => (await runs.run(schedule.id, expected!)) ?? undefined);
    expect(run.searchId).not.toBeNull();
    await drained();
    const search = await database.db.search.findUnique({ where: { id: run.searchId! } });
    expect(search).toMatchObject({ scheduleId: schedule.id, name: `nightly @ ${expected!.toISOString()}`, seed: 7 });

    // A restart finds the slot recorded and fires nothing more.
    await started.pop()?.close();
    await start();
    await drained();
    expect(await database.db.scheduleRun.count({ where: { scheduleId: schedule.id } })).toBe(1);
    expect(await database.db.search.count({ where: { scheduleId: schedule.id } })).toBe(1);
  });

  it("skip: after downtime no catch-up; a late slot is recorded as skipped without a search", async () => {
    const schedule = await createSchedule("hourly-skip", "0 * * * *", { missedRunPolicy: "skip" });
    await agedThreeHours(schedule.id);
    await start();
    await drained();
    expect(await database.db.scheduleRun.count({ where: { scheduleId: schedule.id } })).toBe(0);
    const next = (await queue.getJobScheduler(jobSchedulerId(schedule.id)))?.next;
    expect(next).toBe(CronExpressionParser.parse("0 * * * *", { tz: "UTC" }).next().getTime());

    // A fire job handled two hours after its slot (its worker was down meanwhile).
    const handler = createFireHandler({
      store: runs,
      startSearch: () => Promise.reject(new Error("a skipped slot starts nothing")),
      log: quiet,
      missedAfterMs: 60_000,
    });
    const slot = new Date(Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR).toISOString();
    const outcome = await handler(fireContext(schedule.id, slot));
    expect(outcome).toMatchObject({ outcome: "skipped" });
    const history = await schedules.runs(schedule.id, { limit: 10 });
    expect(history.items.map((r) => [r.slot.toISOString(), r.searchId])).toEqual([[slot, null]]);
    expect(await database.db.search.count({ where: { scheduleId: schedule.id } })).toBe(0);
  });

  it("reports each night's final front hypervolume and size, newest first, compared with earlier nights", async () => {
    const schedule = await createSchedule("trend", "0 2 * * *");
    const nights = [
      { slot: "2024-05-01T02:00:00.000Z", hypervolume: 0.41, front: 3, result: null },
      { slot: "2024-05-02T02:00:00.000Z", hypervolume: 0.47, front: 4, result: { front: [{}, {}, {}, {}, {}] } },
      { slot: "2024-05-03T02:00:00.000Z", hypervolume: 0.52, front: 5, result: null },
    ];
    for (const night of nights) {
      const run = await runs.startRun(schedule.id, new Date(night.slot), {
        name: `nightly @ ${night.slot}`,
        spec: SPEC,
        seed: 7,
        supernetId: null,
      });
      for (const index of [0, 1]) {
        await database.db.generation.create({
          data: {
            searchId: run.searchId!,
            index,
            population: [],
            front: Array.from({ length: index === 1 ? night.front : 1 }, (_, i) => `h${i}`),
            hypervolume: index === 1 ? night.hypervolume : 0.1,
          },
        });
      }
      await database.db.search.update({
        where: { id: run.searchId! },
        data: {
          lastGeneration: 1,
          status: "succeeded",
          ...(night.result ? { result: night.result } : {}),
        },
      });
    }
    await runs.recordSkipped(schedule.id, new Date("2024-05-04T02:00:00.000Z"));
    const trend = await runs.frontTrend(schedule.id, 10);
    expect(trend.runs.map((r) => [r.slot.toISOString(), r.status, r.hypervolume, r.frontSize, r.generations])).toEqual([
      ["2024-05-04T02:00:00.000Z", "skipped", null, null, 0],
      ["2024-05-03T02:00:00.000Z", "succeeded", 0.52, 5, 2],
      ["2024-05-02T02:00:00.000Z", "succeeded", 0.47, 5, 2], // the result's front wins over the generation's
      ["2024-05-01T02:00:00.000Z", "succeeded", 0.41, 3, 2],
    ]);
    expect(trend.comparison.latest?.slot.toISOString()).toBe("2024-05-03T02:00:00.000Z");
    expect(trend.comparison.changeFromPrevious).toBeCloseTo(0.05, 10);
    expect(trend.comparison.bestEarlierHypervolume).toBe(0.47);
    expect(trend.comparison.meanEarlierHypervolume).toBeCloseTo(0.44, 10);
    expect(trend.comparison.latestIsBest).toBe(true);
  });
});
