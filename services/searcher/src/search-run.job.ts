import {
  ACTIVE_MEASUREMENT_DEFAULTS,
  COST_MODEL_VERSION,
  DEFAULT_SEARCH_SPACE,
  MfnasError,
  createOptimizer,
  createRng,
  paretoFront,
  errorMessage,
  isPermanent,
  JOBS,
  encodeGenome,
  genomeCost,
  genomeHash,
  genomeVariation,
  hypervolume,
  narrowSpace,
  parseSearchSpec,
  restoreOptimizer,
  searchObjectives,
  targetName,
  type Genome,
  type Optimizer,
  subspaceProblems,
  type SearchSpace,
  type SearchSpaceOverride,
  type SearchSpec,
} from "@mfnas/core";
import { throwIfAborted, type JobContext, type WorkerLog } from "@mfnas/queue";
import { finalizeSearch, type FinalExporter } from "./final-set.ts";
import { fitnessOf, memoryTrafficMb, objectiveAxes, referencePoint, type ObjectiveAxis } from "./objectives.ts";
import {
  latencyMs,
  type CandidateGenome,
  type CandidateRecord,
  type Latency,
  type LatencyPrediction,
  type LatencySource,
  type MeasuredLatency,
  type PopulationMember,
  type Quality,
  type QualitySource,
  type SearchBook,
  type SearchStore,
} from "./ports.ts";

export interface SearchRunResources {
  readonly store: SearchStore;
  /** The evaluator; required by searches with a quality objective. */
  readonly quality?: QualitySource;
  /** The device lab; required by searches with targets. */
  readonly latency?: LatencySource;
  /** Exports the final Pareto set; absent = the final set is reported without exported files. */
  readonly exporter?: FinalExporter;
  /**
   * Checks that a supernet checkpoint's file is in the artifact store and intact before a search uses it
   * (throws, naming the artifact, when it is missing or corrupt); absent = not checked.
   */
  readonly verifyCheckpoint?: (supernetId: string, step: number) => Promise<void>;
  readonly log: WorkerLog;
  /** How often a running search checks whether it was cancelled, in ms. Default 1000. */
  readonly cancelPollMs?: number;
  readonly now?: () => number;
}

interface StoredState {
  readonly optimizer: unknown;
  readonly book: SearchBook;
  /** Genome hashes evaluated in this generation (the optimizer's batch), in batch order. */
  readonly evaluated?: readonly string[];
}

/**
 * The space a search samples: its supernet's space (or the default space for a cost-only search), narrowed by the
 * spec's `space`, which may not leave the supernet's space (its weights exist only there).
 */
async function spacesOf(spec: SearchSpec, store: SearchStore): Promise<{ space: SearchSpace; base: SearchSpace }> {
  let base = DEFAULT_SEARCH_SPACE;
  if (spec.supernet) {
    const stored = await store.supernetSpace(spec.supernet.id);
    if (stored === null) {
      throw new MfnasError("invalid_input", `supernet.id: supernet ${spec.supernet.id} does not exist`, {
        field: "supernet.id",
      });
    }
    base = narrowSpace(DEFAULT_SEARCH_SPACE, stored as SearchSpaceOverride);
  }
  if (!spec.space) return { space: base, base };
  const space = narrowSpace(base, spec.space);
  const outside = subspaceProblems(space, base);
  if (outside.length > 0) {
    throw new MfnasError("invalid_input", `space: leaves the supernet's space (${outside.join("; ")})`, {
      field: "space",
      problems: outside,
    });
  }
  return { space, base };
}

/** A genome as the searcher handles it: with its hash, its encoding and its exact cost at `input`. */
export function candidateGenome(genome: Genome, input: { height: number; width: number }): CandidateGenome {
  return {
    genome,
    hash: genomeHash(genome),
    encoded: encodeGenome(genome),
    cost: genomeCost(genome, input.height, input.width),
  };
}

/** Limits on the analytic cost, checked before anything is evaluated (Once-for-All's constrained sampling). */
function admissible(spec: SearchSpec): ((g: Genome) => boolean) | undefined {
  const { maxMacs, maxParams, maxMemoryTrafficMb } = spec.constraints;
  if (maxMacs === undefined && maxParams === undefined && maxMemoryTrafficMb === undefined) return undefined;
  const { height, width } = spec.referenceInput;
  const within = (value: number, limit: number | undefined) => limit === undefined || value <= limit;
  return (g) => {
    const cost = genomeCost(g, height, width);
    return (
      within(cost.macs, maxMacs) && within(cost.params, maxParams) && within(memoryTrafficMb(cost), maxMemoryTrafficMb)
    );
  };
}

