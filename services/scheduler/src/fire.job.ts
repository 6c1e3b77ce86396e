import { checkSearchSpec, underField } from "@mfnas/core";
import type { JobHandler, WorkerLog } from "@mfnas/queue";
import { searchRow, type ScheduleRunRepository } from "@mfnas/store";
import { latestSlot, parseTiming, type ScheduleTiming } from "./timing.ts";

/** The store calls a fire job makes (ScheduleRunRepository satisfies it). */
export type FireStore = Pick<ScheduleRunRepository, "schedule" | "run" | "startRun" | "recordSkipped">;

export type MissedRunPolicy = "skip" | "run_once";

export interface FireResources {
  readonly store: FireStore;
  /** Queues search.run for a search (deterministic job id: queueing twice is one job). */
  readonly startSearch: (searchId: string) => Promise<void>;
  readonly log: WorkerLog;
  /** A slot handled later than this after its time is missed (see decideSlot). */
  readonly missedAfterMs: number;
  readonly now?: () => Date;
}

export type SlotDecision =
  | { readonly run: true; readonly reason: "on time" | "catch-up of the most recent missed slot" }
  | { readonly run: false; readonly reason: string };

/**
 * Whether a slot runs. On time (within missedAfterMs) it always does. A missed slot runs only under run_once,
 * and only if it is the most recent slot at or before now: after downtime one catch-up run, never a burst.
 */
export function decideSlot(input: {
  readonly slot: Date;
  readonly now: Date;
  readonly timing: ScheduleTiming;
  readonly policy: MissedRunPolicy;
  readonly missedAfterMs: number;
}): SlotDecision {
  const lateMs = input.now.getTime() - input.slot.getTime();
  if (lateMs <= input.missedAfterMs) return { run: true, reason: "on time" };
  switch (input.policy) {
    case "skip":
      return { run: false, reason: `missed by ${Math.round(lateMs / 1000)} s; the schedule skips missed slots` };
    case "run_once": {
      const latest = latestSlot(input.timing, input.now);
      if (latest !== null && latest.getTime() === input.slot.getTime()) {
        return { run: true, reason: "catch-up of the most recent missed slot" };
      }
      return { run: false, reason: "missed; only the most recent missed slot is caught up" };
    }
  }
}

export type FireOutcome =
  | { outcome: "started" | "already started"; searchId: string }
  | { outcome: "skipped" | "already skipped" | "schedule deleted" | "schedule disabled"; reason?: string };

/**
 * `scheduler.fire {scheduleId, slot}`: starts exactly one search for the slot. The Search and its ScheduleRun
 * are written in one transaction keyed by (scheduleId, slot), so replicas, retries and a catch-up job for the
 * same slot all end with one search; search.run is queued after the commit, and again by any later attempt.
 */
export function createFireHandler(resources: FireResources): JobHandler<"scheduler.fire"> {
  const now = resources.now ?? (() => new Date());
  return async ({ payload }): Promise<FireOutcome> => {
    const { scheduleId } = payload;
    const slot = new Date(payload.slot);
    const fields = { scheduleId, slot: slot.toISOString() };
    const schedule = await resources.store.schedule(scheduleId);
    if (!schedule) {
      resources.log.info("schedule deleted; slot not run", fields);
      return { outcome: "schedule deleted" };
    }
    if (!schedule.enabled) {
      resources.log.info("schedule disabled; slot not run", fields);
      return { outcome: "schedule disabled" };
    }
    const recorded = await resources.store.run(scheduleId, slot);
    if (recorded) {
      if (recorded.searchId === null) return { outcome: "already skipped" };
      await resources.startSearch(recorded.searchId);
      return { outcome: "already started", searchId: recorded.searchId };
    }
    const timing = parseTiming(schedule.cron, schedule.timezone);
    const decision = decideSlot({
      slot,
      now: now(),
      timing,
      policy: schedule.missedRunPolicy,
      missedAfterMs: resources.missedAfterMs,
    });
    if (!decision.run) {
      const run = await resources.store.recordSkipped(scheduleId, slot);
      resources.log.warn("slot skipped", { ...fields, reason: decision.reason });
      return run.searchId !== null
        ? { outcome: "already started", searchId: run.searchId }
        : { outcome: run.created ? "skipped" : "already skipped", reason: decision.reason };
    }
    // The check and the row of every submission (see submitSearch); the slot's run is written with the search.
    const spec = underField("searchSpec", () => checkSearchSpec(schedule.searchSpec));
    const run = await resources.store.startRun(
      scheduleId,
      slot,
      searchRow(spec, `${spec.name} @ ${slot.toISOString()}`),
    );
    if (run.searchId === null) return { outcome: "already skipped" };
    await resources.startSearch(run.searchId);
    resources.log.info(run.created ? "slot started a search" : "slot's search was started before", {
      ...fields,
      searchId: run.searchId,
      reason: decision.reason,
    });
    return { outcome: run.created ? "started" : "already started", searchId: run.searchId };
  };
}
