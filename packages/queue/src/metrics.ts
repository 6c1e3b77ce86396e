import { Queue, type Job, type JobType, type Worker } from "bullmq";
import type { Redis } from "ioredis";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { errorMessage } from "@mfnas/core";
import type { CatalogWorker, WorkerLog } from "./worker.ts";

/** Job states counted per queue (BullMQ's getJobCounts types). */
export const QUEUE_STATES: JobType[] = [
  "waiting",
  "active",
  "delayed",
  "prioritized",
  "waiting-children",
  "failed",
  "completed",
];

/** Upper bounds of the job duration histogram, in seconds: jobs last from milliseconds (a cached evaluation) to hours. */
export const JOB_DURATION_BUCKETS = [
  0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600,
];

/** The window of `mfnas_worker_utilization_ratio`, in ms. */
export const UTILIZATION_WINDOW_MS = 60_000;

export interface ServiceMetricsOptions {
  /** Service name, set as the `service` label of every series this registry exports. */
  readonly service: string;
  /** Node's default process metrics (CPU, memory, event-loop lag, GC, handles). Default true. */
  readonly processMetrics?: boolean;
  /** Where failures to read a queue's counts are reported; they never fail a scrape. */
  readonly log?: WorkerLog;
  /** How long a scrape waits for one queue's counts before leaving that queue out. Default 3000 ms. */
  readonly queueReadTimeoutMs?: number;
  readonly now?: () => number;
}

interface BusyInterval {
  readonly start: number;
  end: number | undefined;
  /** Up to when this interval was added to the busy-seconds counter. */
  accounted: number;
}

interface WorkerLoad {
  concurrency: number;
  readonly intervals: BusyInterval[];
  readonly running: Map<string, BusyInterval>;
  since: number;
}

