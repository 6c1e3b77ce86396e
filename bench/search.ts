/**
 * Hardware-aware search benchmark (prints figures; not a test). The whole search path with real components:
 * Postgres (a fresh schema per search), Redis (a fresh key prefix per search), a real adb server on port 5077 with
 * one emulated phone (the host CPU, a fresh one per search), the device-lab agent and the evaluator each as its own
 * process (as in production), and the searcher's `search.run` handler on a CatalogWorker in this process, timed
 * through its ports. Quality uses the main job's trained supernet: the latest checkpoint of the newest ready
 * supernet in the `mfnas` database, copied (bytes and rows) into each search's own store.
 *
 * For each seed, NSGA-II and random search run at equal budget (GENERATIONS x POPULATION candidates asked), each
 * in its own schema and artifact directory, so that neither finds the other's evaluations or measurements in the
 * caches (both are shared across searches by genome and architecture). Final Pareto-set re-measurement and exports
 * are off: the figures are those of the search loop.
 *
 * Run: npx tsx bench/search.ts [GENERATIONS=10] [POPULATION=8] [SEEDS=3] (seeds 1..SEEDS)
 * Env: MAIN_DATABASE_URL (default the local `mfnas` database), MAIN_ARTIFACT_DIR (default .mfnas/artifacts),
 * MAIN_SUPERNET_ID (default the newest ready supernet there). Exits 1 when there is no such supernet, or when its
 * checkpoint does not score with this code what its trainer recorded (a generator changed since it was trained).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as tfCore from "@tensorflow/tfjs-core";
import {
  DEFAULT_SEARCH_SPACE,
  JOBS,
  QUEUES,
  largestGenome,
  measureQueue,
  narrowSpace,
  parseSearchSpec,
  type SearchAlgorithm,
  type SearchSpec,
} from "@mfnas/core";
import { HOST_CPU_DEVICE_CLASS, startEmulatedPhones } from "@mfnas/devices";
import { BUNDLED_VALIDATION_SET, ValidationSets, scoreUpscaler, subGeneratorUpscaler } from "@mfnas/evaluator";
import { decodeSupernetWeights, selectBackend, supernetFromWeights, type Tf } from "@mfnas/model";
import { CatalogWorker, JobProducer, createRedis, type JobContext, type WorkerLog } from "@mfnas/queue";
import {
  createSearchRunHandler,
  type EstimateRequest,
  type GenerationWrite,
  type SearchRunResources,
  searcherResources,
} from "@mfnas/searcher";
import { LocalArtifactStore, SupernetRepository, createDb, submitSearch } from "@mfnas/store";
import { ROOT, createTestDatabase, uniqueName, type TestDatabase } from "../tests/support/database.ts";
import { SMALL_RUN, startAdbServer, stopPhones } from "../tests/support/device-lab.ts";
import { TEST_REDIS_URL } from "../tests/support/env.ts";
import { eventually, startService, type ServiceProcess } from "../tests/support/processes.ts";
import {
  commonReference,
  frontHypervolume,
  mean,
  median,
  pickupLatencies,
  splitGeneration,
  sumSplits,
  type GenerationMarks,
  type JobTimes,
  type ScoredCandidate,
} from "./search-figures.ts";

const [generations = 10, population = 8, seedCount = 3] = process.argv.slice(2).map(Number);
const ADB_PORT = 5077;
const REPETITIONS = 2;
const INPUT = { height: 32, width: 32 };
/** Warm-up 1, 5 timed runs, 1 thread, XNNPACK, fp32. */
const RUNTIME = SMALL_RUN;
const MAIN_DATABASE_URL = process.env["MAIN_DATABASE_URL"] ?? "postgresql://postgres@127.0.0.1:5432/mfnas";
const MAIN_ARTIFACT_DIR = process.env["MAIN_ARTIFACT_DIR"] ?? path.join(ROOT, ".mfnas/artifacts");
/** A supernet of that database to use instead of the newest ready one. */
const MAIN_SUPERNET_ID = process.env["MAIN_SUPERNET_ID"];
const ALGORITHMS: SearchAlgorithm[] = [{ kind: "nsga2", crossoverProbability: 0.9 }, { kind: "random" }];

