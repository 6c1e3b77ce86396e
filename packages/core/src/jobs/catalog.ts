import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "../canonical-json.ts";
import { MfnasError } from "../errors.ts";
import { RUNTIMES } from "../kinds.ts";
import { issueMessages } from "../zod-issues.ts";
import { LATENCY_STATISTICS } from "../search/latency-statistic.ts";
import { DEVICE_CLASS_PATTERN, QUEUES, measureQueue, type QueueDefinition } from "./queues.ts";

/**
 * The job catalog: the one source of truth for every job mfnas queues.
 *
 * Payloads carry ids and small values, never whole records. A field added later must be optional, so that
 * jobs already queued still validate when a newer worker picks them up.
 */
export interface JobDefinition<Name extends string, Schema extends z.ZodType> {
  readonly name: Name;
  readonly description: string;
  readonly payload: Schema;
  /** The queue the job goes to; measure jobs route by device class. */
  readonly queue: (payload: z.infer<Schema>) => QueueDefinition;
  /**
   * A deterministic id from what the job computes: the same work enqueued twice is one job.
   * BullMQ forbids ':' in custom ids, so ids use '.' and '-' only.
   */
  readonly jobId: (payload: z.infer<Schema>) => string;
  /** Attempts in all, the first included; only transient failures use the later ones. */
  readonly attempts: number;
  readonly backoff: { readonly type: "exponential" | "fixed"; readonly delayMs: number };
  /** Wall-time limit of one attempt; past it the handler's signal aborts and the attempt fails as transient. */
  readonly timeoutMs: number;
}

const uuid = z.uuid();
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a lowercase sha256 hex digest");
const deviceClass = z.string().regex(DEVICE_CLASS_PATTERN, "must be lowercase letters, digits, '-' or '_'");

function define<Name extends string, Schema extends z.ZodType>(
  def: JobDefinition<Name, Schema>,
): JobDefinition<Name, Schema> {
  return def;
}

/** A short digest for ids built from several values. */
function digest(...parts: Array<string | number>): string {
  return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 32);
}

const HOUR = 3_600_000;

export const runtimeConfigSchema = z.strictObject({
  runtime: z.enum(RUNTIMES, {
    error: (issue) => `runtime ${JSON.stringify(issue.input)} has no runner; runtimes: ${RUNTIMES.join(", ")}`,
  }),
  threads: z.int().min(1).max(16),
  delegate: z.enum(["cpu", "xnnpack", "gpu", "nnapi", "hexagon"]),
  precision: z.enum(["fp32", "fp16"]),
  /** Big-core affinity mask, e.g. "f0"; absent = scheduler default. */
  cpuAffinity: z
    .string()
    .regex(/^[0-9a-f]{1,4}$/)
    .optional(),
  warmupRuns: z.int().min(0).max(1000),
  runs: z.int().min(1).max(10_000),
});
export type RuntimeConfig = z.infer<typeof runtimeConfigSchema>;