/**
 * One Prometheus registry per process, with what every mfnas worker service exports:
 * - queue depth by state and the age of the oldest waiting job, read from BullMQ when Prometheus scrapes;
 * - job durations (histogram), completions and failures by queue and job name, from the workers' events;
 * - worker load: running jobs, job slots, busy seconds and the busy share of the slots over the last minute.
 * Services add their own series to `registry`.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly queues = new Map<string, Queue>();
  private readonly loads = new Map<string, WorkerLoad>();
  private readonly now: () => number;
  private readonly jobDuration: Histogram<"queue" | "name" | "outcome">;
  private readonly completed: Counter<"queue" | "name">;
  private readonly failures: Counter<"queue" | "name" | "final">;
  private readonly busySeconds: Counter<"queue">;
  private computeLabels: Readonly<Record<string, string>> | undefined;

  constructor(private readonly options: ServiceMetricsOptions) {
    this.now = options.now ?? Date.now;
    const registers = [this.registry];
    this.registry.setDefaultLabels({ service: options.service });
    if (options.processMetrics !== false) collectDefaultMetrics({ register: this.registry });

    const queueJobs: Gauge<"queue" | "state"> = new Gauge({
      name: "mfnas_queue_jobs",
      help: "Jobs in a BullMQ queue by state, read when scraped.",
      labelNames: ["queue", "state"] as const,
      registers,
      collect: () =>
        this.eachQueue(queueJobs, "reading queue counts failed", async (name, queue) => {
          const counts = await this.withinTimeout(queue.getJobCounts(...QUEUE_STATES));
          for (const state of QUEUE_STATES) queueJobs.set({ queue: name, state }, counts[state] ?? 0);
        }),
    });
    const oldestAge: Gauge<"queue"> = new Gauge({
      name: "mfnas_queue_oldest_waiting_age_seconds",
      help: "Seconds since the oldest waiting job of a queue was added; 0 when nothing waits.",
      labelNames: ["queue"] as const,
      registers,
      collect: () =>
        this.eachQueue(oldestAge, "reading the oldest waiting job failed", async (name, queue) => {
          // The wait list is pushed at its head, so the oldest job comes first in ascending order.
          const [oldest] = await this.withinTimeout(queue.getWaiting(0, 0));
          oldestAge.set({ queue: name }, oldest ? Math.max(0, (this.now() - oldest.timestamp) / 1000) : 0);
        }),
    });
    this.jobDuration = new Histogram({
      name: "mfnas_job_duration_seconds",
      help: "Time a job attempt ran on a worker of this process, by queue, job name and outcome.",
      labelNames: ["queue", "name", "outcome"] as const,
      buckets: JOB_DURATION_BUCKETS,
      registers,
    });
    this.completed = new Counter({
      name: "mfnas_jobs_completed_total",
      help: "Job attempts that completed on this process, by queue and job name.",
      labelNames: ["queue", "name"] as const,
      registers,
    });
    this.failures = new Counter({
      name: "mfnas_job_failures_total",
      help: 'Job attempts that failed on this process; final="true" when no retry is left (or the error is permanent).',
      labelNames: ["queue", "name", "final"] as const,
      registers,
    });
    this.busySeconds = new Counter({
      name: "mfnas_worker_busy_seconds_total",
      help: "Seconds spent running jobs, summed over job slots (running jobs count up to the scrape).",
      labelNames: ["queue"] as const,
      registers,
      collect: () => {
        for (const queue of this.loads.keys()) this.accountBusy(queue);
      },
    });
    const perQueue = (name: string, help: string, value: (queue: string, load: WorkerLoad) => number) => {
      const gauge: Gauge<"queue"> = new Gauge({
        name,
        help,
        labelNames: ["queue"] as const,
        registers,
        collect: () => {
          gauge.reset();
          for (const [queue, load] of this.loads) gauge.set({ queue }, value(queue, load));
        },
      });
    };
    perQueue("mfnas_worker_active_jobs", "Jobs running now on this process's workers, by queue.", (_q, load) => {
      return load.running.size;
    });
    perQueue(
      "mfnas_worker_concurrency",
      "Job slots of this process's workers (jobs they may run at once), by queue.",
      (_q, load) => load.concurrency,
    );
    perQueue(
      "mfnas_worker_utilization_ratio",
      "Busy share of this process's job slots over the last minute (0..1), by queue.",
      (queue) => this.utilization(queue),
    );
  }

  private async eachQueue<L extends string>(
    gauge: Gauge<L>,
    failure: string,
    read: (name: string, queue: Queue) => Promise<void>,
  ): Promise<void> {
    gauge.reset();
    await Promise.all(
      [...this.queues].map(async ([name, queue]) => {
        try {
          await read(name, queue);
        } catch (error) {
          this.options.log?.warn(failure, { queue: name, error: errorMessage(error) });
        }
      }),
    );
  }

  /** Reads depth and oldest-job age of these queues at every scrape (queue names without the prefix). */
  watchQueue(connection: Redis, prefix: string, name: string): void {
    if (this.queues.has(name)) return;
    const queue = new Queue(name, { connection, prefix });
    // Connection errors surface as failed reads at scrape time (logged there); the owner of the connection logs
    // the outage itself.
    queue.on("error", () => undefined);
    this.queues.set(name, queue);
  }

  /** Stops reading a queue (a device class whose last phone went away). */
  async unwatchQueue(name: string): Promise<void> {
    const queue = this.queues.get(name);
    this.queues.delete(name);
    await queue?.close();
  }

  /**
   * Counts a worker's jobs (durations, completions, failures) and its load. Returns a function that detaches it;
   * closing the worker without detaching leaves its slots counted.
   */
  instrumentWorker(worker: CatalogWorker | Worker): () => void {
    const bull = "bullWorker" in worker ? worker.bullWorker : worker;
    const queue = bull.name;
    const load = this.loadOf(queue);
    const concurrency = bull.concurrency;
    load.concurrency += concurrency;
    const onActive = (job: Job) => {
      const now = this.now();
      const interval: BusyInterval = { start: now, end: undefined, accounted: now };
      load.running.set(job.id ?? "", interval);
      load.intervals.push(interval);
    };
    const finish = (job: Job): number => {
      const now = this.now();
      const interval = load.running.get(job.id ?? "");
      load.running.delete(job.id ?? "");
      if (interval) {
        interval.end = now;
        this.accountBusy(queue);
      }
      const started = job.processedOn ?? interval?.start ?? now;
      return Math.max(0, ((job.finishedOn ?? now) - started) / 1000);
    };
    const onCompleted = (job: Job) => {
      const seconds = finish(job);
      this.jobDuration.observe({ queue, name: job.name, outcome: "completed" }, seconds);
      this.completed.inc({ queue, name: job.name });
    };
    const onFailed = (job: Job | undefined, error: Error) => {
      if (!job) return;
      const seconds = finish(job);
      const final = error.name === "UnrecoverableError" || job.attemptsMade >= (job.opts.attempts ?? 1);
      this.jobDuration.observe({ queue, name: job.name, outcome: "failed" }, seconds);
      this.failures.inc({ queue, name: job.name, final: String(final) });
    };
    bull.on("active", onActive);
    bull.on("completed", onCompleted);
    bull.on("failed", onFailed);
    return () => {
      bull.off("active", onActive);
      bull.off("completed", onCompleted);
      bull.off("failed", onFailed);
      load.concurrency -= concurrency;
    };
  }

  /** What this process computes on, as set by reportCompute; /readyz serves it (serveMetrics). */
  get compute(): Readonly<Record<string, string>> | undefined {
    return this.computeLabels;
  }

  /**
   * Says which compute backend really loaded (e.g. `{ tfjs: "wasm", accelerator: "cpu" }`): exported as
   * `mfnas_compute_backend_info{...} 1` and served in /readyz as `compute`. Call once, at start.
   */
  reportCompute(labels: Readonly<Record<string, string>>): void {
    if (this.computeLabels) throw new Error("reportCompute: the compute backend is reported once, at start");
    this.computeLabels = { ...labels };
    new Gauge({
      name: "mfnas_compute_backend_info",
      help: "The compute backend this process loaded (always 1; the labels say which, and on what).",
      labelNames: Object.keys(labels),
      registers: [this.registry],
    }).set(labels, 1);
  }

  /** Closes the queue handles used for reading counts (not the connection). */
  async close(): Promise<void> {
    await Promise.all([...this.queues.keys()].map((name) => this.unwatchQueue(name)));
  }

  /** Redis commands wait forever during an outage (BullMQ's setting); a scrape must not. */
  private withinTimeout<T>(read: Promise<T>): Promise<T> {
    const ms = this.options.queueReadTimeoutMs ?? 3_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Redis within ${ms} ms`)), ms);
    });
    read.catch(() => undefined);
    return Promise.race([read, timeout]).finally(() => clearTimeout(timer));
  }

  private loadOf(queue: string): WorkerLoad {
    let load = this.loads.get(queue);
    if (!load) {
      load = { concurrency: 0, intervals: [], running: new Map(), since: this.now() };
      this.loads.set(queue, load);
    }
    return load;
  }

  private accountBusy(queue: string): void {
    const load = this.loads.get(queue);
    if (!load) return;
    const now = this.now();
    let ms = 0;
    for (const interval of load.intervals) {
      const upTo = interval.end ?? now;
      ms += Math.max(0, upTo - interval.accounted);
      interval.accounted = upTo;
    }
    if (ms > 0) this.busySeconds.inc({ queue }, ms / 1000);
    this.prune(load, now);
  }

  /** Intervals that ended before the utilization window are accounted already and no longer needed. */
  private prune(load: WorkerLoad, now: number): void {
    const kept = load.intervals.filter((i) => i.end === undefined || i.end > now - UTILIZATION_WINDOW_MS);
    if (kept.length !== load.intervals.length) load.intervals.splice(0, load.intervals.length, ...kept);
  }

  /** Busy share of the slots over the window; a process younger than the window is measured since it started. */
  private utilization(queue: string): number {
    const load = this.loads.get(queue);
    if (!load || load.concurrency <= 0) return 0;
    const now = this.now();
    const from = Math.max(now - UTILIZATION_WINDOW_MS, load.since);
    const span = now - from;
    if (span <= 0) return load.running.size > 0 ? 1 : 0;
    let busy = 0;
    for (const i of load.intervals) busy += Math.max(0, Math.min(i.end ?? now, now) - Math.max(i.start, from));
    return Math.min(1, busy / (span * load.concurrency));
  }
}
