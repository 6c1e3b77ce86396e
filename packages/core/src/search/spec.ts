import { z } from "zod";
import { MfnasError } from "../errors.ts";
import { EXPORT_FORMATS } from "../kinds.ts";
import { issueMessages } from "../zod-issues.ts";
import { algorithmSpecSchema } from "../evolution/algorithm-spec.ts";
import { runtimeConfigSchema } from "../jobs/catalog.ts";
import { DEVICE_CLASS_PATTERN } from "../jobs/queues.ts";
import { LATENCY_STATISTICS, type LatencyStatistic } from "./latency-statistic.ts";

/**
 * A search spec as users submit it (YAML or JSON): the supernet whose inherited weights give quality, the space
 * (optionally narrowed), the targets (device classes with a runtime config and an LR input size) with their
 * constraints, the objectives, the algorithm, the budget and the seed. Fields added later are optional, so that
 * stored specs stay valid.
 */

export { LATENCY_STATISTICS, type LatencyStatistic } from "./latency-statistic.ts";

const inputSize = z.strictObject({
  height: z.int().min(8).max(2_048).multipleOf(4),
  width: z.int().min(8).max(2_048).multipleOf(4),
});

const targetSchema = z.strictObject({
  /** Name of the target in fronts and reports; defaults to the device class. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, "must be 1-64 of A-Z a-z 0-9 . _ -")
    .optional(),
  /** Device class whose phones measure this target (the `measure.<deviceClass>` queue). */
  deviceClass: z.string().regex(DEVICE_CLASS_PATTERN, "must be lowercase letters, digits, '-' or '_'"),
  runtimeConfig: runtimeConfigSchema.default({
    runtime: "tflite",
    threads: 1,
    delegate: "xnnpack",
    precision: "fp32",
    warmupRuns: 2,
    runs: 10,
  }),
  /** LR input of the model measured on the phone. */
  input: inputSize.default({ height: 64, width: 64 }),
  /**
   * Which figure of a measurement is this target's latency (objective, constraint and predictor): "median" (the
   * median over repetitions of each repetition's mean run, the default) or "min" (the fastest single run of all
   * repetitions, the figure that stays repeatable on a host shared with other work, whose contention only ever adds
   * time).
   */
  latencyStatistic: z.enum(LATENCY_STATISTICS).optional(),
  /** Constraint: measured (or predicted) latency, by `latencyStatistic`, at most this many ms. */
  maxLatencyMs: z.number().positive().max(3_600_000).optional(),
  /** Constraint: peak memory at most this many MB (measured where the runtime reports it, else the cost model). */
  maxPeakMemoryMb: z.number().positive().max(1_000_000).optional(),
});

const [nsga2, evolution, random] = algorithmSpecSchema.options;
/** The algorithm and its settings; the population size is the budget's. */
const algorithmSchema = z.discriminatedUnion("kind", [
  nsga2.omit({ populationSize: true }),
  evolution.omit({ populationSize: true }),
  random.omit({ populationSize: true }),
]);

/**
 * Bound on a search's fan-out: population × generations, the candidate evaluations (and, per target, latency
 * measurements) it may enqueue over its life. Either limit alone allows 41 million (4096 × 10000).
 */
export const MAX_CANDIDATE_EVALUATIONS = 1_000_000;

/**
 * What a search can optimise. "memory": weights plus peak activations, MB (the smallest resident set);
 * "traffic": memory traffic, MB, MFAGAN's memory access cost: the bytes every op reads and writes (inputs,
 * weights, output), summed over one inference at the reference input. Both come from the cost model.
 */
export const SEARCH_OBJECTIVES = ["psnr", "ssim", "latency", "memory", "macs", "traffic"] as const;
export type SearchObjective = (typeof SEARCH_OBJECTIVES)[number];

/** The unit each objective is reported in (fitness vectors, fronts, results). */
export const OBJECTIVE_UNITS: Readonly<Record<SearchObjective, string>> = {
  psnr: "dB",
  ssim: "",
  latency: "ms",
  memory: "MB",
  macs: "GMAC",
  traffic: "MB",
};