/**
 * `search.run`: runs a search generation by generation with the spec's algorithm. Each generation asks the
 * optimizer for a batch, gets quality from the evaluator and latency from the device lab (both cached across
 * searches by what they measure), tells the optimizer, and writes the generation whole with the optimizer's state.
 * A search killed at any moment resumes from the last generation written: the batch in flight is asked again
 * from the same state, and its finished evaluations and measurements are found in the store, not redone.
 */
export function createSearchRunHandler(resources: SearchRunResources) {
  const { store, log } = resources;
  const now = resources.now ?? Date.now;
  return async function searchRun(ctx: JobContext<"search.run">): Promise<{ generations: number }> {
    const { searchId } = ctx.payload;
    const search = await store.getSearch(searchId);
    if (!search) throw new MfnasError("not_found", `search ${searchId} does not exist`, { searchId });
    if (search.status === "succeeded" || search.status === "failed" || search.status === "cancelled") {
      log.info("search already finished; nothing to do", { searchId, status: search.status });
      return { generations: (search.lastGeneration ?? -1) + 1 };
    }
    let spec: SearchSpec;
    let spaces: { space: SearchSpace; base: SearchSpace };
    let checkpointStep: number | null = null;
    try {
      spec = parseSearchSpec(search.spec);
      spaces = await spacesOf(spec, store);
      checkSources(spec, resources);
      if (search.lastGeneration === null) checkpointStep = await resolveCheckpoint(store, spec);
      const step = checkpointStep ?? (await storedCheckpointStep(store, searchId, search.lastGeneration));
      if (spec.supernet && step !== null && resources.verifyCheckpoint) {
        await resources.verifyCheckpoint(spec.supernet.id, step).catch((error: unknown) => {
          throw new MfnasError(
            "invalid_input",
            `supernet ${spec.supernet?.id ?? ""} checkpoint at step ${step} cannot be used: ${errorMessage(error)}`,
            { field: "supernet" },
            { cause: error },
          );
        });
      }
    } catch (error) {
      if (isPermanent(error) || ctx.attemptsMade + 1 >= JOBS.searchRun.attempts) {
        await store.finish(searchId, { status: "failed", error: errorMessage(error) });
      }
      throw error;
    }
    await store.markRunning(searchId);
    const startedAt = search.startedAt?.getTime() ?? now();
    const axes = objectiveAxes(spec);
    const { space } = spaces;
    const variation = genomeVariation(space, { ...withAdmissible(admissible(spec)) });
    const resumed = await resume(store, searchId, search.lastGeneration, variation);
    const optimizer: Optimizer<Genome> =
      resumed?.optimizer ??
      createOptimizer({ ...spec.algorithm, populationSize: spec.budget.population }, variation, createRng(search.seed));
    let book: SearchBook = resumed?.book ?? {
      checkpointStep,
      reference: null,
      measurementsRequested: 0,
      figures: {},
    };
    if (resumed) log.info("resuming search", { searchId, fromGeneration: optimizer.generation });

    const cancel = watchCancellation(store, searchId, ctx.signal, resources.cancelPollMs ?? 1_000);
    try {
      while (optimizer.generation < spec.budget.generations) {
        throwIfAborted(ctx.signal);
        if (cancel.cancelled || (await store.getSearch(searchId))?.status === "cancelled") {
          cancel.markCancelled();
          break;
        }
        const stop = budgetExhausted(spec, book, startedAt, now());
        if (stop) {
          log.info("budget reached; finishing with the current population", { searchId, reason: stop });
          break;
        }
        const index = optimizer.generation;
        const batch = optimizer.ask().map((g) => candidateGenome(g, spec.referenceInput));
        await store.ensureArchitectures(batch, COST_MODEL_VERSION, spec.referenceInput);
        const requestedBefore = resources.latency?.newMeasurements ?? 0;
        const figures = await evaluateBatch(spec, axes, book, batch, resources, cancel.signal);
        const requested = (resources.latency?.newMeasurements ?? 0) - requestedBefore;
        const records = batch.map((c) => recordOf(c, spec, axes, figures));
        optimizer.tell(
          records.map((r) => ({
            individual: r.genome,
            objectives: spec.algorithm.kind === "evolution" ? r.objectives.slice(0, 1) : r.objectives,
            violation: r.violation,
          })),
        );
        book = nextBook(book, spec, axes, records, requested);
        const { population, front, hypervolume: hv } = summarize(optimizer, book);
        book = keepFigures(book, population);
        await store.writeGeneration({
          searchId,
          index,
          costModelVersion: COST_MODEL_VERSION,
          referenceInput: spec.referenceInput,
          candidates: records,
          population,
          front,
          hypervolume: hv,
          state: { optimizer: optimizer.state(), book, evaluated: batch.map((c) => c.hash) } satisfies StoredState,
        });
        await ctx.progress({
          generation: index + 1,
          of: spec.budget.generations,
          hypervolume: hv,
          front: front.length,
          measurements: book.measurementsRequested,
        });
        log.info("generation written", { searchId, generation: index, front: front.length, hypervolume: hv });
        const failed = records.filter((r) => r.error !== undefined);
        if (failed.length > MAX_FAILED_SHARE * records.length) {
          const error = failureSummary(`generation ${index}`, records.length, failed);
          log.error("search failed: too many candidates failed for good", { searchId, generation: index, error });
          await store.finish(searchId, { status: "failed", error });
          return { generations: optimizer.generation };
        }
      }
      if (cancel.cancelled) {
        log.info("search cancelled; stopping", { searchId, atGeneration: optimizer.generation });
        return { generations: optimizer.generation };
      }
      const last = summarize(optimizer, book);
      if (last.front.length === 0) {
        const error = emptyFrontReason(optimizer.generation, await store.candidateErrors?.(searchId));
        log.error("search failed: no candidate reached the front", { searchId, error });
        await store.finish(searchId, { status: "failed", error });
        return { generations: optimizer.generation };
      }
      const result = await finalizeSearch(
        {
          searchId,
          spec,
          supernetSpace: spaces.base,
          axes,
          book,
          front: frontGenomes(optimizer, last.front, spec),
          hypervolume: last.hypervolume,
        },
        resources,
        cancel.signal,
      );
      await store.finish(searchId, { status: "succeeded", result });
      log.info("search finished", { searchId, generations: optimizer.generation, front: result.front.length });
      return { generations: optimizer.generation };
    } catch (error) {
      if (cancel.cancelled && !ctx.signal.aborted) {
        log.info("search cancelled while waiting; stopping", { searchId });
        return { generations: optimizer.generation };
      }
      // Its own job fails for good (a permanent error or the last attempt; not a shutdown, which hands the job
      // back): the search says so instead of staying running.
      const timedOut = ctx.signal.reason instanceof MfnasError && ctx.signal.reason.code === "timeout";
      const lastAttempt = ctx.attemptsMade + 1 >= JOBS.searchRun.attempts;
      const cancelled = error instanceof MfnasError && error.code === "cancelled";
      if ((!ctx.signal.aborted || timedOut) && !cancelled && (isPermanent(error) || lastAttempt)) {
        const reason = `search.run failed for good after ${ctx.attemptsMade + 1} attempt(s): ${errorMessage(error)}`;
        log.error("search failed", { searchId, error: reason });
        await store.finish(searchId, { status: "failed", error: reason });
      }
      throw error;
    } finally {
      cancel.stop();
    }
  };
}

