import { latencyStatisticOf, type CostReport, type Genome, type SearchStatus, type SearchTarget } from "@mfnas/core";

/**
 * The searcher's ports: what it needs from the results store, the evaluator and the device lab. Each is
 * implemented over Postgres and the queues in this service's adapters, and in memory in the handler's unit tests.
 */

export interface StoredSearch {
  readonly id: string;
  readonly status: SearchStatus;
  readonly spec: unknown;
  readonly seed: number;
  readonly lastGeneration: number | null;
  readonly startedAt: Date | null;
}

/** A genome with the figures the searcher knows without running anything. */
export interface CandidateGenome {
  readonly genome: Genome;
  readonly hash: string;
  readonly encoded: string;
  /** Exact cost at the spec's reference input. */
  readonly cost: CostReport;
}

export interface Quality {
  readonly psnr: number;
  readonly ssim: number;
}

export interface Latency {
  /** Median over the repetitions of each repetition's mean run. */
  readonly medianMs: number;
  /** Fastest single run over every repetition. */
  readonly minMs: number;
  /** Peak memory the runtime reported on the phone, if it reports one. */
  readonly peakMemoryMb: number | null;
  readonly measurementId: string;
}

/** A measurement as a candidate of a target stores it, with the figure that is that target's latency. */
export interface MeasuredLatency extends Latency {
  /** `medianMs` or `minMs`, by the target's `latencyStatistic`. */
  readonly latencyMs: number;
}

/** A target's latency from a measurement: the figure its `latencyStatistic` names. */
export function latencyMs(
  latency: Pick<Latency, "medianMs" | "minMs">,
  target: Pick<SearchTarget, "latencyStatistic">,
): number {
  return latencyStatisticOf(target) === "min" ? latency.minMs : latency.medianMs;
}

/** Latency a predictor gave, never a measurement. */
export interface LatencyPrediction {
  readonly meanMs: number;
  readonly stdMs: number;
  readonly predictorVersion: string;
}

/** A candidate as a generation stores it: figures per target kept apart by where they came from. */
export interface CandidateRecord extends CandidateGenome {
  readonly quality: Quality | null;
  /** Measured latency per target name; predictions never go here. */
  readonly measured: Readonly<Record<string, MeasuredLatency>>;
  /** Predicted latency per target name (searches with latencySource "predicted"). */
  readonly predicted?: Readonly<Record<string, LatencyPrediction>>;
  readonly objectives: readonly number[];
  readonly violation: number;
  readonly rank: number;
  /** Why a figure is missing (evaluation or measurement failed for good), if it is. */
  readonly error?: string;
}

export interface PopulationMember {
  readonly hash: string;
  readonly rank: number;
  readonly objectives: readonly number[];
  readonly violation: number;
}

export interface GenerationWrite {
  readonly searchId: string;
  readonly index: number;
  readonly costModelVersion: string;
  readonly referenceInput: { readonly height: number; readonly width: number };
  /** The candidates evaluated in this generation (new to the search or not). */
  readonly candidates: readonly CandidateRecord[];
  /** The population after selection, with ranks and fitness, as the next generation starts from it. */
  readonly population: readonly PopulationMember[];
  /** Hashes of the first front (feasible, non-dominated) of the population after selection. */
  readonly front: readonly string[];
  readonly hypervolume: number | null;
  /** The algorithm's state after this generation plus the searcher's own bookkeeping (JSON). */
  readonly state: unknown;
}