interface MainSupernet {
  readonly id: string;
  readonly searchSpace: object;
  readonly trainingConfig: object;
  readonly step: number;
  /** The trainer's figures at this checkpoint (psnrYLargest: Y-PSNR of the largest SubGenerator on bundled:val). */
  readonly metrics: Record<string, number>;
  readonly bytes: Uint8Array;
}

/** The main job's supernet: newest ready one with a checkpoint, and its latest checkpoint's bytes. */
async function mainSupernet(): Promise<MainSupernet | null> {
  const db = createDb(MAIN_DATABASE_URL);
  try {
    const supernet = await db.supernet.findFirst({
      where: { status: "ready", checkpoints: { some: {} }, ...(MAIN_SUPERNET_ID ? { id: MAIN_SUPERNET_ID } : {}) },
      orderBy: { createdAt: "desc" },
      select: {
        id: true,
        searchSpace: true,
        trainingConfig: true,
        checkpoints: {
          orderBy: { step: "desc" },
          take: 1,
          select: { step: true, artifactSha256: true, metrics: true },
        },
      },
    });
    const checkpoint = supernet?.checkpoints[0];
    if (!supernet || !checkpoint) return null;
    const bytes = await new LocalArtifactStore(MAIN_ARTIFACT_DIR, db).get(checkpoint.artifactSha256);
    return {
      id: supernet.id,
      searchSpace: supernet.searchSpace as object,
      trainingConfig: supernet.trainingConfig as object,
      step: checkpoint.step,
      metrics: (checkpoint.metrics ?? {}) as Record<string, number>,
      bytes,
    };
  } finally {
    await db.$disconnect();
  }
}

/**
 * The checkpoint must score with this code what its trainer recorded: a change to the generator's forward leaves
 * the weights' names and shapes valid but their outputs meaningless, and the searches' PSNRs with them.
 */
async function checkpointMatchesCode(supernet: MainSupernet, tf: Tf, backend: string): Promise<string | null> {
  const recorded = supernet.metrics["psnrYLargest"];
  if (recorded === undefined) return null;
  const space = narrowSpace(DEFAULT_SEARCH_SPACE, supernet.searchSpace);
  const scale = space.scales[0] ?? 4;
  const net = supernetFromWeights(tf, space, decodeSupernetWeights(supernet.bytes, space).weights);
  const upscaler = await subGeneratorUpscaler(tf, net, largestGenome(space, scale), "tfjs", { backend });
  try {
    const { psnr } = await scoreUpscaler(
      upscaler,
      await new ValidationSets(undefined).get(BUNDLED_VALIDATION_SET, scale),
    );
    if (Math.abs(psnr - recorded) <= 0.1) return null;
    return `the largest SubGenerator scores ${psnr.toFixed(2)} dB with this code, ${recorded.toFixed(2)} dB when trained`;
  } finally {
    await upscaler.dispose();
    net.dispose();
  }
}

const log: WorkerLog = {
  info: () => undefined,
  warn: (msg, fields) => console.error(`  searcher warn: ${msg} ${JSON.stringify(fields ?? {})}`),
  error: (msg, fields) => console.error(`  searcher error: ${msg} ${JSON.stringify(fields ?? {})}`),
};

/** Everything one search left behind, read once it finished. */
interface SearchRun {
  readonly label: string;
  readonly seed: number;
  readonly algorithm: SearchAlgorithm["kind"];
  readonly handler: readonly [number, number];
  readonly marks: readonly GenerationMarks[];
  readonly evaluatorJobs: readonly JobTimes[];
  readonly labJobs: readonly JobTimes[];
  readonly evaluations: number;
  readonly measurements: number;
  /** Per measurement: the health gate before its runs (conditions.cooldown.waitedMs). */
  readonly healthGateMs: readonly number[];
  readonly candidates: readonly ScoredCandidate[];
  /** Per generation: device measurements so far, the stored front's hashes and the search's own hypervolume. */
  readonly generations: readonly { measurements: number; front: string[]; hypervolume: number | null }[];
  readonly evaluatorInfo: string;
}

