import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { jobDefinition, validatePayload, type JobName, type PayloadOf } from "@mfnas/core";
import { addDemand, withdrawDemand } from "./job-demand.ts";

/** Per-job overrides of the catalog's retry policy; for tests and operators tuning a deployment. */
export interface RetryOverride {
  readonly attempts?: number;
  readonly backoffDelayMs?: number;
}

export interface ProducerOptions {
  readonly connection: Redis;
  /** Redis key prefix; each deployment (and each test) has its own. */
  readonly prefix: string;
  readonly retry?: Partial<Record<JobName, RetryOverride>>;
}

export interface EnqueuedJob {
  readonly jobId: string;
  readonly queue: string;
}

/** How long finished jobs stay in Redis. While a job is kept, enqueueing the same job id again is a no-op. */
const KEEP_COMPLETED = { age: 7 * 24 * 3600, count: 50_000 };
const KEEP_FAILED = { age: 30 * 24 * 3600, count: 50_000 };

/**
 * The typed way to enqueue: validates the payload against the catalog, routes it to its queue and gives it
 * the deterministic id of the work it names, so that the same work enqueued twice is one job.
 */
export class JobProducer {
  private readonly queues = new Map<string, Queue>();

  constructor(private readonly options: ProducerOptions) {}

  /**
   * Enqueues a job. With `retryFailed`, a job of the same id that already failed for good (e.g. before a fix was
   * deployed) is removed and queued afresh; without it, that failed job stands and the enqueue is a no-op. With
   * `waiter`, the caller is recorded as waiting on the job (before it is added) until it calls `withdraw`.
   */
  async enqueue<N extends JobName>(
    name: N,
    payload: PayloadOf<N>,
    extra: { delayMs?: number; retryFailed?: boolean; waiter?: string } = {},
  ): Promise<EnqueuedJob> {
    const valid = validatePayload(name, payload);
    const job = jobDefinition(name);
    // The definition is looked up by name, so its functions accept this payload.
    const queueDef = (job.queue as (p: PayloadOf<N>) => { name: string })(valid);
    const jobId = (job.jobId as (p: PayloadOf<N>) => string)(valid);
    const override = this.options.retry?.[name];
    const opts: JobsOptions = {
      jobId,
      attempts: override?.attempts ?? job.attempts,
      backoff: { type: job.backoff.type, delay: override?.backoffDelayMs ?? job.backoff.delayMs },
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
      ...(extra.delayMs !== undefined ? { delay: extra.delayMs } : {}),
    };
    const queue = this.queue(queueDef.name);
    if (extra.waiter !== undefined) {
      await addDemand(this.options.connection, this.options.prefix, extra.waiter, queue.name, jobId);
    }
    if (extra.retryFailed) {
      const existing = await queue.getJob(jobId);
      if (existing && (await existing.getState()) === "failed") await existing.remove();
    }
    await queue.add(name, valid, opts);
    return { jobId, queue: queueDef.name };
  }

  /**
   * `waiter` stops waiting on the jobs (enqueued with it as `waiter`). With `removeUnwanted` (it gave up for good:
   * its search was cancelled), those of them that have not started and that no other waiter wants are removed
   * from their queue; returns their ids. See job-demand.ts.
   */
  async withdraw(
    waiter: string,
    jobs: readonly EnqueuedJob[],
    options: { removeUnwanted: boolean },
  ): Promise<string[]> {
    const removed: string[] = [];
    for (const name of new Set(jobs.map((j) => j.queue))) {
      const ids = jobs.filter((j) => j.queue === name).map((j) => j.jobId);
      const queue = this.queue(name);
      removed.push(
        ...(await withdrawDemand(
          this.options.connection,
          this.options.prefix,
          waiter,
          queue,
          ids,
          options.removeUnwanted,
        )),
      );
    }
    return removed;
  }

  /** The BullMQ queue behind a name, for inspection (counts, job state). */
  queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.options.connection, prefix: this.options.prefix });
      this.queues.set(name, queue);
    }
    return queue;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
