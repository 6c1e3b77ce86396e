/**
 * Latency-predictor benchmark (prints figures; not a test). One emulated phone (host CPU, LiteRT.js) on a private
 * adb server, the device-lab agent, Postgres and Redis; every number below is a real devicelab.measure job.
 * 1. Kernel profiling: the profiling plan's kernels exported alone as TFLite and measured.
 * 2. Accuracy: TRAIN random SubGenerators measured to fit the predictor, HELD_OUT others measured and predicted
 *    (RMSE, MAPE, share within ±5% / ±10%); REPEAT held-out ones measured a second time for the noise floor. The
 *    report is stored as the `latency-predictor` artifact the API serves.
 * 3. Active search: the same NSGA-II search (quality proxy vs latency, latency limit) once measuring every
 *    candidate and once with active calibration; final fronts' hypervolume on measured latency, and measurements.
 *
 * Every latency is the target's statistic (STATISTIC, default "min": the fastest run of a measurement's
 * repetitions; "median": the median of the repetitions' mean runs), for fitting, checking and searching alike.
 *
 * Run: npx tsx bench/latency-predictor.ts [TRAIN=60] [HELD_OUT=40] [GENERATIONS=6] [POPULATION=10] [LR_SIDE=16]
 *      [STATISTIC=min] [REPETITIONS=6]
 */
import { performance } from "node:perf_hooks";
import {
  COST_MODEL_VERSION,
  DEFAULT_SEARCH_SPACE,
  LATENCY_STATISTICS,
  createRng,
  dominates,
  encodeGenome,
  hypervolume,
  sampleGenome,
  type Genome,
  kernelsOf,
  type LatencyStatistic,
} from "@mfnas/core";
import {
  accuracyFigures,
  fitPredictor,
  kernelSum,
  predictLatency,
  profileKernels,
  profilingPlan,
  type GenomeSample,
} from "@mfnas/latency";
import type { WorkerLog } from "@mfnas/queue";
import {
  candidateGenome,
  createSearchRunHandler,
  latencyMs,
  type CandidateGenome,
  type LatencySource,
  type Quality,
  type QualityRequest,
  type QualitySource,
  type SearchStore,
  ActiveLatencySource,
  DeviceLabKernelMeasurer,
} from "@mfnas/searcher";
import { emulatedPhoneRuntime, startLatencyLab } from "../tests/support/latency-lab.ts";

const [train = 60, heldOut = 40, generations = 6, population = 10] = process.argv.slice(2).map(Number);
const REPEAT = 20;
const side = Number(process.argv[6] ?? 16);
const statistic = (process.argv[7] ?? "min") as LatencyStatistic;
if (!LATENCY_STATISTICS.includes(statistic))
  throw new Error(`STATISTIC must be one of ${LATENCY_STATISTICS.join(", ")}`);