/**
 * Share of a generation's candidates whose evaluation or measurement may fail for good before the search stops
 * as failed: beyond it the failures are systematic (a corrupt checkpoint, a validation set the evaluator lacks,
 * a phone that cannot run the models), and going on would only fill the front with penalty values.
 */
export const MAX_FAILED_SHARE = 0.5;

/** `12 of 12 candidates of generation 0 failed for good: <reason> (x12); ...`, the most frequent reasons first. */
export function failureSummary(where: string, total: number, failed: readonly { error?: string }[]): string {
  const counts = new Map<string, number>();
  for (const f of failed) counts.set(f.error ?? "unknown", (counts.get(f.error ?? "unknown") ?? 0) + 1);
  const reasons = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([reason, n]) => `${reason.length > 300 ? `${reason.slice(0, 300)}…` : reason} (x${n})`);
  return `${failed.length} of ${total} candidates of ${where} failed for good: ${reasons.join("; ")}`;
}

function emptyFrontReason(generations: number, errors: readonly string[] | undefined): string {
  const base = `no feasible candidate after ${generations} generation(s): the front is empty`;
  if (!errors || errors.length === 0) return `${base} (every candidate exceeds a constraint of the spec)`;
  return `${base}; ${failureSummary(
    "the search",
    errors.length,
    errors.map((error) => ({ error })),
  )}`;
}

