/**
 * Queues are a stored contract: jobs already in Redis name them. Never rename one without a drain plan.
 *
 * Lock and stall settings decide how fast a crashed worker's job is picked up again: a worker renews its lock
 * every lockDurationMs/2; a job whose lock expired is moved back to wait at the next stall check.
 */
export interface QueueDefinition {
  /** Queue name in Redis (under the deployment's prefix). */
  readonly name: string;
  /** Which service consumes it. */
  readonly consumer: "searcher" | "trainer" | "evaluator" | "device-lab" | "scheduler";
  /** Jobs one worker process runs at once unless its env overrides it. */
  readonly defaultConcurrency: number;
  /** Lock time in ms; a worker that stops renewing for this long is considered dead. */
  readonly lockDurationMs: number;
  /** How often workers look for stalled jobs, in ms. */
  readonly stalledIntervalMs: number;
  /** How many times a job may stall (its worker died) before it fails for good. */
  readonly maxStalledCount: number;
}

const MINUTE = 60_000;

export const QUEUES = {
  search: {
    name: "search",
    consumer: "searcher",
    defaultConcurrency: 2,
    lockDurationMs: 2 * MINUTE,
    stalledIntervalMs: MINUTE,
    maxStalledCount: 5,
  },
  train: {
    name: "train",
    consumer: "trainer",
    defaultConcurrency: 1,
    lockDurationMs: 5 * MINUTE,
    stalledIntervalMs: 2 * MINUTE,
    maxStalledCount: 10,
  },
  evaluate: {
    name: "evaluate",
    consumer: "evaluator",
    defaultConcurrency: 1,
    lockDurationMs: 2 * MINUTE,
    stalledIntervalMs: MINUTE,
    maxStalledCount: 3,
  },
  schedule: {
    name: "schedule",
    consumer: "scheduler",
    defaultConcurrency: 1,
    lockDurationMs: MINUTE,
    stalledIntervalMs: 30_000,
    maxStalledCount: 3,
  },
} as const satisfies Record<string, QueueDefinition>;

/** Settings shared by every per-device-class measure queue. */
const MEASURE_QUEUE = {
  consumer: "device-lab",
  defaultConcurrency: 1,
  lockDurationMs: 5 * MINUTE,
  stalledIntervalMs: MINUTE,
  maxStalledCount: 5,
} as const;

/** Device classes become part of a queue name, so they are restricted to a safe alphabet. */
export const DEVICE_CLASS_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The queue that every phone of one device class consumes: `measure.<deviceClass>`. */
export function measureQueue(deviceClass: string): QueueDefinition {
  if (!DEVICE_CLASS_PATTERN.test(deviceClass)) {
    throw new Error(`device class ${JSON.stringify(deviceClass)} does not match ${String(DEVICE_CLASS_PATTERN)}`);
  }
  return { name: `measure.${deviceClass}`, ...MEASURE_QUEUE };
}

export type StaticQueueName = (typeof QUEUES)[keyof typeof QUEUES]["name"];
