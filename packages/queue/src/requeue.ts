import type { WorkerLog } from "./worker.ts";

export interface RequeueOptions {
  /** What Postgres says is unfinished (ids of queued or running searches, supernets in training, ...). */
  readonly unfinished: () => Promise<string[]>;
  /** Enqueues the job of one unfinished record; its deterministic id makes this a no-op while the job exists. */
  readonly enqueue: (id: string) => Promise<unknown>;
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
 * forever. Returns a function that stops it.
 */
export function requeueUnfinished(options: RequeueOptions): () => void {
  const { log } = options;
  let stopped = false;
  const pass = async () => {
    for (const id of await options.unfinished()) {
      if (stopped) return;
      await options.enqueue(id);
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
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
