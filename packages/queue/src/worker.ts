import { DelayedError, UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import {
  MfnasError,
  errorMessage,
  isPermanent,
  jobDefinition,
  validatePayload,
  type JobName,
  type PayloadOf,
  type QueueDefinition,
} from "@mfnas/core";

export interface JobContext<N extends JobName> {
  readonly payload: PayloadOf<N>;
  readonly jobId: string;
  /** Attempts already made before this one (0 on the first). */
  readonly attemptsMade: number;
  /** Aborted on timeout, cancellation or worker shutdown; long handlers check it between steps. */
  readonly signal: AbortSignal;
  progress(value: number | object): Promise<void>;
}

export type JobHandler<N extends JobName> = (ctx: JobContext<N>) => Promise<unknown>;
export type JobHandlers = { readonly [N in JobName]?: JobHandler<N> };

export interface WorkerLog {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export interface WorkerOptions {
  readonly connection: Redis;
  readonly prefix: string;
  readonly queue: QueueDefinition;
  readonly handlers: JobHandlers;
  readonly concurrency?: number;
  /** Override the queue's lock duration (ms). */
  readonly lockDurationMs?: number;
  /** Override the queue's stalled-check interval (ms). */
  readonly stalledIntervalMs?: number;
  readonly log: WorkerLog;
  /** Worker name stored on every job it processes. */
  readonly name?: string;
  /**
   * Where a job's payload comes from; default its data. Jobs made by a BullMQ job scheduler all carry the same
   * template data, so a consumer of them adds what differs per run (the scheduler adds the slot).
   */
  readonly payloadOf?: (job: Job) => unknown;
}

/** Thrown into a handler's signal when the worker shuts down: the job goes back to the queue, not to failed. */
class ShutdownSignal extends Error {
  override readonly name = "ShutdownSignal";
}

/**
 * A BullMQ worker that speaks the catalog: it validates every job again on pick-up, runs the handler with a
 * timeout and an AbortSignal, turns permanent errors into BullMQ's UnrecoverableError (no retries) and lets
 * transient ones through so backoff applies. On shutdown it aborts running handlers and puts their jobs back.
 */
export class CatalogWorker {
  private readonly worker: Worker;
  private readonly shutdown = new AbortController();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: WorkerOptions) {
    const q = options.queue;
    this.worker = new Worker(q.name, (job, token, signal) => this.process(job, token, signal), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? q.defaultConcurrency,
      lockDuration: options.lockDurationMs ?? q.lockDurationMs,
      stalledInterval: options.stalledIntervalMs ?? q.stalledIntervalMs,
      maxStalledCount: q.maxStalledCount,
      autorun: false,
      ...(options.name !== undefined ? { name: options.name } : {}),
    });
    this.worker.on("failed", (job, error) => {
      if (!job) return;
      const permanent = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
      const fields = { jobId: job.id, name: job.name, attemptsMade: job.attemptsMade, reason: error.message };
      if (permanent) options.log.error("job failed for good", fields);
      else options.log.warn("job attempt failed; will retry", fields);
    });
    this.worker.on("error", (error) => options.log.error("worker error", { error: error.message }));
  }

  /** Starts consuming; resolves once the worker is connected and polling. */
  async start(): Promise<void> {
    void this.worker.run().catch((error: unknown) => {
      this.options.log.error("worker stopped", { error: errorMessage(error) });
    });
    await this.worker.waitUntilReady();
  }

  get bullWorker(): Worker {
    return this.worker;
  }

  /** Graceful shutdown: stop taking jobs, ask running handlers to stop, requeue what they leave, close. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.shutdown.abort(new ShutdownSignal("worker shutting down"));
      await this.worker.close();
    })();
    return this.closing;
  }

  private async process(job: Job, token: string | undefined, bullSignal: AbortSignal | undefined): Promise<unknown> {
    const name = job.name as JobName;
    let payload: PayloadOf<JobName>;
    let definition;
    try {
      definition = jobDefinition(job.name);
      payload = validatePayload(name, this.options.payloadOf ? this.options.payloadOf(job) : job.data);
    } catch (error) {
      throw new UnrecoverableError(errorMessage(error));
    }
    const handler = this.options.handlers[name] as JobHandler<JobName> | undefined;
    if (!handler) {
      throw new UnrecoverableError(`no handler for ${job.name} on queue ${this.options.queue.name}`);
    }

    const attempt = new AbortController();
    const timer = setTimeout(
      () => attempt.abort(new MfnasError("timeout", `${job.name} exceeded ${definition.timeoutMs} ms`)),
      definition.timeoutMs,
    );
    const stopOnShutdown = () => attempt.abort(this.shutdown.signal.reason);
    this.shutdown.signal.addEventListener("abort", stopOnShutdown, { once: true });
    const stopOnCancel = () => attempt.abort(new MfnasError("cancelled", `${job.name} was cancelled`));
    bullSignal?.addEventListener("abort", stopOnCancel, { once: true });
    try {
      return await handler({
        payload,
        jobId: job.id ?? "",
        attemptsMade: job.attemptsMade,
        signal: attempt.signal,
        progress: (value) => job.updateProgress(value),
      });
    } catch (error) {
      if (attempt.signal.reason instanceof ShutdownSignal && token !== undefined) {
        // Back to the queue at once, without spending an attempt: another worker resumes it.
        await job.moveToDelayed(Date.now(), token);
        throw new DelayedError();
      }
      if (isPermanent(error)) throw new UnrecoverableError(errorMessage(error));
      throw error;
    } finally {
      clearTimeout(timer);
      this.shutdown.signal.removeEventListener("abort", stopOnShutdown);
      bullSignal?.removeEventListener("abort", stopOnCancel);
    }
  }
}

/** Throws the signal's reason if it was aborted; handlers call it between steps. */
export function throwIfAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  const reason: unknown = signal.reason;
  throw reason instanceof Error ? reason : new MfnasError("cancelled", String(reason));
}