function specOf(supernetId: string, seed: number, algorithm: SearchAlgorithm, space: object): SearchSpec {
  return parseSearchSpec({
    name: `bench ${algorithm.kind} seed ${seed}`,
    seed,
    supernet: { id: supernetId },
    space,
    referenceInput: INPUT,
    targets: [{ deviceClass: HOST_CPU_DEVICE_CLASS, runtimeConfig: RUNTIME, input: INPUT }],
    objectives: ["psnr", "latency"],
    algorithm,
    budget: { generations, population },
    final: { remeasure: false, exportFormats: [] },
  });
}

/** The searcher's resources with its ports timed: when each generation's sources were called and returned. */
function timedResources(resources: SearchRunResources, marks: GenerationMarks[], onWritten: (g: number) => void) {
  const quality = resources.quality;
  const latency = resources.latency;
  if (!quality || !latency) throw new Error("the searcher's resources lack the evaluator or the device lab");
  const estimate = latency.estimate?.bind(latency);
  let current: { start: number; quality: [number, number] | null; latency: [number, number] | null } = {
    start: 0,
    quality: null,
    latency: null,
  };
  const store = resources.store;
  const timed: SearchRunResources = {
    ...resources,
    quality: {
      async evaluate(request, signal) {
        const started = Date.now();
        const result = await quality.evaluate(request, signal);
        current.quality = [started, Date.now()];
        return result;
      },
    },
    latency: {
      get newMeasurements() {
        return latency.newMeasurements;
      },
      async measure(request, signal) {
        const started = Date.now();
        const result = await latency.measure(request, signal);
        current.latency = [started, Date.now()];
        return result;
      },
      ...(estimate
        ? {
            estimate: async (request: EstimateRequest, signal: AbortSignal) => {
              const started = Date.now();
              const result = await estimate(request, signal);
              current.latency = [started, Date.now()];
              return result;
            },
          }
        : {}),
    },
    store: new Proxy(store, {
      get(target, property) {
        if (property === "writeGeneration") {
          return async (generation: GenerationWrite) => {
            const started = Date.now();
            await target.writeGeneration(generation);
            const written = Date.now();
            marks.push({ ...current, write: [started, written], asked: generation.candidates.length });
            current = { start: written, quality: null, latency: null };
            onWritten(generation.index);
          };
        }
        const value: unknown = Reflect.get(target, property);
        return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    }),
  };
  return { resources: timed, begin: (at: number) => (current = { start: at, quality: null, latency: null }) };
}

function jobTimes(
  jobs: readonly { timestamp: number; processedOn?: number; finishedOn?: number }[],
  work: (i: number) => number,
): JobTimes[] {
  return jobs.flatMap((job, i) =>
    job.processedOn && job.finishedOn
      ? [{ enqueued: job.timestamp, started: job.processedOn, finished: job.finishedOn, workMs: work(i) }]
      : [],
  );
}

async function runSearch(
  supernet: MainSupernet,
  seed: number,
  algorithm: SearchAlgorithm,
  adb: Awaited<ReturnType<typeof startAdbServer>>,
  tf: Tf,
): Promise<SearchRun> {
  const label = `${algorithm.kind === "nsga2" ? "NSGA-II" : "random"} s${seed}`;
  const database: TestDatabase = await createTestDatabase();
  const artifactDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-bench-search-"));
  const prefix = uniqueName("mfnas-bench-search");
  const redis = createRedis(TEST_REDIS_URL);
  const producer = new JobProducer({ connection: redis, prefix });
  const phones = await startEmulatedPhones(1, { adb: { port: ADB_PORT }, serialPrefix: `bench-${seed}` });
  const services: ServiceProcess[] = [];
  let worker: CatalogWorker | undefined;
  const resources = searcherResources({ db: database.db, redis, prefix, artifactDir, tf, log });
  try {
    // The main job's checkpoint, as the trainer stores one, in this search's own store.
    const supernets = new SupernetRepository(database.db);
    const { id: supernetId } = await supernets.create({
      name: "main-job supernet (copy)",
      searchSpace: supernet.searchSpace,
      trainingConfig: supernet.trainingConfig,
    });
    const artifacts = new LocalArtifactStore(artifactDir, database.db);
    const { sha256 } = await artifacts.put({ bytes: supernet.bytes, kind: "checkpoint" });
    await supernets.recordCheckpoint({ supernetId, step: supernet.step, artifactSha256: sha256, metrics: {} });
    await supernets.finish(supernetId, { status: "ready" });

    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      ARTIFACT_DIR: artifactDir,
      LOG_LEVEL: "info",
    };
    services.push(
      startService("device-lab", {
        ...env,
        ADB_PORT: String(ADB_PORT),
        DEVICE_LAB_HEARTBEAT_MS: "1000",
        DEVICE_LAB_COOLDOWN_POLL_MS: "1000",
        DEVICE_LAB_CI_TARGET: "0.5",
        DEVICE_LAB_MIN_REPETITIONS: String(REPETITIONS),
        DEVICE_LAB_MAX_REPETITIONS: String(REPETITIONS),
      }),
      startService("evaluator", env),
    );
    await Promise.all(services.map((s) => s.waitFor(/ready/, 180_000)));
    await eventually(async () => ((await database.db.device.count()) > 0 ? true : undefined), 60_000, "phone seen");
    const evaluatorInfo = /"backend":"([^"]+)","path":"([^"]+)"/.exec(services[1]?.output() ?? "");

    const spec = specOf(supernetId, seed, algorithm, supernet.searchSpace);
    const marks: GenerationMarks[] = [];
    const startedAt = Date.now();
    const timed = timedResources(resources, marks, (g) =>
      console.error(
        `  ${label}: generation ${g + 1}/${generations} in ${((Date.now() - startedAt) / 1000).toFixed(0)} s`,
      ),
    );
    const searchRun = createSearchRunHandler(timed.resources);
    let handler: [number, number] = [0, 0];
    let finished!: () => void;
    const done = new Promise<void>((resolve) => (finished = resolve));
    worker = new CatalogWorker({
      connection: redis,
      prefix,
      queue: QUEUES.search,
      handlers: {
        "search.run": async (ctx: JobContext<"search.run">) => {
          const started = Date.now();
          timed.begin(started);
          try {
            return await searchRun(ctx);
          } finally {
            handler = [started, Date.now()];
            finished();
          }
        },
      },
      log,
      name: `bench-searcher-${process.pid}`,
    });
    await worker.start();
    const { id: searchId } = await submitSearch(database.db, spec, {
      enqueue: (id) => producer.enqueue(JOBS.searchRun.name, { searchId: id }),
    });
    await done;
    const search = await database.db.search.findUniqueOrThrow({ where: { id: searchId } });
    if (search.status !== "succeeded") throw new Error(`${label}: search ${search.status}: ${search.error ?? "?"}`);

    const evaluations = await database.db.evaluation.findMany({ select: { genomeHash: true, durationMs: true } });
    const measurements = await database.db.measurement.findMany({ select: { requestKey: true, conditions: true } });
    const evalMs = new Map(evaluations.map((e) => [e.genomeHash, e.durationMs]));
    const healthGateMs = measurements.map(
      (m) => (m.conditions as { cooldown?: { waitedMs?: number } }).cooldown?.waitedMs ?? NaN,
    );
    const runnerMs = new Map(
      measurements.map((m) => {
        const reps = (m.conditions as { perRepetition?: { wallMs: number }[] }).perRepetition ?? [];
        return [m.requestKey, reps.reduce((sum, r) => sum + r.wallMs, 0)];
      }),
    );
    const evaluateJobs = await producer.queue(QUEUES.evaluate.name).getJobs(["completed"]);
    const measureJobs = await producer.queue(measureQueue(HOST_CPU_DEVICE_CLASS).name).getJobs(["completed"]);
    const failed =
      (await producer.queue(QUEUES.evaluate.name).getJobCountByTypes("failed")) +
      (await producer.queue(measureQueue(HOST_CPU_DEVICE_CLASS).name).getJobCountByTypes("failed"));
    if (failed > 0) console.error(`  ${label}: ${failed} evaluator/device-lab job(s) failed`);

    const rows = await database.db.candidate.findMany({
      where: { searchId },
      select: { genomeHash: true, generationIndex: true, psnr: true, latencies: { select: { measuredMs: true } } },
    });
    const candidates = rows.flatMap((c): ScoredCandidate[] => {
      const ms = c.latencies[0]?.measuredMs;
      return c.psnr === null || ms === null || ms === undefined
        ? []
        : [{ hash: c.genomeHash, generation: c.generationIndex, objectives: [-c.psnr, ms] }];
    });
    const stored = await database.db.generation.findMany({ where: { searchId }, orderBy: { index: "asc" } });
    return {
      label,
      seed,
      algorithm: algorithm.kind,
      handler,
      marks,
      evaluatorJobs: jobTimes(
        evaluateJobs,
        (i) => evalMs.get(String((evaluateJobs[i]?.data as { genomeHash?: string } | undefined)?.genomeHash)) ?? 0,
      ),
      labJobs: jobTimes(
        measureJobs,
        (i) => runnerMs.get(String((measureJobs[i]?.data as { requestKey?: string } | undefined)?.requestKey)) ?? 0,
      ),
      evaluations: evaluations.length,
      measurements: measurements.length,
      healthGateMs,
      candidates,
      generations: stored.map((g) => ({
        measurements: (g.state as { book: { measurementsRequested: number } }).book.measurementsRequested,
        front: g.front as string[],
        hypervolume: g.hypervolume,
      })),
      evaluatorInfo: evaluatorInfo ? `${evaluatorInfo[2]} (tfjs ${evaluatorInfo[1]} for extraction)` : "?",
    };
  } finally {
    await worker?.close();
    await Promise.all(
      services.map(async (s) => {
        if (s.child.exitCode !== null) return;
        s.child.kill("SIGTERM");
        const timer = setTimeout(() => s.child.kill("SIGKILL"), 20_000);
        await s.exited;
        clearTimeout(timer);
      }),
    );
    await stopPhones(phones);
    await resources.close();
    await producer.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
    await rm(artifactDir, { recursive: true, force: true });
  }
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : "-");
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : "-");
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "-");