/** The checkpoint step a resumed search was started with (stored in its last generation's book). */
async function storedCheckpointStep(
  store: SearchStore,
  searchId: string,
  lastGeneration: number | null,
): Promise<number | null> {
  if (lastGeneration === null) return null;
  const state = (await store.generationState(searchId, lastGeneration)) as StoredState | null;
  return state?.book.checkpointStep ?? null;
}

function withAdmissible(check: ((g: Genome) => boolean) | undefined): { admissible?: (g: Genome) => boolean } {
  return check ? { admissible: check } : {};
}

function checkSources(spec: SearchSpec, resources: SearchRunResources): void {
  const objectives = searchObjectives(spec);
  if ((objectives.includes("psnr") || objectives.includes("ssim")) && !resources.quality) {
    throw new MfnasError("unsupported", "this searcher has no evaluator connected for the quality objective");
  }
  if (spec.latencySource === "predicted" && spec.targets.length > 0 && !resources.latency?.estimate) {
    throw new MfnasError(
      "unsupported",
      'latencySource: "predicted" needs a latency predictor, which this searcher lacks',
      {
        field: "latencySource",
      },
    );
  }
  if (spec.targets.length > 0 && !resources.latency) {
    throw new MfnasError("unsupported", "this searcher has no device lab connected for the targets' latency");
  }
}

async function resolveCheckpoint(store: SearchStore, spec: SearchSpec): Promise<number | null> {
  if (!spec.supernet) return null;
  if (spec.supernet.checkpointStep !== undefined) return spec.supernet.checkpointStep;
  const step = await store.latestCheckpointStep(spec.supernet.id);
  if (step === null) {
    throw new MfnasError("invalid_input", `supernet ${spec.supernet.id} has no checkpoint to search with`, {
      field: "supernet.id",
    });
  }
  return step;
}

async function resume(
  store: SearchStore,
  searchId: string,
  lastGeneration: number | null,
  variation: ReturnType<typeof genomeVariation>,
): Promise<{ optimizer: Optimizer<Genome>; book: SearchBook } | null> {
  if (lastGeneration === null) return null;
  const state = (await store.generationState(searchId, lastGeneration)) as StoredState | null;
  if (!state?.optimizer || !state.book) {
    throw new MfnasError("conflict", `generation ${lastGeneration} of search ${searchId} has no state to resume from`);
  }
  return { optimizer: restoreOptimizer(state.optimizer, variation), book: state.book };
}

function budgetExhausted(spec: SearchSpec, book: SearchBook, startedAt: number, now: number): string | null {
  const { maxMeasurements, wallTimeMinutes } = spec.budget;
  if (maxMeasurements !== undefined && book.measurementsRequested >= maxMeasurements) {
    return `${book.measurementsRequested} device measurements (budget ${maxMeasurements})`;
  }
  if (wallTimeMinutes !== undefined && now - startedAt >= wallTimeMinutes * 60_000) {
    return `${((now - startedAt) / 60_000).toFixed(1)} minutes (budget ${wallTimeMinutes})`;
  }
  return null;
}

interface BatchFigures {
  readonly quality: Map<string, Quality | Error> | null;
  readonly latency: Map<string, Map<string, Latency | Error>>;
  /** Predicted latency per target (predicted searches). */
  readonly predicted?: Map<string, Map<string, LatencyPrediction>>;
}

