/**
 * Training throughput of the supernet trainer's step (sandwich rule, distillation, both discriminators) on this
 * machine's fastest backend. Prints steps/s and images/s; a benchmark, not a test.
 *
 *   npx tsx bench/train-supernet.ts [batch=16] [patch=128] [steps=3] [space=default|tiny]
 * Teacher: random RRDBNet 23x64x32 (ESRGAN size) for the default space; weights do not change the cost.
 */
import * as tfCore from "@tensorflow/tfjs-core";
import { DEFAULT_SEARCH_SPACE, createRng, narrowSpace, parseTrainingConfig } from "@mfnas/core";
import {
  RrdbNet,
  batchToTensors,
  createPatchSampler,
  openSampleDatasets,
  rrdbNetTeacher,
  selectBackend,
} from "@mfnas/model";
import { TrainingState, genomesForStep } from "@mfnas/trainer";

const [batch = 16, patch = 128, steps = 3] = process.argv.slice(2, 5).map(Number);
const tiny = process.argv[5] === "tiny";
const { tf, name } = await selectBackend(tfCore, { log: console.log });
const config = parseTrainingConfig({
  teacher: { weights: "0".repeat(64), ...(tiny ? { blocks: 2, channels: 16, growth: 8 } : {}) },
  data: { train: "bundled", val: "bundled" },
  steps: 1_000,
  batch,
  patchSize: patch,
  scale: 4,
});
const space = narrowSpace(
  DEFAULT_SEARCH_SPACE,
  tiny ? { trunkWidths: [8, 16], branchWidths: [8], depth: { min: 1, max: 2 } } : {},
);
if (config.teacher.kind !== "rrdbnet") throw new Error("the bench times an RRDBNet teacher");
const { blocks, channels, growth, weights } = config.teacher;
const teacher = rrdbNetTeacher(new RrdbNet(tf, { blocks, channels, growth, scale: 4 }), weights);
const state = new TrainingState(tf, space, config, teacher, undefined);
const { train } = await openSampleDatasets({ scale: 4 });
const sampler = createPatchSampler(train, { patchSize: patch, batchSize: batch, seed: 0 });
const rng = createRng(0);
let measured = 0;
for (let step = 0; step <= steps; step++) {
  const { lr, hr } = batchToTensors(tf, await sampler.next());
  const genomes = genomesForStep(space, config.sampling, 4, step, rng);
  const start = performance.now();
  state.step(genomes, { lr, hr }, { g: 1e-4, d: 1e-4 }); // no cached targets: the teacher runs in the step
  const ms = performance.now() - start;
  tf.dispose([lr, hr]);
  if (step > 0) measured += ms; // step 0 warms up kernels and allocations
  console.log(`step ${step}: ${ms.toFixed(0)} ms (${genomes.length} subnets)`);
}
const perStep = measured / steps / 1000;
console.log(
  `${name}, space ${tiny ? "tiny" : "default"}, batch ${batch}, HR patch ${patch}: ${(1 / perStep).toFixed(3)} steps/s, ${(batch / perStep).toFixed(2)} images/s`,
);
