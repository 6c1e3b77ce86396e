/**
 * Trains the tiny RRDBNet teacher of the trainer's tests (2 blocks, 16 channels, growth 8, x4) with L1 on the
 * bundled sample images, and writes it as BasicSR-named safetensors to services/trainer/fixtures/. Deterministic
 * (seeded weights and sampler, wasm backend). Prints the teacher's and bicubic's Y-PSNR on the bundled val set.
 *
 *   npx tsx scripts/train-tiny-teacher.ts [steps=600]
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tfCore from "@tensorflow/tfjs-core";
import {
  RrdbNet,
  batchToTensors,
  createPatchSampler,
  imresize,
  l1Loss,
  openSampleDatasets,
  psnrY,
  saveWeights,
  selectBackend,
} from "@mfnas/model";

export const TINY_TEACHER = { blocks: 2, channels: 16, growth: 8, scale: 4 } as const;

const steps = Number(process.argv[2] ?? 600);
const { tf } = await selectBackend(tfCore, { prefer: "wasm", log: console.log });
const { train, val } = await openSampleDatasets({ scale: 4 });
const teacher = new RrdbNet(tf, { ...TINY_TEACHER, seed: 7 });
const sampler = createPatchSampler(train, { patchSize: 32, batchSize: 8, seed: 7 });
// A fast rate first, then a lower one to settle (a fresh Adam: tfjs's hides its rate).
const fast = tf.train.adam(2e-3, 0.9, 0.99);
const slow = tf.train.adam(5e-4, 0.9, 0.99);
const variables = teacher.params.entries().map(([, v]) => v);
for (let step = 1; step <= steps; step++) {
  const { lr, hr } = batchToTensors(tf, await sampler.next());
  const optimizer = step < steps * 0.7 ? fast : slow;
  const loss = optimizer.minimize(() => l1Loss(tf, teacher.forward(tf, lr), hr), true, variables);
  if (step % 50 === 0) console.log(`step ${step} l1 ${(await loss?.data())?.[0]?.toFixed(4)}`);
  tf.dispose([lr, hr, ...(loss ? [loss] : [])]);
}

let teacherPsnr = 0;
let bicubicPsnr = 0;
for (let i = 0; i < val.entries.length; i++) {
  const pair = await val.load(i);
  const lr = tf.tensor4d(pair.lr.data, [1, pair.lr.height, pair.lr.width, 3]);
  const sr = tf.tidy(() => tf.clipByValue(teacher.forward(tf, lr), 0, 1));
  teacherPsnr += psnrY({ ...pair.hr, data: (await sr.data()) as Float32Array }, pair.hr, { cropBorder: 4 });
  bicubicPsnr += psnrY(imresize(pair.lr, { scale: 4 }), pair.hr, { cropBorder: 4 });
  tf.dispose([lr, sr]);
}
const n = val.entries.length;
console.log(`val Y-PSNR: teacher ${(teacherPsnr / n).toFixed(2)} dB, bicubic ${(bicubicPsnr / n).toFixed(2)} dB`);
const out = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../services/trainer/fixtures/tiny-teacher-x4.safetensors",
);
await writeFile(
  out,
  await saveWeights(teacher.params, {
    metadata: {
      steps: String(steps),
      ...Object.fromEntries(Object.entries(TINY_TEACHER).map(([k, v]) => [k, String(v)])),
    },
  }),
);
console.log(`wrote ${out}`);