async function evaluateBatch(
  spec: SearchSpec,
  axes: readonly ObjectiveAxis[],
  book: SearchBook,
  batch: readonly CandidateGenome[],
  resources: SearchRunResources,
  signal: AbortSignal,
): Promise<BatchFigures> {
  const supernet = spec.supernet;
  // Quality and every target's latency are independent: they run at once on different services.
  const quality =
    supernet && resources.quality && book.checkpointStep !== null
      ? resources.quality.evaluate(
          {
            supernetId: supernet.id,
            checkpointStep: book.checkpointStep,
            validationSet: spec.validationSet,
            genomes: batch,
          },
          signal,
        )
      : Promise.resolve(null);
  const source = resources.latency;
  if (spec.latencySource === "predicted" && source && predicts(source) && spec.targets.length > 0) {
    return estimateBatch(spec, axes, book, batch, source, await quality, signal);
  }
  const latencies = spec.targets.map(async (target) => {
    if (!source) return [targetName(target), new Map<string, Latency | Error>()] as const;
    return [targetName(target), await source.measure({ target, genomes: batch }, signal)] as const;
  });
  const [q, l] = await Promise.all([quality, Promise.all(latencies)]);
  return { quality: q, latency: new Map(l) };
}

type PredictingSource = LatencySource & Required<Pick<LatencySource, "estimate">>;

function predicts(source: LatencySource): source is PredictingSource {
  return typeof source.estimate === "function";
}

/**
 * A predicted search's latency: quality first (a candidate's place on the front depends on it), then per target
 * the predictor's estimate, which measures only the candidates that could change the front or a constraint.
 * Other targets' latency enters a candidate's fitness as predicted until measured.
 */
async function estimateBatch(
  spec: SearchSpec,
  axes: readonly ObjectiveAxis[],
  book: SearchBook,
  batch: readonly CandidateGenome[],
  source: PredictingSource,
  quality: Map<string, Quality | Error> | null,
  signal: AbortSignal,
): Promise<BatchFigures> {
  const byHash = new Map(batch.map((c) => [c.hash, c]));
  const front = frontOfBook(book);
  // The device-time budget: measurements may be at most maxShare of all latency estimates so far, this batch's too.
  const policy = { ...ACTIVE_MEASUREMENT_DEFAULTS, ...spec.activeMeasurement };
  let estimated = book.measurementsRequested + (book.measurementsSaved ?? 0);
  let measured = book.measurementsRequested;
  const latency = new Map<string, Map<string, Latency | Error>>();
  const predicted = new Map<string, Map<string, LatencyPrediction>>();
  for (const target of spec.targets) {
    const name = targetName(target);
    const known = (hash: string, other: string): Latency | Error | undefined => {
      const measured = latency.get(other)?.get(hash);
      if (measured) return measured;
      const p = predicted.get(other)?.get(hash);
      return p ? asLatency(p) : undefined;
    };
    const fitness = (hash: string, ms: number) => {
      const candidate = byHash.get(hash) as CandidateGenome;
      const lat = new Map<string, Latency | Error>();
      for (const t of spec.targets) {
        const other = targetName(t);
        const value = other === name ? asLatency({ meanMs: ms, stdMs: 0, predictorVersion: "" }) : known(hash, other);
        if (value) lat.set(other, value);
      }
      const q = quality?.get(hash);
      return fitnessOf(spec, axes, { candidate, ...(q ? { quality: q } : {}), latency: lat });
    };
    estimated += batch.length;
    const limit = Math.max(0, Math.floor(policy.maxShare * estimated) - measured);
    const before = source.newMeasurements;
    const estimate = await source.estimate({ target, genomes: batch, fitness, front, limit, z: policy.z }, signal);
    measured += source.newMeasurements - before;
    latency.set(name, estimate.measured);
    predicted.set(name, estimate.predicted);
  }
  return { quality, latency, predicted };
}

/** A prediction in the shape fitness reads (never stored as a measurement). */
function asLatency(p: LatencyPrediction): Latency {
  return { medianMs: p.meanMs, minMs: p.meanMs, peakMemoryMb: null, measurementId: "" };
}

/** Objective vectors of the current population's first front, from the searcher's book. */
function frontOfBook(book: SearchBook): number[][] {
  return paretoFront(Object.values(book.figures)).map((m) => m.objectives);
}