/**
 * The cost a two-objective front (quality up, cost down) can rank by: latency on a target, or a cost-model figure
 * of the architecture at its reference input, in the searcher's units: memory = weights plus peak activations (MB),
 * traffic = memory traffic, the memory access cost (MB), macs (GMAC).
 */
export const FRONT_AXES = ["latency", "memory", "traffic", "macs"] as const satisfies readonly SearchObjective[];
export type FrontAxis = (typeof FRONT_AXES)[number];

/** What each front axis is, in words, for plots and tables (the unit is OBJECTIVE_UNITS'). */
export const FRONT_AXIS_LABELS: Readonly<Record<FrontAxis, string>> = {
  latency: "latency",
  memory: "memory: weights + peak activations",
  traffic: "memory traffic (memory access cost)",
  macs: "MACs",
};

export const searchSpecSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
    /** Seed of every random choice the search makes; the same spec and seed give the same search. */
    seed: z.int().min(0).max(2_147_483_647).default(0),
    /** Supernet whose weights the candidates inherit; absent = a cost-only search (no quality objective). */
    supernet: z
      .strictObject({
        id: z.uuid(),
        /** Checkpoint step to use; absent = the supernet's latest checkpoint when the search starts. */
        checkpointStep: z.int().min(0).optional(),
      })
      .optional(),
    /**
     * Images quality is measured on: a built-in dataset such as "photos-val" (real photographs shipped with the
     * evaluator; the default), "bundled:val" (procedural patterns, for tests), or a folder name under the
     * evaluators' validation root.
     */
    validationSet: z
      .string()
      .regex(/^(bundled:val|[A-Za-z0-9][A-Za-z0-9._-]{0,127})$/, 'must be "bundled:val" or a plain folder name')
      .default("photos-val"),
    /** Narrowing (or widening) of the default search space; validated by the space itself. */
    space: z.record(z.string(), z.unknown()).optional(),
    /** LR input size the cost figures are computed for; multiples of 4 so that every x4-downscaling branch fits. */
    referenceInput: inputSize.default({ height: 64, width: 64 }),
    /** Phones to search for; each adds a latency objective when "latency" is among the objectives. */
    targets: z.array(targetSchema).max(8).default([]),
    /** Global constraints on the analytic cost figures. */
    constraints: z
      .strictObject({
        maxMacs: z.number().positive().optional(),
        maxParams: z.number().positive().optional(),
        /**
         * Memory traffic (memory access cost) at the reference input at most this many MB (10^6 bytes): the
         * bytes every op reads and writes in one inference, as the cost model counts them.
         */
        maxMemoryTrafficMb: z
          .number({ error: "must be a number of MB (memory traffic per inference at referenceInput)" })
          .positive("must be a positive number of MB (memory traffic per inference at referenceInput)")
          .max(1_000_000_000, "must be at most 1e9 MB")
          .optional(),
      })
      .default({}),
    /**
     * What the search optimises: at most one quality measure (up) and any of latency per target, memory (peak),
     * MACs and traffic (memory traffic) (down). Absent = psnr when a supernet is given, latency when targets are, else macs and memory.
     */
    objectives: z
      .array(z.enum(SEARCH_OBJECTIVES))
      .min(1)
      .refine((o) => new Set(o).size === o.length, "must not repeat an objective")
      .optional(),
    algorithm: algorithmSchema.default({ kind: "nsga2", crossoverProbability: 0.9 }),
    /** Where latency comes from: every candidate measured on phones, or predicted with active measurement. */
    latencySource: z.enum(["measured", "predicted"]).default("measured"),
    /**
     * How a "predicted" search spends device time: candidates whose measurement could change a decision (uncertain
     * near a latency limit, or possibly on the front) are measured, the most decision-relevant first, until
     * `maxShare` of the latency estimates so far were measurements (default 0.1; the final re-measurement is not
     * counted). `z`: width of the uncertainty band in predicted standard deviations (default 2).
     */
    activeMeasurement: z
      .strictObject({
        maxShare: z.number().min(0).max(1).optional(),
        z: z.number().positive().max(10).optional(),
      })
      .optional(),
    budget: z.strictObject({
      generations: z.int().min(1).max(10_000),
      population: z.int().min(2).max(4_096),
      /** Stop sending candidates to phones after this many measurements (the final re-measurement excluded). */
      maxMeasurements: z.int().min(0).optional(),
      /** Stop starting generations after this many minutes of running. */
      wallTimeMinutes: z.number().positive().optional(),
    }),
    /** What happens to the final Pareto set. */
    final: z
      .strictObject({
        /** Measure the final Pareto set's exported models again on phones (never predictions only). */
        remeasure: z.boolean().default(true),
        /** Formats of the exported SubGenerators of the final Pareto set. */
        exportFormats: z.array(z.enum(EXPORT_FORMATS)).default(["tflite"]),
      })
      .default({ remeasure: true, exportFormats: ["tflite"] }),
  })
  .superRefine((spec, ctx) => {
    const candidates = spec.budget.population * spec.budget.generations;
    if (candidates > MAX_CANDIDATE_EVALUATIONS) {
      ctx.addIssue({
        code: "custom",
        path: ["budget"],
        message: `population × generations is ${candidates} candidate evaluations; a search may ask for at most ${MAX_CANDIDATE_EVALUATIONS}`,
      });
    }
    const objectives = searchObjectives(spec);
    const quality = objectives.filter((o) => o === "psnr" || o === "ssim");
    if (quality.length > 1) ctx.addIssue({ code: "custom", path: ["objectives"], message: "choose psnr or ssim" });
    if (quality.length > 0 && !spec.supernet) {
      ctx.addIssue({ code: "custom", path: ["supernet"], message: `is required for the ${quality[0]} objective` });
    }
    const latencyUsed = objectives.includes("latency") || spec.targets.some((t) => t.maxLatencyMs !== undefined);
    if (latencyUsed && spec.targets.length === 0) {
      ctx.addIssue({ code: "custom", path: ["targets"], message: "needs at least one target for latency" });
    }
    const names = spec.targets.map((t) => t.name ?? t.deviceClass);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i) {
        ctx.addIssue({ code: "custom", path: ["targets", i, "name"], message: `repeats target ${name}` });
      }
    });
  });