export const JOBS = {
  searchRun: define({
    name: "search.run",
    description: "Run one architecture search, generation by generation, resuming after the last stored one.",
    payload: z.strictObject({ searchId: uuid }),
    queue: () => QUEUES.search,
    jobId: (p) => `search.run-${p.searchId}`,
    attempts: 5,
    backoff: { type: "exponential", delayMs: 2_000 },
    timeoutMs: 24 * HOUR,
  }),
  trainSupernet: define({
    name: "trainer.train-supernet",
    description: "Train (or resume training) a weight-sharing MFA supernet with distillation.",
    payload: z.strictObject({ supernetId: uuid }),
    queue: () => QUEUES.train,
    jobId: (p) => `trainer.train-supernet-${p.supernetId}`,
    attempts: 10,
    backoff: { type: "exponential", delayMs: 10_000 },
    timeoutMs: 72 * HOUR,
  }),
  evaluateCandidate: define({
    name: "evaluator.evaluate-candidate",
    description: "Score one SubGenerator with inherited supernet weights on a validation set.",
    payload: z.strictObject({
      supernetId: uuid,
      checkpointStep: z.int().min(0),
      genomeHash: sha256Hex,
      /** Canonical genome encoding; validated against the supernet's space by the evaluator. */
      genome: z.string().min(1).max(4_096),
      validationSet: z.string().min(1).max(512),
    }),
    queue: () => QUEUES.evaluate,
    jobId: (p) =>
      `evaluator.evaluate-candidate-${digest(p.supernetId, p.checkpointStep, p.genomeHash, p.validationSet)}`,
    attempts: 3,
    backoff: { type: "exponential", delayMs: 5_000 },
    timeoutMs: HOUR,
  }),
  measure: define({
    name: "devicelab.measure",
    description: "Measure one exported SubGenerator's latency on a phone of a device class.",
    payload: z.strictObject({
      /** Deterministic key of this request; also the unique key of the Measurement row it writes. */
      requestKey: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, "must be 1-200 of A-Z a-z 0-9 . _ -"),
      architectureHash: sha256Hex,
      artifactSha256: sha256Hex,
      deviceClass,
      runtimeConfig: runtimeConfigSchema,
      inputHeight: z.int().min(8).max(2_048),
      inputWidth: z.int().min(8).max(2_048),
    }),
    queue: (p) => measureQueue(p.deviceClass),
    jobId: (p) => `devicelab.measure-${p.requestKey}`,
    attempts: 6,
    backoff: { type: "exponential", delayMs: 5_000 },
    timeoutMs: HOUR,
  }),
  latencyProfile: define({
    name: "latency.profile",
    description:
      "Profile the latency kernels of a search space on a device class (each kernel exported alone and measured " +
      "by devicelab.measure) and store the kernel profile the searcher's latency predictors start from.",
    payload: z.strictObject({
      deviceClass,
      runtimeConfig: runtimeConfigSchema,
      inputHeight: z.int().min(8).max(2_048),
      inputWidth: z.int().min(8).max(2_048),
      /** The figure each kernel's measurement stands for in the stored profile; absent = median. */
      statistic: z.enum(LATENCY_STATISTICS).optional(),
      /** A narrowing of the default search space (as in a search spec); absent = the default space. */
      space: z.record(z.string(), z.unknown()).optional(),
      /** Share of the per-block kernels (branches, fuses) measured besides each group's extremes; absent = 0.25. */
      blockShare: z.number().gt(0).max(1).optional(),
      /** Seed of the per-block sample; absent = 1. */
      seed: z
        .int()
        .min(0)
        .max(2 ** 31 - 1)
        .optional(),
    }),
    queue: () => QUEUES.search,
    jobId: (p) => `latency.profile-${digest(canonicalJson(p))}`,
    attempts: 3,
    backoff: { type: "exponential", delayMs: 10_000 },
    timeoutMs: 12 * HOUR,
  }),
  scheduleFire: define({
    name: "scheduler.fire",
    description: "Start the search of one schedule slot (exactly once per slot).",
    payload: z.strictObject({ scheduleId: uuid, slot: z.iso.datetime() }),
    queue: () => QUEUES.schedule,
    jobId: (p) => `scheduler.fire-${p.scheduleId}-${digest(p.slot)}`,
    attempts: 5,
    backoff: { type: "exponential", delayMs: 5_000 },
    timeoutMs: 10 * 60_000,
  }),
} as const;

export type JobKey = keyof typeof JOBS;
export type AnyJobDefinition = (typeof JOBS)[JobKey];
export type JobName = AnyJobDefinition["name"];
export type JobByName<N extends JobName> = Extract<AnyJobDefinition, { name: N }>;
export type PayloadOf<N extends JobName> = z.infer<JobByName<N>["payload"]>;

const BY_NAME: ReadonlyMap<string, AnyJobDefinition> = new Map(Object.values(JOBS).map((job) => [job.name, job]));

export function jobDefinition(name: string): AnyJobDefinition {
  const job = BY_NAME.get(name);
  if (!job) throw new MfnasError("unknown_job", `unknown job name ${JSON.stringify(name)}`, { name });
  return job;
}

/**
 * Validates a payload against its job's schema. Used by producers before enqueueing and by workers on pick-up;
 * a failure is permanent (`invalid_payload`) and names each bad field.
 */
export function validatePayload<N extends JobName>(name: N, payload: unknown): PayloadOf<N> {
  const job = jobDefinition(name);
  const result = job.payload.safeParse(payload);
  if (!result.success) {
    const fields = issueMessages(result.error, "(payload)");
    throw new MfnasError("invalid_payload", `invalid payload for ${name}: ${fields.join("; ")}`, { job: name, fields });
  }
  return result.data as PayloadOf<N>;
}