function recordOf(
  candidate: CandidateGenome,
  spec: SearchSpec,
  axes: readonly ObjectiveAxis[],
  figures: BatchFigures,
): CandidateRecord {
  const latency = new Map<string, Latency | Error>();
  const measured: Record<string, MeasuredLatency> = {};
  for (const t of spec.targets) {
    const target = targetName(t);
    const value = figures.latency.get(target)?.get(candidate.hash);
    if (value) latency.set(target, value);
    if (value && !(value instanceof Error)) measured[target] = { ...value, latencyMs: latencyMs(value, t) };
  }
  const predicted: Record<string, LatencyPrediction> = {};
  for (const [target, values] of figures.predicted ?? []) {
    const value = values.get(candidate.hash);
    if (!value) continue;
    predicted[target] = value;
    // Fitness uses the measurement where there is one, else the prediction.
    if (!latency.has(target)) latency.set(target, asLatency(value));
  }
  const quality = figures.quality?.get(candidate.hash);
  const fitness = fitnessOf(spec, axes, { candidate, ...(quality ? { quality } : {}), latency });
  return {
    ...candidate,
    quality: quality && !(quality instanceof Error) ? quality : null,
    measured,
    ...(figures.predicted ? { predicted } : {}),
    objectives: fitness.objectives,
    violation: fitness.violation,
    rank: 0,
    ...(fitness.error ? { error: fitness.error } : {}),
  };
}

function nextBook(
  book: SearchBook,
  spec: SearchSpec,
  axes: readonly ObjectiveAxis[],
  records: readonly CandidateRecord[],
  requested: number,
): SearchBook {
  const saved = records.reduce(
    (n, r) => n + Object.keys(r.predicted ?? {}).filter((target) => !(target in r.measured)).length,
    0,
  );
  const figures = { ...book.figures };
  for (const r of records) figures[r.hash] = { objectives: [...r.objectives], violation: r.violation };
  return {
    ...book,
    reference: book.reference ?? referencePoint(spec, axes, records),
    measurementsRequested: book.measurementsRequested + requested,
    ...(spec.latencySource === "predicted" ? { measurementsSaved: (book.measurementsSaved ?? 0) + saved } : {}),
    figures,
  };
}

/** The figures of the current population only, so the stored state stays the size of one population. */
function keepFigures(book: SearchBook, population: readonly PopulationMember[]): SearchBook {
  const figures: SearchBook["figures"] = {};
  for (const m of population) {
    const f = book.figures[m.hash];
    if (f) figures[m.hash] = f;
  }
  return { ...book, figures };
}

/**
 * The population with ranks, the first front (feasible, non-dominated on every objective axis) and its
 * hypervolume against the search's fixed reference point.
 */
function summarize(
  optimizer: Optimizer<Genome>,
  book: SearchBook,
): { population: PopulationMember[]; front: string[]; hypervolume: number | null } {
  const population = optimizer.population().map((m) => {
    const hash = genomeHash(m.individual);
    const full = book.figures[hash];
    return { hash, rank: m.rank, objectives: full?.objectives ?? [...m.objectives], violation: m.violation };
  });
  const unique = [...new Map(paretoFront(population).map((m) => [m.hash, m])).values()];
  const reference = book.reference;
  const hv =
    reference && unique.length > 0
      ? hypervolume(
          unique.map((m) => m.objectives),
          reference,
        )
      : null;
  return { population, front: unique.map((m) => m.hash), hypervolume: hv };
}

/** The final Pareto set as candidates, in front order. */
function frontGenomes(optimizer: Optimizer<Genome>, front: readonly string[], spec: SearchSpec): CandidateGenome[] {
  const genomes = new Map(optimizer.population().map((m) => [genomeHash(m.individual), m.individual]));
  return front.flatMap((hash) => {
    const genome = genomes.get(hash);
    return genome ? [candidateGenome(genome, spec.referenceInput)] : [];
  });
}

/** Polls the search's status so that a cancel from the API stops the search within about `pollMs`. */
function watchCancellation(store: SearchStore, searchId: string, jobSignal: AbortSignal, pollMs: number) {
  const controller = new AbortController();
  let cancelled = false;
  // The reason tells waiting sources a cancel (give up for good) from a job abort (shutdown: the search resumes).
  const onAbort = () => controller.abort(jobSignal.reason);
  jobSignal.addEventListener("abort", onAbort, { once: true });
  const timer = setInterval(() => {
    store.getSearch(searchId).then(
      (s) => {
        if (s?.status === "cancelled") {
          cancelled = true;
          controller.abort(new MfnasError("cancelled", `search ${searchId} was cancelled`));
        }
      },
      () => undefined,
    );
  }, pollMs);
  timer.unref();
  return {
    signal: controller.signal,
    get cancelled() {
      return cancelled;
    },
    markCancelled() {
      cancelled = true;
    },
    stop() {
      clearInterval(timer);
      jobSignal.removeEventListener("abort", onAbort);
    },
  };
}
