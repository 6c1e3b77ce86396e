import type { JobName, PayloadOf } from "@mfnas/core";
import type { createRedis } from "./connection.ts";
import { JobProducer } from "./producer.ts";
import type { WorkerLog } from "./worker.ts";

export interface RequeueOptions<N extends JobName> {
  readonly connection: ReturnType<typeof createRedis>;
  readonly prefix: string;
  /** The job each unfinished record runs as; its deterministic id makes a requeue a no-op while the job exists. */
  readonly job: N;
  readonly payloadOf: (id: string) => PayloadOf<N>;
  /** What Postgres says is unfinished (ids of queued or running searches, supernets in training, ...). */
  readonly unfinished: () => Promise<string[]>;
  readonly log: WorkerLog;
  /** How often to look again; the first pass runs at once. */
  readonly everyMs: number;
  /** What is being requeued, for the log. */
  readonly what: string;
}

/**
 * Keeps Postgres and the queue in agreement: every record Postgres holds as unfinished gets its job enqueued
 * again. Job ids are deterministic, so this is a no-op while the job exists; it matters when Redis lost its data
 * (restarted without persistence, flushed, failed over), which would otherwise strand the work as "running"
 * forever. `stop` ends the passes and closes the producer.
 */
export function requeueUnfinished<N extends JobName>(options: RequeueOptions<N>): { stop(): Promise<void> } {
  const { log } = options;
  const producer = new JobProducer({ connection: options.connection, prefix: options.prefix });
  let stopped = false;
  const pass = async () => {
    for (const id of await options.unfinished()) {
      if (stopped) return;
      await producer.enqueue(options.job, options.payloadOf(id));
    }
  };
  const run = () => {
    pass().catch((error: unknown) =>
      log.warn(`could not requeue unfinished ${options.what}`, { error: String(error) }),
    );
  };
  run();
  const timer = setInterval(run, options.everyMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await producer.close();
    },
  };
}
