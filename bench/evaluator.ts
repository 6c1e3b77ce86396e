/**
 * Evaluator throughput on this CPU: candidates evaluated per minute for random genomes of the default search space
 * (both scales) on the bundled validation images, on the two paths the evaluator service has:
 * - ONNX Runtime (CPU provider) on each candidate's exported ONNX graph, one session per LR size;
 * - tfjs on the wasm backend, the SubGenerator run directly.
 * A candidate's time is what the evaluate-candidate handler spends past the cached checkpoint: SubGenerator
 * extraction, export and session creation (ORT), inference on every image, Y-PSNR/SSIM. The checkpoint load
 * (decode + supernet build), paid once per (supernet, step) per process, is timed separately.
 *
 *   npx tsx bench/evaluator.ts [genomes=12] [seed=7]
 */
import os from "node:os";
import { performance } from "node:perf_hooks";
import * as tfCore from "@tensorflow/tfjs-core";
import * as ort from "onnxruntime-node";
import { DEFAULT_SEARCH_SPACE, createRng, encodeGenome, genomeCost, sampleGenome, type Genome } from "@mfnas/core";
import {
  MfaSupernet,
  decodeSupernetWeights,
  encodeSupernetCheckpoint,
  selectBackend,
  supernetCheckpointEntries,
  supernetFromWeights,
} from "@mfnas/model";
import {
  BUNDLED_VALIDATION_SET,
  ValidationSets,
  scoreUpscaler,
  subGeneratorUpscaler,
  type EvaluationPath,
} from "@mfnas/evaluator";

const [count = 12, seed = 7] = process.argv.slice(2, 4).map(Number);
const backend = await selectBackend(tfCore, { prefer: "wasm", training: false });
const { tf } = backend;
const space = DEFAULT_SEARCH_SPACE;
const sets = new ValidationSets(undefined);

// initScale 1 keeps activations O(1) as in a trained net (0.1 would time float32 denormals, see bench/export.ts).
const source = new MfaSupernet(tf, space, { seed, initScale: 1, outputInitScale: 1 });
const bytes = await encodeSupernetCheckpoint(supernetCheckpointEntries(source), { format: 1, step: 0 });
source.dispose();
const t0 = performance.now();
const supernet = supernetFromWeights(tf, space, decodeSupernetWeights(bytes, space).weights);
const loadMs = performance.now() - t0;

const rng = createRng(seed);
const genomes: Genome[] = Array.from({ length: count }, () => sampleGenome(space, rng));
for (const scale of [2, 4] as const) await sets.get(BUNDLED_VALIDATION_SET, scale); // decoded once, as in the service
const images = (await sets.get(BUNDLED_VALIDATION_SET, 4)).images;

console.log(
  `# evaluator bench: ${os.cpus()[0]?.model ?? "cpu"} x${os.cpus().length}, node ${process.version}, ` +
    `onnxruntime-node ${ort.env.versions.common}, tfjs-core ${tf.version_core} (${backend.name}, ${backend.threads} thread(s))`,
);
console.log(
  `default space, ${count} random genomes (seed ${seed}), ${images.length} bundled validation images ` +
    `(HR ${images[0]?.hr.height}x${images[0]?.hr.width}); checkpoint ${(bytes.length / 2 ** 20).toFixed(1)} MiB, ` +
    `decode + build ${loadMs.toFixed(0)} ms (once per checkpoint)`,
);

interface Run {
  readonly label: string;
  readonly path: EvaluationPath;
  readonly threads?: number;
  /** Candidates in flight at once (the service's EVALUATOR_CONCURRENCY). */
  readonly parallel: number;
}
const runs: Run[] = [
  { label: "onnxruntime, 1 thread", path: "onnxruntime", threads: 1, parallel: 1 },
  { label: "onnxruntime, default threads", path: "onnxruntime", parallel: 1 },
  {
    label: `onnxruntime, 1 thread, ${os.cpus().length} at once`,
    path: "onnxruntime",
    threads: 1,
    parallel: os.cpus().length,
  },
  { label: `tfjs ${backend.name}`, path: "tfjs", parallel: 1 },
];

async function evaluate(run: Run, genome: Genome): Promise<number> {
  const upscaler = await subGeneratorUpscaler(tf, supernet, genome, run.path, {
    backend: backend.name,
    ortThreads: run.threads,
  });
  try {
    return (await scoreUpscaler(upscaler, await sets.get(BUNDLED_VALIDATION_SET, genome.scale))).psnr;
  } finally {
    await upscaler.dispose();
  }
}

const psnrs = new Map<string, number[]>();
for (const run of runs) {
  // One untimed candidate first: the first session and the first wasm kernels pay one-off start-up costs.
  await evaluate(run, genomes[0] as Genome);
  const times: number[] = [];
  const scores: number[] = new Array<number>(count);
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: run.parallel }, async () => {
      while (next < count) {
        const i = next++;
        const begin = performance.now();
        scores[i] = await evaluate(run, genomes[i] as Genome);
        times.push(performance.now() - begin);
      }
    }),
  );
  const wall = performance.now() - start;
  psnrs.set(run.label, scores);
  const sorted = [...times].sort((a, b) => a - b);
  console.log(
    `${run.label.padEnd(34)} ${(count / (wall / 60_000)).toFixed(1).padStart(7)} candidates/min  ` +
      `median ${(sorted[Math.floor(count / 2)] ?? 0).toFixed(0)} ms, min ${(sorted[0] ?? 0).toFixed(0)} ms, ` +
      `max ${(sorted.at(-1) ?? 0).toFixed(0)} ms per candidate`,
  );
}

const [ortScores, tfjsScores] = [psnrs.get(runs[0]?.label ?? ""), psnrs.get(runs[3]?.label ?? "")];
const gap = Math.max(...genomes.map((_, i) => Math.abs((ortScores?.[i] ?? 0) - (tfjsScores?.[i] ?? 0))));
console.log(`largest |PSNR(onnxruntime) - PSNR(tfjs)| over the genomes: ${gap.toExponential(1)} dB`);
const gmacs = genomes.map((g) => genomeCost(g, 32, 32).macs / 1e9);
console.log(
  `genomes: GMAC per 32x32 LR from ${Math.min(...gmacs).toFixed(3)} to ${Math.max(...gmacs).toFixed(3)}; ` +
    `e.g. ${encodeGenome(genomes[0] as Genome)}`,
);
supernet.dispose();