function printTable(head: string[], rows: (string | number)[][]): void {
  console.log(`| ${head.join(" | ")} |`);
  console.log(`| ${head.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

function printThroughput(runs: readonly SearchRun[]): void {
  const rows: [string, (r: SearchRun) => string][] = [
    ["search wall time, s (search.run handler)", (r) => f1((r.handler[1] - r.handler[0]) / 1000)],
    ["candidates asked (generations x population)", (r) => String(r.marks.reduce((s, m) => s + m.asked, 0))],
    ["distinct genomes evaluated (Evaluation rows)", (r) => String(r.evaluations)],
    ["device measurements (Measurement rows)", (r) => String(r.measurements)],
    ["candidates evaluated / min, end to end", (r) => f1((r.evaluations / (r.handler[1] - r.handler[0])) * 60_000)],
    ["evaluation itself, ms (mean Evaluation.durationMs)", (r) => f0(mean(r.evaluatorJobs.map((j) => j.workMs)))],
    [
      "candidates evaluated / min, evaluator busy (60000 / mean durationMs)",
      (r) => f1(60_000 / mean(r.evaluatorJobs.map((j) => j.workMs))),
    ],
    [
      "evaluate job active, ms (mean finishedOn - processedOn)",
      (r) => f0(mean(r.evaluatorJobs.map((j) => j.finished - j.started))),
    ],
    ["device measurements / min, end to end", (r) => f1((r.measurements / (r.handler[1] - r.handler[0])) * 60_000)],
    [
      "runner through adb per measurement, ms (mean sum of repetitions' wallMs)",
      (r) => f0(mean(r.labJobs.map((j) => j.workMs))),
    ],
    [
      "measure job active, ms (mean finishedOn - processedOn)",
      (r) => f0(mean(r.labJobs.map((j) => j.finished - j.started))),
    ],
    ["health gate before the runs, ms (mean conditions.cooldown.waitedMs)", (r) => f0(mean(r.healthGateMs))],
    [
      "device measurements / min, lab busy (60000 / mean job active)",
      (r) => f1(60_000 / mean(r.labJobs.map((j) => j.finished - j.started))),
    ],
    ["queue pickup, evaluate queue, ms (median / max)", (r) => pickupText(r.evaluatorJobs)],
    ["queue pickup, measure queue, ms (median / max)", (r) => pickupText(r.labJobs)],
  ];
  printTable(
    ["figure", ...runs.map((r) => r.label)],
    rows.map(([name, f]) => [name, ...runs.map(f)]),
  );
}

function pickupText(jobs: readonly JobTimes[]): string {
  const p = pickupLatencies(jobs);
  return `${f0(median(p))} / ${f0(Math.max(...p))}`;
}

function printOverhead(runs: readonly SearchRun[]): void {
  const totals = runs.map((r) => {
    const splits = r.marks.map((m) => splitGeneration(m, r.evaluatorJobs, r.labJobs));
    const asked = r.marks.reduce((s, m) => s + m.asked, 0);
    return { sum: sumSplits(splits), asked, branches: splits.map((s) => s.branch[0]).join("") };
  });
  const per = (pick: (t: (typeof totals)[number]["sum"]) => number) => (t: (typeof totals)[number]) =>
    f0(pick(t.sum) / t.asked);
  const rows: [string, (t: (typeof totals)[number]) => string][] = [
    ["critical branch per generation (d = device lab, e = evaluator)", (t) => t.branches],
    ["generation wall time", per((s) => s.wallMs)],
    ["the work itself on the critical branch", per((s) => s.workMs)],
    ["orchestration overhead (wall - work)", per((s) => s.wallMs - s.workMs)],
    ["- before the branch's first job: ask, rows, cache lookups, first probe export", per((s) => s.beforeFirstJobMs)],
    ["- worker starved: searcher still exporting/enqueueing the next job", per((s) => s.starvedMs)],
    ["- queue pickup (job ready, worker free, not yet taken)", per((s) => s.pickupMs)],
    ["- inside jobs, not the work: Postgres, artifact fetch, adb push/health", per((s) => s.inJobMs)],
    ["- last job done to searcher seeing it (Postgres polling)", per((s) => s.detectMs)],
    ["- tell, ranking and the generation's write transaction", per((s) => s.writeMs)],
    ["overhead share of wall time", (t) => `${f1(((t.sum.wallMs - t.sum.workMs) / t.sum.wallMs) * 100)}%`],
  ];
  printTable(
    ["ms per candidate asked", ...runs.map((r) => r.label)],
    rows.map(([name, f]) => [name, ...totals.map(f)]),
  );
}

function printHypervolume(runs: readonly SearchRun[]): void {
  const all = runs.flatMap((r) => r.candidates);
  const reference = commonReference(all);
  console.log(
    `common reference point (worst + 10% of the range over all ${all.length} candidates of every search): ` +
      `PSNR ${f3(-reference[0])} dB, latency ${f1(reference[1])} ms; HV in dB x ms. "HV all" is the hypervolume ` +
      "of the non-dominated set of every candidate the search evaluated so far; it only grows.",
  );
  const span = (i: 0 | 1, sign: number) => {
    const values = all.map((c) => sign * c.objectives[i]);
    return `${f3(Math.min(...values))}-${f3(Math.max(...values))}`;
  };
  console.log(`candidates span PSNR ${span(0, -1)} dB and latency ${span(1, 1)} ms (median per search, one phone)\n`);
  const curves = runs.map((r) =>
    r.generations.map((g, index) => ({
      measurements: g.measurements,
      all: frontHypervolume(
        r.candidates.filter((c) => c.generation <= index),
        reference,
      ),
    })),
  );
  printTable(
    ["generation", ...runs.flatMap((r) => [`${r.label} meas.`, "HV all"])],
    Array.from({ length: generations }, (_, g) => [
      g,
      ...curves.flatMap((c) => {
        const p = c[g];
        return p ? [p.measurements, f1(p.all)] : ["-", "-"];
      }),
    ]),
  );

  // The same curves read at equal numbers of device measurements (a step function of each search's generations).
  const most = Math.max(...curves.map((c) => c.at(-1)?.measurements ?? 0));
  const at = (c: (typeof curves)[number], m: number) => c.filter((p) => p.measurements <= m).at(-1)?.all ?? NaN;
  const kinds = [...new Set(runs.map((r) => r.algorithm))];
  const medianAt = (kind: string, m: number) =>
    median(curves.filter((_, i) => runs[i]?.algorithm === kind).map((c) => at(c, m)));
  console.log(
    "\nHV all at equal numbers of device measurements m: that of each search's last generation that used at most m" +
      " (a search that stopped measuring earlier keeps its final value):\n",
  );
  printTable(
    ["measurements", ...runs.map((r) => r.label), ...(seedCount > 1 ? kinds.map((k) => `median ${k}`) : [])],
    Array.from({ length: Math.ceil(most / population) }, (_, i) => (i + 1) * population).map((m) => [
      m,
      ...curves.map((c) => f1(at(c, m))),
      ...(seedCount > 1 ? kinds.map((k) => f1(medianAt(k, m))) : []),
    ]),
  );

  console.log("\nAt the end of each search:\n");
  const byRun = runs.map((r) => {
    const last = r.generations.at(-1);
    const byHash = new Map(r.candidates.map((c) => [c.hash, c]));
    const firstPopulation = r.candidates
      .filter((c) => c.generation === 0)
      .map((c) => c.hash)
      .sort()
      .join();
    return { r, last, front: (last?.front ?? []).flatMap((h) => byHash.get(h) ?? []), firstPopulation };
  });
  printTable(
    ["figure", ...runs.map((r) => r.label)],
    [
      ["device measurements (= distinct architectures measured)", ...byRun.map((x) => x.last?.measurements ?? "-")],
      ["HV all (common reference)", ...byRun.map((x) => f1(curves[runs.indexOf(x.r)]?.at(-1)?.all ?? NaN))],
      [
        "HV of the final population's front (common reference)",
        ...byRun.map((x) => f1(frontHypervolume(x.front, reference))),
      ],
      [
        "the search's own HV (its own reference, from its generation 0)",
        ...byRun.map((x) => f1(x.last?.hypervolume ?? NaN)),
      ],
      ["points on the final front", ...byRun.map((x) => x.front.length)],
      [
        "generation 0 = that of the other algorithm with this seed",
        ...byRun.map((x) =>
          byRun.some((y) => y !== x && y.r.seed === x.r.seed && y.firstPopulation === x.firstPopulation) ? "yes" : "no",
        ),
      ],
    ],
  );
}

async function main(): Promise<void> {
  const supernet = await mainSupernet();
  if (!supernet) {
    console.error(
      `no ready supernet with a checkpoint in ${MAIN_DATABASE_URL} (artifacts ${MAIN_ARTIFACT_DIR}); ` +
        "run `bash scripts/main.sh` first to train the main job's supernet",
    );
    process.exit(1);
  }
  const { tf, name: backend } = await selectBackend(tfCore, { prefer: "cpu", training: false });
  const mismatch = await checkpointMatchesCode(supernet, tf, backend);
  if (mismatch) {
    console.error(
      `supernet ${supernet.id} step ${supernet.step} does not fit this code's generator (${mismatch}); ` +
        "train a new one (the main job reuses a supernet by its training config) before benchmarking the search",
    );
    process.exit(1);
  }
  const adb = await startAdbServer(ADB_PORT);
  const runs: SearchRun[] = [];
  const benchStart = Date.now();
  try {
    for (let seed = 1; seed <= seedCount; seed++) {
      for (const algorithm of ALGORITHMS) runs.push(await runSearch(supernet, seed, algorithm, adb, tf));
    }
  } finally {
    await adb.stop();
  }
  console.log(
    `# search bench: ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}, ` +
      `load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(" ")}`,
  );
  console.log(
    `supernet ${supernet.id} (main job) step ${supernet.step}, space ${JSON.stringify(supernet.searchSpace)}; ` +
      `${generations} generations x ${population} candidates, seeds 1..${seedCount}, objectives PSNR (bundled:val) ` +
      `and latency on 1 emulated phone (host-cpu, LR ${INPUT.height}x${INPUT.width}, ${RUNTIME.warmupRuns}+` +
      `${RUNTIME.runs} runs x ${REPETITIONS} repetitions); evaluator path ${runs[0]?.evaluatorInfo ?? "?"}; ` +
      `bench wall ${f0((Date.now() - benchStart) / 1000)} s`,
  );
  console.log("\n## Throughput\n");
  printThroughput(runs);
  console.log("\n## Orchestration overhead per candidate (critical branch of each generation)\n");
  printOverhead(runs);
  console.log("\n## Hypervolume against device measurements\n");
  printHypervolume(runs);
}

await main();
process.exit(0);
