import { Queue } from "bullmq";
import { JOBS, QUEUES, errorMessage } from "@mfnas/core";
import { CatalogWorker, JobProducer, type createRedis, type WorkerLog } from "@mfnas/queue";
import { ScheduleRunRepository, type Db } from "@mfnas/store";
import { createFireHandler } from "./fire.job.ts";
import { ScheduleSync, firePayload, missedSlots, type SyncSummary } from "./sync.ts";

export interface SchedulerWiring {
  readonly db: Db;
  readonly redis: ReturnType<typeof createRedis>;
  readonly prefix: string;
  readonly log: WorkerLog;
  /** How often job schedulers are reconciled with the Schedule rows (ms). */
  readonly syncMs: number;
  /** Lateness past which a slot counts as missed (ms). */
  readonly missedAfterMs: number;
  readonly concurrency?: number;
  /** Worker name on the jobs this replica handles. */
  readonly name?: string;
  readonly now?: () => Date;
}

export interface RunningScheduler {
  /** Reconciles now (also runs every syncMs). */
  sync(): Promise<SyncSummary>;
  close(): Promise<void>;
}

/**
 * One scheduler replica: reconciles job schedulers with the Schedule rows, fires one catch-up job per run_once
 * schedule that missed its most recent slot while no replica ran, and handles `scheduler.fire` jobs.
 */
export async function startScheduler(wiring: SchedulerWiring): Promise<RunningScheduler> {
  const { log } = wiring;
  const store = new ScheduleRunRepository(wiring.db);
  const producer = new JobProducer({ connection: wiring.redis, prefix: wiring.prefix });
  const queue = new Queue(QUEUES.schedule.name, { connection: wiring.redis, prefix: wiring.prefix });
  const sync = new ScheduleSync({ queue, store, log });
  const now = wiring.now ?? (() => new Date());
  const worker = new CatalogWorker({
    connection: wiring.redis,
    prefix: wiring.prefix,
    queue: QUEUES.schedule,
    handlers: {
      "scheduler.fire": createFireHandler({
        store,
        startSearch: async (searchId) => {
          await producer.enqueue(JOBS.searchRun.name, { searchId });
        },
        log,
        missedAfterMs: wiring.missedAfterMs,
        now,
      }),
    },
    payloadOf: firePayload,
    log,
    ...(wiring.name !== undefined ? { name: wiring.name } : {}),
    ...(wiring.concurrency !== undefined ? { concurrency: wiring.concurrency } : {}),
  });

  let running: Promise<SyncSummary> | undefined;
  const syncOnce = (): Promise<SyncSummary> => {
    running ??= sync.reconcile().finally(() => {
      running = undefined;
    });
    return running;
  };

  await syncOnce();
  const rows = await store.timings();
  const lastSlots = new Map(await Promise.all(rows.map(async (r) => [r.id, await store.lastSlot(r.id)] as const)));
  for (const missed of missedSlots(rows, lastSlots, now())) {
    const slot = missed.slot.toISOString();
    await producer.enqueue(JOBS.scheduleFire.name, { scheduleId: missed.scheduleId, slot });
    log.info("catch-up fired for the most recent missed slot", { scheduleId: missed.scheduleId, slot });
  }
  await worker.start();

  const timer = setInterval(() => {
    syncOnce().catch((error: unknown) => log.error("schedule sync failed; retrying", { error: errorMessage(error) }));
  }, wiring.syncMs);

  return {
    sync: syncOnce,
    async close() {
      clearInterval(timer);
      await running?.catch(() => undefined);
      await worker.close();
      await producer.close();
      await queue.close();
    },
  };
}
