import { describe, expect, it } from "vitest";
import { QUEUES } from "@mfnas/core";
import { JobProducer } from "@mfnas/queue";
import { ScheduleRepository } from "@mfnas/store";
import { eventually, type ServiceProcess } from "./support/processes.ts";
import { useServiceTestbed } from "./support/service-testbed.ts";

describe("two scheduler replicas on one schedule firing every second", () => {
  const testbed = useServiceTestbed();

  function scheduler(): ServiceProcess {
    return testbed().start("scheduler", {
      SCHEDULER_SYNC_MS: "300",
      // Slots are a second apart and the machine is shared: a slot handled late still counts as on time.
      SCHEDULER_MISSED_AFTER_MS: "60000",
      // Two fire jobs at once per replica, so the replicas and their jobs race on the same rows.
      SCHEDULER_CONCURRENCY: "2",
      // Two replicas on one host: each metrics server on a free port.
      METRICS_PORT: "0",
      LOG_LEVEL: "info",
    });
  }

  it("creates exactly one search and one schedule run per slot", async () => {
    const { database, redis, prefix } = testbed();
    const schedule = await new ScheduleRepository(database.db).create({
      name: "every-second",
      cron: "* * * * * *",
      timezone: "UTC",
      searchSpec: { name: "nightly", seed: 3, budget: { generations: 1, population: 4 } },
      enabled: true,
      missedRunPolicy: "run_once",
    });
    const replicas = [scheduler(), scheduler()];
    await Promise.all(replicas.map((r) => r.waitFor(/scheduler ready/)));
    const SLOTS = 6;
    await eventually(
      async () => ((await database.db.scheduleRun.count()) >= SLOTS ? true : undefined),
      120_000,
      `${SLOTS} slots`,
    );
    for (const r of replicas) r.child.kill("SIGTERM");
    const exits = await Promise.all(replicas.map((r) => r.exited));
    expect(exits.map((e) => e.code)).toEqual([0, 0]);

    const runs = await database.db.scheduleRun.findMany({
      where: { scheduleId: schedule.id },
      orderBy: { slot: "asc" },
    });
    const searches = await database.db.search.findMany({ where: { scheduleId: schedule.id } });
    expect(runs.length).toBeGreaterThanOrEqual(SLOTS);
    // Every slot is a whole second, has its own search, and no search exists without its slot.
    for (const run of runs) expect(run.slot.getTime() % 1000).toBe(0);
    expect(new Set(runs.map((r) => r.slot.getTime())).size).toBe(runs.length);
    expect(runs.every((r) => r.searchId !== null)).toBe(true);
    expect(searches).toHaveLength(runs.length);
    expect(new Set(searches.map((s) => s.id))).toEqual(new Set(runs.map((r) => r.searchId)));
    const names = new Map(runs.map((r) => [r.searchId, `nightly @ ${r.slot.toISOString()}`]));
    for (const s of searches) expect(s.name).toBe(names.get(s.id));

    // One search.run job per search, by its deterministic id.
    const producer = new JobProducer({ connection: redis, prefix });
    const jobs = await producer.queue(QUEUES.search.name).getJobs(["waiting", "delayed", "prioritized"]);
    expect(jobs.map((j) => j.id).sort()).toEqual(searches.map((s) => `search.run-${s.id}`).sort());
    await producer.close();

    // Every slot's fire job was handled by one replica or the other, and each replica was up and polling.
    const handled = replicas.map((r) => (r.output().match(/slot started a search/g) ?? []).length);
    expect(handled.reduce((a, b) => a + b, 0)).toBe(runs.length);
  });
});