export type SearchSpec = z.infer<typeof searchSpecSchema>;
export type SearchSpecInput = z.input<typeof searchSpecSchema>;
export type SearchTarget = SearchSpec["targets"][number];
export type SearchAlgorithm = SearchSpec["algorithm"];

/** The objectives a search optimises: the spec's own, or those its supernet and targets imply. */
export function searchObjectives(spec: Pick<SearchSpec, "objectives" | "supernet" | "targets">): SearchObjective[] {
  if (spec.objectives) return [...spec.objectives];
  const implied: SearchObjective[] = [];
  if (spec.supernet) implied.push("psnr");
  if (spec.targets.length > 0) implied.push("latency");
  return implied.length > 0 ? implied : ["macs", "memory"];
}

/** The name a target goes by in fronts, latencies and reports. */
export function targetName(target: SearchTarget): string {
  return target.name ?? target.deviceClass;
}

/** Defaults of a predicted search's active measurement (see `activeMeasurement` in the spec). */
export const ACTIVE_MEASUREMENT_DEFAULTS = { maxShare: 0.1, z: 2 } as const;

/** The measurement figure that is a target's latency ("median" unless the target says otherwise). */
export function latencyStatisticOf(target: Pick<SearchTarget, "latencyStatistic">): LatencyStatistic {
  return target.latencyStatistic ?? "median";
}

/** Validates a spec; the error names every bad field by its path. */
export function parseSearchSpec(value: unknown): SearchSpec {
  const result = searchSpecSchema.safeParse(value);
  if (result.success) return result.data;
  const fields = issueMessages(result.error, "(spec)");
  throw new MfnasError("invalid_input", `invalid search spec: ${fields.join("; ")}`, { fields });
}
