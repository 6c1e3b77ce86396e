import type { Job, Queue } from "bullmq";
import { JOBS, errorMessage } from "@mfnas/core";
import type { WorkerLog } from "@mfnas/queue";
import type { ScheduleRunRepository, ScheduleTimingRow } from "@mfnas/store";
import { latestSlot, parseTiming, type ScheduleTiming } from "./timing.ts";

/** Job scheduler ids are `schedule-<schedule id>`; others on the queue are left alone. */
const SCHEDULER_PREFIX = "schedule-";

export function jobSchedulerId(scheduleId: string): string {
  return `${SCHEDULER_PREFIX}${scheduleId}`;
}

/**
 * The slot of a fire job. Jobs a job scheduler makes carry the schedule id only; BullMQ records the time each
 * was made for (`prevMillis`, also the tail of its `repeat:<scheduler>:<millis>` id). Catch-up jobs carry it.
 */
export function firePayload(job: Job): unknown {
  if (!job.repeatJobKey) return job.data;
  const fromId = /:(\d+)$/.exec(job.id ?? "")?.[1];
  const millis = job.opts.prevMillis ?? (fromId !== undefined ? Number(fromId) : NaN);
  const data = typeof job.data === "object" && job.data !== null ? (job.data as Record<string, unknown>) : {};
  return { ...data, slot: Number.isFinite(millis) ? new Date(millis).toISOString() : undefined };
}

export interface SyncSummary {
  readonly scheduled: number;
  readonly upserted: string[];
  readonly removed: string[];
  /** Enabled schedules whose timing is refused, with the error naming the field. */
  readonly invalid: { scheduleId: string; error: string }[];
}

export interface ScheduleSyncOptions {
  /** The `schedule` queue. */
  readonly queue: Queue;
  readonly store: Pick<ScheduleRunRepository, "timings">;
  readonly log: WorkerLog;
}

/**
 * Keeps one BullMQ job scheduler per enabled Schedule row: created when the row appears, replaced when its cron
 * or time zone changes, removed when the row is disabled or deleted. Every replica runs it; they converge on
 * the same job schedulers, and each slot's job id (`repeat:<scheduler>:<millis>`) exists once.
 */
export class ScheduleSync {
  private readonly reported = new Map<string, string>();

  constructor(private readonly options: ScheduleSyncOptions) {}

  async reconcile(): Promise<SyncSummary> {
    const { queue, store, log } = this.options;
    const rows = await store.timings();
    const current = new Map(
      (await queue.getJobSchedulers())
        .filter((s) => s.key.startsWith(SCHEDULER_PREFIX))
        .map((s) => [s.key.slice(SCHEDULER_PREFIX.length), s]),
    );
    const wanted = new Map<string, ScheduleTiming>();
    const invalid: SyncSummary["invalid"] = [];
    for (const row of rows) {
      if (!row.enabled) continue;
      const timing = this.timingOf(row);
      if (typeof timing === "string") invalid.push({ scheduleId: row.id, error: timing });
      else wanted.set(row.id, timing);
    }
    const upserted: string[] = [];
    for (const [id, timing] of wanted) {
      const existing = current.get(id);
      if (existing?.pattern === timing.cron && existing.tz === timing.timezone) continue;
      await queue.upsertJobScheduler(
        jobSchedulerId(id),
        { pattern: timing.cron, tz: timing.timezone },
        {
          name: JOBS.scheduleFire.name,
          data: { scheduleId: id },
          opts: {
            attempts: JOBS.scheduleFire.attempts,
            backoff: { type: JOBS.scheduleFire.backoff.type, delay: JOBS.scheduleFire.backoff.delayMs },
            removeOnComplete: { age: 7 * 24 * 3600 },
            removeOnFail: { age: 30 * 24 * 3600 },
          },
        },
      );
      upserted.push(id);
      log.info(existing ? "job scheduler updated" : "job scheduler created", {
        scheduleId: id,
        cron: timing.cron,
        timezone: timing.timezone,
      });
    }
    const removed: string[] = [];
    for (const id of current.keys()) {
      if (wanted.has(id)) continue;
      await queue.removeJobScheduler(jobSchedulerId(id));
      removed.push(id);
      log.info("job scheduler removed (schedule disabled, deleted or invalid)", { scheduleId: id });
    }
    return { scheduled: wanted.size, upserted, removed, invalid };
  }

  /** The row's timing, or the refusal naming the field (logged once per distinct row timing). */
  private timingOf(row: ScheduleTimingRow): ScheduleTiming | string {
    try {
      const timing = parseTiming(row.cron, row.timezone);
      this.reported.delete(row.id);
      return timing;
    } catch (error) {
      const message = errorMessage(error);
      if (this.reported.get(row.id) !== message) {
        this.reported.set(row.id, message);
        this.options.log.error("schedule not scheduled: invalid timing", { scheduleId: row.id, error: message });
      }
      return message;
    }
  }
}

/**
 * After downtime: for each enabled run_once schedule whose most recent slot (since the schedule was last
 * changed) has no run, the slot to fire once. Skip schedules need nothing: their late jobs record a skip.
 */
export function missedSlots(
  rows: readonly ScheduleTimingRow[],
  lastSlots: ReadonlyMap<string, Date | null>,
  now: Date,
): { scheduleId: string; slot: Date }[] {
  return rows.flatMap((row) => {
    if (!row.enabled || row.missedRunPolicy !== "run_once") return [];
    let slot: Date | null;
    try {
      slot = latestSlot(parseTiming(row.cron, row.timezone), now);
    } catch {
      return [];
    }
    const last = lastSlots.get(row.id) ?? null;
    if (slot === null || slot.getTime() < row.updatedAt.getTime()) return [];
    if (last !== null && last.getTime() >= slot.getTime()) return [];
    return [{ scheduleId: row.id, slot }];
  });
}