const repetitions = Number(process.argv[8] ?? 6);
const input = { height: side, width: side };
const runtimeConfig = emulatedPhoneRuntime();
const quiet: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };
const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 60_000).toFixed(1)} min`;
const signal = new AbortController().signal;

const lab = await startLatencyLab({
  port: 5089,
  runtimeConfig,
  input,
  confidence: { relativeHalfWidth: 0, minRepetitions: repetitions, maxRepetitions: repetitions },
});
const target = { ...lab.target, latencyStatistic: statistic };
const kernelMeasurer = new DeviceLabKernelMeasurer(target, lab.latencySource(), {
  ensureArchitectures: (rows, version, at) => lab.searches.ensureArchitectures(rows, version, at),
  putArtifact: lab.putArtifact,
});

// 1. Kernel profiling.
const plan = profilingPlan(DEFAULT_SEARCH_SPACE, input, { blockShare: 0.1 });
const profile = await profileKernels(
  { deviceClass: target.deviceClass, runtimeConfig, input, statistic },
  plan,
  kernelMeasurer,
  signal,
);
console.log(`kernels: ${profile.samples.length} of ${plan.length} profiled (${elapsed()})`);

// 2. Accuracy on held-out random SubGenerators.
const rng = createRng(2026);
const candidate = (genome: Genome): CandidateGenome => candidateGenome(genome, input);
const sample = (n: number) => Array.from({ length: n }, () => candidate(sampleGenome(DEFAULT_SEARCH_SPACE, rng)));
const trainSet = sample(train);
const heldOutSet = sample(heldOut);
await lab.searches.ensureArchitectures([...trainSet, ...heldOutSet], COST_MODEL_VERSION, input);
const measureAll = async (source: LatencySource, genomes: CandidateGenome[], tag?: string) => {
  const measured = await source.measure({ target, genomes, ...(tag ? { tag } : {}) }, signal);
  return genomes.flatMap((g) => {
    const m = measured.get(g.hash);
    return m && !(m instanceof Error) ? [{ genome: g.genome, ms: latencyMs(m, target) }] : [];
  });
};
const lab0 = lab.latencySource();
const trainSamples = await measureAll(lab0, trainSet);
console.log(`train: ${trainSamples.length} SubGenerators measured (${elapsed()})`);
const heldOutSamples = await measureAll(lab0, heldOutSet);
const repeated = await measureAll(lab0, heldOutSet.slice(0, REPEAT), "repeat");
console.log(`held out: ${heldOutSamples.length} measured, ${repeated.length} twice (${elapsed()})`);

const scope = { deviceClass: target.deviceClass, runtimeConfig, input, statistic };
const predictor = fitPredictor(scope, profile.samples, trainSamples);
const pairs = (samples: readonly GenomeSample[], predict: (g: Genome) => { meanMs: number; stdMs: number }) =>
  samples.map((s) => {
    const p = predict(s.genome);
    return { predictedMs: p.meanMs, predictedStdMs: p.stdMs, measuredMs: s.ms };
  });
const accuracy = accuracyFigures(pairs(heldOutSamples, (g) => predictLatency(predictor, g)));
const sumOnly = accuracyFigures(
  pairs(heldOutSamples, (g) => ({
    meanMs: kernelSum(predictor.kernels, kernelsOf(g, input.height, input.width)),
    stdMs: 0,
  })),
);
const scalarOnly = fitPredictor(scope, profile.samples, trainSamples.slice(0, 8));
const calibratedSum = accuracyFigures(pairs(heldOutSamples, (g) => predictLatency(scalarOnly, g)));
const first = new Map(heldOutSamples.map((s) => [encodeGenome(s.genome), s.ms]));
const noise = accuracyFigures(
  repeated.map((s) => ({ predictedMs: s.ms, predictedStdMs: 0, measuredMs: first.get(encodeGenome(s.genome)) ?? 0 })),
);
const report = { ...accuracy, trainSamples: trainSamples.length, input, runtimeConfig, statistic };
const stored = await lab.storeReport(predictor, { kernels: profile.samples, samples: trainSamples }, report);

// 3. Active search vs measuring every candidate.
const quality: QualitySource = {
  evaluate: (request: QualityRequest) =>
    Promise.resolve(
      new Map<string, Quality | Error>(
        request.genomes.map((g) => {
          const kinds = new Set(g.genome.blocks.flatMap((b) => b.branches)).size;
          const psnr = 24 + 1.1 * Math.log10(g.cost.params) + 0.15 * kinds + (g.genome.scale === 2 ? 3 : 0);
          return [g.hash, { psnr, ssim: 0.8 }];
        }),
      ),
    ),
};
const supernetId = "00000000-0000-4000-8000-000000000001";
/** The real Postgres store, with a supernet that trained on the default space and has a checkpoint. */
const store: SearchStore = Object.assign(Object.create(lab.searches) as SearchStore, {
  supernetSpace: () => Promise.resolve({}),
  latestCheckpointStep: () => Promise.resolve(1),
});
const spec = {
  name: "bench",
  supernet: { id: supernetId },
  objectives: ["psnr", "latency"],
  targets: [{ deviceClass: target.deviceClass, runtimeConfig, input, latencyStatistic: statistic, maxLatencyMs: 40 }],
  referenceInput: input,
  budget: { generations, population },
};
const tagged = (tag: string): LatencySource & { readonly newMeasurements: number } => {
  const source = lab.latencySource();
  return {
    measure: (request, s) => source.measure({ ...request, tag: request.tag ?? tag }, s),
    get newMeasurements() {
      return source.newMeasurements;
    },
  };
};
const runSearch = async (latencySource: "measured" | "predicted", latency: LatencySource) => {
  const { id } = await lab.searches.create({ name: latencySource, spec: { ...spec, latencySource }, seed: 11 });
  const ctx = { payload: { searchId: id }, jobId: id, attemptsMade: 0, signal, progress: () => Promise.resolve() };
  await createSearchRunHandler({ store, quality, latency, log: quiet })(ctx);
  const last = await lab.db.generation.findFirst({ where: { searchId: id }, orderBy: { index: "desc" } });
  const search = await lab.db.search.findUnique({ where: { id } });
  const rows = await lab.db.candidate.findMany({ where: { searchId: id }, include: { latencies: true } });
  return { id, front: (last?.front ?? []) as string[], result: search?.result as Record<string, unknown>, rows };
};
const fullSource = tagged("full");
const full = await runSearch("measured", fullSource);
console.log(`full search: ${fullSource.newMeasurements} measurements (${elapsed()})`);
const activeDevice = tagged("active");
const active = new ActiveLatencySource({
  measured: activeDevice,
  book: { load: () => Promise.resolve({ kernels: profile.samples, samples: trainSamples }) },
});
const act = await runSearch("predicted", active);
console.log(`active search: ${activeDevice.newMeasurements} measurements (${elapsed()})`);

/** A final front's objective vectors on measured latency (front members only predicted are measured now). */
const measuredFront = async (search: typeof full, source: LatencySource) => {
  const members = search.rows.filter((r) => search.front.includes(r.genomeHash));
  const missing = members.filter((r) => !r.latencies.some((l) => l.measuredMs !== null));
  const extra = await source.measure(
    { target, genomes: missing.map((r) => candidate(r.genome as unknown as Genome)) },
    signal,
  );
  const points = members.flatMap((r) => {
    const m = r.latencies.find((l) => l.measuredMs !== null)?.measuredMs ?? extra.get(r.genomeHash);
    const ms = typeof m === "number" ? m : m && !(m instanceof Error) ? latencyMs(m, target) : undefined;
    return ms !== undefined && ms <= 40 && r.psnr !== null ? [[-r.psnr, ms]] : [];
  });
  return { points: points.filter((a) => !points.some((b) => b !== a && dominates(b, a))), measuredNow: missing.length };
};
const reference = full.result.reference as number[];
const fullFront = await measuredFront(full, fullSource);
const activeFront = await measuredFront(act, activeDevice);
const hvFull = hypervolume(fullFront.points, reference);
const hvActive = hypervolume(activeFront.points, reference);
const activeMeasurements = activeDevice.newMeasurements;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
console.log(
  `\nhost: 2 shared cores; LR ${input.height}x${input.width}; runtime ${JSON.stringify(runtimeConfig)}; ${repetitions} repetitions; statistic ${statistic}`,
);
console.log(`kernels profiled: ${profile.samples.length} (failed ${Object.keys(profile.failed).length})`);
console.log(`predictor ${predictor.version}: ${trainSamples.length} training SubGenerators; report ${stored.sha256}`);
for (const [name, f] of [
  ["predictor (kernel sum x boosted correction)", accuracy],
  ["kernel sum alone", sumOnly],
  ["kernel sum x one calibration constant (8 samples)", calibratedSum],
  ["same SubGenerator measured twice (noise floor)", noise],
] as const) {
  console.log(
    `${name}: n=${f.count} RMSE ${f.rmseMs.toFixed(2)} ms, MAPE ${f.mapePct.toFixed(1)}%, within ±5% ${pct(f.within5)}, within ±10% ${pct(f.within10)}, max ${f.maxApePct.toFixed(1)}%, 2-std coverage ${pct(f.coverage2Std)}`,
  );
}
console.log(
  `search, every candidate measured: ${fullSource.newMeasurements} measurements, final front ${fullFront.points.length} points, HV ${hvFull.toFixed(4)}`,
);
console.log(
  `search, active calibration: ${activeMeasurements} measurements (${activeFront.measuredNow} of them front members measured after the search), saved ${String(act.result.measurementsSaved)}, final front ${activeFront.points.length} points, HV ${hvActive.toFixed(4)}`,
);
console.log(
  `measurement share ${pct(activeMeasurements / fullSource.newMeasurements)}; hypervolume ratio ${(hvActive / hvFull).toFixed(4)}; wall ${elapsed()}`,
);
await lab.stop();
process.exit(0);