export interface SearchStore {
  getSearch(id: string): Promise<StoredSearch | null>;
  markRunning(id: string): Promise<void>;
  /** The state written with a generation, to resume after it. */
  generationState(searchId: string, index: number): Promise<unknown>;
  /** The search-space override a supernet was trained with (its stored searchSpace), or null if it is missing. */
  supernetSpace(supernetId: string): Promise<unknown>;
  /** Latest checkpoint step of a supernet, or null if it has none. */
  latestCheckpointStep(supernetId: string): Promise<number | null>;
  /** Architecture rows for genomes (shared across searches); writing one again is a no-op. */
  ensureArchitectures(
    genomes: readonly CandidateGenome[],
    costModelVersion: string,
    referenceInput: { height: number; width: number },
  ): Promise<void>;
  /**
   * Writes one generation whole, in one transaction: its candidates with their figures, the generation row and
   * the search's lastGeneration. Writing the same generation again is a no-op.
   */
  writeGeneration(generation: GenerationWrite): Promise<void>;
  finish(
    id: string,
    outcome: { status: "succeeded" | "failed" | "cancelled"; error?: string; result?: unknown },
  ): Promise<void>;
  /** Why this search's candidates failed for good, one entry per failed candidate; absent = not kept. */
  candidateErrors?(searchId: string): Promise<string[]>;
}

/** What the searcher stores with each generation next to the optimizer's own state. */
export interface SearchBook {
  readonly checkpointStep: number | null;
  readonly reference: number[] | null;
  /** Device measurements this search asked for that were not stored already. */
  readonly measurementsRequested: number;
  /** Candidate latencies a predictor answered instead of a device measurement (predicted searches). */
  readonly measurementsSaved?: number;
  /** The full objective vector and violation of each member of the current population, by genome hash. */
  readonly figures: Record<string, { objectives: number[]; violation: number }>;
}

export interface QualityRequest {
  readonly supernetId: string;
  readonly checkpointStep: number;
  readonly validationSet: string;
  readonly genomes: readonly CandidateGenome[];
}

/** Quality of SubGenerators with the supernet's inherited weights (the evaluator, through its queue). */
export interface QualitySource {
  /** Quality per genome hash; a genome whose evaluation failed for good maps to an Error. */
  evaluate(request: QualityRequest, signal: AbortSignal): Promise<Map<string, Quality | Error>>;
}

export interface LatencyRequest {
  readonly target: SearchTarget;
  readonly genomes: readonly CandidateGenome[];
  /**
   * Models to measure by genome hash (exported with their inherited weights); absent = the source exports a
   * latency probe with the same architecture.
   */
  readonly artifacts?: ReadonlyMap<string, string>;
  /** Distinguishes a request from the same one made earlier (e.g. a final re-measurement); absent = cacheable. */
  readonly tag?: string;
}

/** What a predicting source needs to decide which candidates deserve a device measurement. */
export interface EstimateRequest extends LatencyRequest {
  /** The candidate's objective vector and constraint violation if its latency on this target were `ms`. */
  readonly fitness: (
    hash: string,
    ms: number,
  ) => { readonly objectives: readonly number[]; readonly violation: number };
  /** Objective vectors of the search's current front (empty before the first generation). */
  readonly front: readonly (readonly number[])[];
  /** Most candidates of this batch to measure on the device; absent = every decision-relevant one. */
  readonly limit?: number;
  /** Width of the uncertainty band in predicted standard deviations; absent = the source's default. */
  readonly z?: number;
}

export interface LatencyEstimate {
  /** Candidates measured on the device (or found measured in the store). */
  readonly measured: Map<string, Latency | Error>;
  /** Predictions of every candidate, measured or not. */
  readonly predicted: Map<string, LatencyPrediction>;
}

/** On-device latency of SubGenerators (the device lab, through its per-class queues). */
export interface LatencySource {
  /** Latency per genome hash; a measurement that failed for good maps to an Error. */
  measure(request: LatencyRequest, signal: AbortSignal): Promise<Map<string, Latency | Error>>;
  /** How many device measurements the source has asked for that were not already stored. */
  readonly newMeasurements: number;
  /**
   * Sources with a latency predictor: predicts every candidate and measures only those whose measurement could
   * change a decision (uncertain near a limit, or possibly on the front), refitting as measurements arrive.
   */
  estimate?(request: EstimateRequest, signal: AbortSignal): Promise<LatencyEstimate>;
}
