import { Gauge, type Registry } from "prom-client";
import { SEARCH_STATUSES } from "@mfnas/core";
import type { Db } from "@mfnas/store";

/** A schedule's latest slot and the status of the search it started ("skipped" when the slot started none). */
export interface ScheduleRunSummary {
  readonly schedule: string;
  readonly latestSlot: Date | null;
  readonly latestStatus: string | null;
  readonly lastSucceededSlot: Date | null;
}

/** Reads, for each schedule, its latest run and its latest successful run. */
export async function scheduleRunSummaries(db: Db): Promise<ScheduleRunSummary[]> {
  const latest = await db.schedule.findMany({
    select: {
      name: true,
      runs: { orderBy: { slot: "desc" }, take: 1, select: { slot: true, search: { select: { status: true } } } },
    },
  });
  const succeeded = await db.scheduleRun.groupBy({
    by: ["scheduleId"],
    where: { search: { status: "succeeded" } },
    _max: { slot: true },
  });
  const ids = await db.schedule.findMany({ select: { id: true, name: true } });
  const nameOf = new Map(ids.map((s) => [s.id, s.name]));
  const lastSucceeded = new Map(succeeded.map((g) => [nameOf.get(g.scheduleId), g._max.slot]));
  return latest.map((s) => {
    const run = s.runs[0];
    return {
      schedule: s.name,
      latestSlot: run?.slot ?? null,
      latestStatus: run ? (run.search?.status ?? "skipped") : null,
      lastSucceededSlot: lastSucceeded.get(s.name) ?? null,
    };
  });
}

/** A schedule run is its search's status, or `skipped` when no search was created for its slot. */
const RUN_STATUSES = [...SEARCH_STATUSES, "skipped"] as const;

/**
 * The scheduler's history as Prometheus series, read from Postgres when scraped (every replica exports the same
 * values; dashboards and alerts take max by schedule): the latest slot of each schedule, the status of the search
 * it started (1 for that status, 0 for the others), and the slot of the latest run that succeeded.
 */
export function registerScheduleMetrics(registry: Registry, read: () => Promise<ScheduleRunSummary[]>): void {
  const registers = [registry];
  let pending: Promise<ScheduleRunSummary[]> | undefined;
  // One read per scrape serves all three gauges.
  const summaries = () => {
    pending ??= read().finally(() => setTimeout(() => (pending = undefined), 0));
    return pending;
  };
  const slot: Gauge<"schedule"> = new Gauge({
    name: "mfnas_schedule_last_run_timestamp_seconds",
    help: "Unix time of the latest slot a schedule ran (or skipped).",
    labelNames: ["schedule"] as const,
    registers,
    collect: async () => {
      slot.reset();
      for (const s of await summaries())
        if (s.latestSlot) slot.set({ schedule: s.schedule }, s.latestSlot.getTime() / 1000);
    },
  });
  const status: Gauge<"schedule" | "status"> = new Gauge({
    name: "mfnas_schedule_last_run_status",
    help: "1 for the status of the search a schedule's latest slot started (skipped = none started), else 0.",
    labelNames: ["schedule", "status"] as const,
    registers,
    collect: async () => {
      status.reset();
      for (const s of await summaries()) {
        if (!s.latestStatus) continue;
        for (const st of RUN_STATUSES) status.set({ schedule: s.schedule, status: st }, st === s.latestStatus ? 1 : 0);
      }
    },
  });
  const success: Gauge<"schedule"> = new Gauge({
    name: "mfnas_schedule_last_success_timestamp_seconds",
    help: "Unix time of the latest slot of a schedule whose search succeeded.",
    labelNames: ["schedule"] as const,
    registers,
    collect: async () => {
      success.reset();
      for (const s of await summaries())
        if (s.lastSucceededSlot) success.set({ schedule: s.schedule }, s.lastSucceededSlot.getTime() / 1000);
    },
  });
}
