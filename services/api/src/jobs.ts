import { MfnasError, jobDefinition, type JobName, type PayloadOf } from "@mfnas/core";
import type { ApiResources } from "./resources.ts";

/**
 * Enqueues a job whose deterministic id may still name a finished job (kept for a week, during which BullMQ
 * would treat the new add as a duplicate): the finished job is removed first. A job still active means the
 * previous run has not stopped yet: that is a conflict the caller can retry.
 */
export async function enqueueAgain<N extends JobName>(
  jobs: ApiResources["jobs"],
  name: N,
  payload: PayloadOf<N>,
): Promise<void> {
  const definition = jobDefinition(name);
  const jobId = (definition.jobId as (p: PayloadOf<N>) => string)(payload);
  const queueName = (definition.queue as (p: PayloadOf<N>) => { name: string })(payload).name;
  const previous = await jobs.queue(queueName).getJob(jobId);
  if (previous) {
    const state = await previous.getState();
    if (state === "active") {
      throw new MfnasError("conflict", "the previous run is still stopping; retry in a few seconds", { jobId });
    }
    if (state === "completed" || state === "failed") await previous.remove();
    else return; // waiting or delayed: it will run.
  }
  await jobs.enqueue(name, payload);
}
