import type { Job, Queue } from "bullmq";
import type { Redis } from "ioredis";

/**
 * Who is waiting on a shared job. Jobs have deterministic ids, so two searches that need the same measurement
 * wait on one job. Each waiter (one waiting call, with its own token) is added to the job's demand set before it
 * enqueues the job and removed when it stops waiting. A waiter that gives up for good (its search was cancelled)
 * also removes the jobs it leaves that are still queued and that nobody else waits on; a job some other waiter
 * still wants stays, and so does one already running.
 *
 * A waiter whose process died never withdraws: its jobs stay queued, which is what happened before demand was
 * tracked. Demand sets expire after DEMAND_TTL_S so such leftovers do not accumulate.
 */
const DEMAND_TTL_S = 7 * 24 * 3600;

/** States of a job that has not started: removing it loses no work. */
const QUEUED_STATES = new Set(["waiting", "delayed", "prioritized", "waiting-children"]);

function demandKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:job-demand:${queue}:${jobId}`;
}

export async function addDemand(redis: Redis, prefix: string, waiter: string, queue: string, jobId: string) {
  const key = demandKey(prefix, queue, jobId);
  await redis.multi().sadd(key, waiter).expire(key, DEMAND_TTL_S).exec();
}

/**
 * Removes `waiter` from the demand of each job; with `removeUnwanted`, removes the jobs left without demand that
 * have not started. A waiter that registered while a job was being removed had its enqueue answered by the job
 * that is now gone: the job is added again with its own data and options. Returns the ids of the jobs removed.
 */
export async function withdrawDemand(
  redis: Redis,
  prefix: string,
  waiter: string,
  queue: Queue,
  jobIds: readonly string[],
  removeUnwanted: boolean,
): Promise<string[]> {
  const removed: string[] = [];
  for (const jobId of new Set(jobIds)) {
    const key = demandKey(prefix, queue.name, jobId);
    await redis.srem(key, waiter);
    if (!removeUnwanted || (await redis.scard(key)) > 0) continue;
    const job: Job | undefined = await queue.getJob(jobId);
    if (!job || !QUEUED_STATES.has(await job.getState())) continue;
    // A job a worker took meanwhile is locked: BullMQ refuses to remove it, and it finishes.
    const gone = await job.remove().then(
      () => true,
      () => false,
    );
    if (!gone) continue;
    if ((await redis.scard(key)) > 0) {
      await queue.add(job.name, job.data, job.opts);
      continue;
    }
    removed.push(jobId);
  }
  return removed;
}
