import { canonicalJson, latencyStatisticOf, type SearchTarget } from "@mfnas/core";
import {
  fitPredictor,
  predictLatency,
  selectForMeasurement,
  type GenomeSample,
  type KernelSample,
  type LatencyPredictor,
  type PredictorScope,
} from "@mfnas/latency";
import {
  latencyMs,
  type EstimateRequest,
  type Latency,
  type LatencyEstimate,
  type LatencyPrediction,
  type LatencyRequest,
  type LatencySource,
} from "../ports.ts";

/** A target's predictor data: the profiled kernels and the SubGenerators measured so far. */
interface PredictorData {
  readonly kernels: readonly KernelSample[];
  readonly samples: readonly GenomeSample[];
}

/** Where the active source gets its starting data and puts refitted predictors. */
export interface PredictorBook {
  load(scope: PredictorScope): Promise<PredictorData>;
  /** Called after each refit; absent = refits are kept in memory only. */
  save?(predictor: LatencyPredictor, data: PredictorData): Promise<void>;
}

export interface ActiveLatencyOptions {
  /** Device measurements (the device lab). */
  readonly measured: LatencySource;
  readonly book: PredictorBook;
}

interface ScopeState {
  predictor: LatencyPredictor;
  kernels: readonly KernelSample[];
  samples: GenomeSample[];
  known: Set<string>;
}

export function scopeOf(target: SearchTarget): PredictorScope {
  return {
    deviceClass: target.deviceClass,
    runtimeConfig: target.runtimeConfig,
    input: target.input,
    statistic: latencyStatisticOf(target),
  };
}

/**
 * Active calibration: predicts every candidate's latency, measures on the device only those whose measurement
 * could change a decision (`selectForMeasurement`: uncertain near the target's limit, or possibly on the front),
 * and refits the predictor with every measurement that arrives. Plain `measure` calls (the final set) go straight
 * to the device and feed the predictor too.
 */
export class ActiveLatencySource implements LatencySource {
  readonly #states = new Map<string, Promise<ScopeState>>();
  #saved = 0;
  #estimated = 0;

  constructor(private readonly options: ActiveLatencyOptions) {}

  get newMeasurements(): number {
    return this.options.measured.newMeasurements;
  }

  /** Candidate latencies answered by prediction alone so far. */
  get measurementsSaved(): number {
    return this.#saved;
  }

  /** Candidate latencies estimated so far (predicted or measured). */
  get estimated(): number {
    return this.#estimated;
  }

  /** The current predictor of a target (fitted from the stored data on first use). */
  async predictor(target: SearchTarget): Promise<LatencyPredictor> {
    return (await this.#state(target)).predictor;
  }

  async measure(request: LatencyRequest, signal: AbortSignal): Promise<Map<string, Latency | Error>> {
    const measured = await this.options.measured.measure(request, signal);
    // Only probes of the architecture at the predictor's input teach it; exported final models may differ.
    if (!request.artifacts) await this.#learn(request, measured);
    return measured;
  }

  async estimate(request: EstimateRequest, signal: AbortSignal): Promise<LatencyEstimate> {
    const state = await this.#state(request.target);
    const predicted = new Map<string, LatencyPrediction>();
    for (const g of request.genomes) {
      const p = predictLatency(state.predictor, g.genome);
      predicted.set(g.hash, { meanMs: p.meanMs, stdMs: p.stdMs, predictorVersion: p.predictorVersion });
    }
    const chosen = selectForMeasurement({
      candidates: request.genomes.map((g) => {
        const p = predicted.get(g.hash) as LatencyPrediction;
        return { hash: g.hash, meanMs: p.meanMs, stdMs: p.stdMs, fitness: (ms: number) => request.fitness(g.hash, ms) };
      }),
      front: request.front,
      ...(request.target.maxLatencyMs !== undefined ? { maxLatencyMs: request.target.maxLatencyMs } : {}),
      ...(request.z !== undefined ? { z: request.z } : {}),
      ...(request.limit !== undefined ? { limit: request.limit } : {}),
    });
    const toMeasure = request.genomes.filter((g) => chosen.has(g.hash));
    const measured =
      toMeasure.length > 0
        ? await this.options.measured.measure({ target: request.target, genomes: toMeasure }, signal)
        : new Map<string, Latency | Error>();
    this.#estimated += request.genomes.length;
    this.#saved += request.genomes.length - toMeasure.length;
    await this.#learn({ target: request.target, genomes: toMeasure }, measured);
    return { measured, predicted };
  }

  #state(target: SearchTarget): Promise<ScopeState> {
    const scope = scopeOf(target);
    const key = canonicalJson(scope);
    let state = this.#states.get(key);
    if (!state) {
      state = this.options.book.load(scope).then((data) => ({
        predictor: fitPredictor(scope, data.kernels, data.samples),
        kernels: data.kernels,
        samples: [...data.samples],
        known: new Set(data.samples.map((s) => canonicalJson(s.genome))),
      }));
      this.#states.set(key, state);
    }
    return state;
  }

  /** Adds new measurements to the target's data and refits its predictor (once it has been used to predict). */
  async #learn(request: LatencyRequest, measured: Map<string, Latency | Error>): Promise<void> {
    if (!this.#states.has(canonicalJson(scopeOf(request.target)))) return;
    const state = await this.#state(request.target);
    let added = 0;
    for (const g of request.genomes) {
      const m = measured.get(g.hash);
      const key = canonicalJson(g.genome);
      if (!m || m instanceof Error || state.known.has(key)) continue;
      state.samples.push({ genome: g.genome, ms: latencyMs(m, request.target) });
      state.known.add(key);
      added++;
    }
    if (added === 0) return;
    state.predictor = fitPredictor(scopeOf(request.target), state.kernels, state.samples);
    await this.options.book.save?.(state.predictor, { kernels: state.kernels, samples: state.samples });
  }
}
