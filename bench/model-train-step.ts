// Training-step benchmark of the model family: the default space's largest and smallest SubGenerators with the
// 70x70 PatchGAN, LR 32x32, batch 16, on tfjs wasm and tfjs cpu, and the same networks and step in PyTorch on
// this CPU (bench/reference/torch_train_step.py, 2 threads), in one run. Prints measured figures only.
//
//   npx tsx bench/model-train-step.ts [--steps N] [--cpu-steps N] [--skip-cpu | --cpu-only] [--cpu-step]
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { DEFAULT_SEARCH_SPACE, genomeCost, largestGenome, smallestGenome, type Genome } from "@mfnas/core";
import { PatchGanDiscriminator, SubGenerator, selectBackend, type BackendName } from "@mfnas/model";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const STEPS = flag("--steps", 3);
const CPU_STEPS = flag("--cpu-steps", 1);
const BATCH = 16;
const LR = 32;
const D = { baseWidth: 64, layers: 3 };

/** MACs of the PatchGAN on an HR batch of one image, from its layer shapes (pix2pix padding 1). */
function patchGanMacs(side: number): number {
  let macs = 0;
  let s = side;
  let cin = 3;
  const widths = Array.from({ length: D.layers + 1 }, (_, n) => Math.min(2 ** n, 8) * D.baseWidth);
  for (const [n, w] of widths.entries()) {
    s = n < D.layers ? Math.floor((s + 2 - 4) / 2) + 1 : s + 2 - 4 + 1;
    macs += 16 * cin * w * s * s;
    cin = w;
  }
  s = s + 2 - 4 + 1;
  return macs + 16 * cin * s * s;
}

/**
 * Useful FLOPs of one G+D step (the same for both frameworks, so the ratio is the time ratio): G forward and
 * backward = 3 G forwards; D step on real and fake = 2 x 3 D forwards; G step through D = real forward + fake
 * forward and backward = 4 D forwards. Two FLOPs per MAC.
 */
function stepFlops(genome: Genome): { forward: number; step: number } {
  const g = genomeCost(genome, LR, LR).macs;
  const d = patchGanMacs(LR * genome.scale);
  return { forward: 2 * g * BATCH, step: 2 * BATCH * (3 * g + 10 * d) };
}

const softplus = (x: tf.Tensor) => tf.softplus(x);
/** Relativistic-average GAN loss (BCE with logits written with softplus: stable and differentiable here). */
function ragan(real: tf.Tensor, fake: tf.Tensor, forGenerator: boolean): tf.Scalar {
  const a = tf.sub(real, tf.mean(fake));
  const b = tf.sub(fake, tf.mean(real));
  // BCE(x, 1) = softplus(-x); BCE(x, 0) = softplus(x).
  const [ta, tb] = forGenerator ? [softplus(a), softplus(tf.neg(b))] : [softplus(tf.neg(a)), softplus(b)];
  return tf.div(tf.add(tf.mean(ta), tf.mean(tb)), 2);
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

async function tfjsRun(backend: BackendName, genome: Genome, steps: number, withStep = true) {
  await selectBackend(tf, { prefer: backend });
  const g = SubGenerator.create(tf, genome, { seed: 0 });
  const d = new PatchGanDiscriminator(tf, { ...D, seed: 0 });
  const optG = tf.train.adam(1e-4, 0.9, 0.99);
  const optD = tf.train.adam(1e-4, 0.9, 0.99);
  const gVars = g.params.entries().map(([, v]) => v);
  const dVars = d.params.entries().map(([, v]) => v);
  const lr = tf.randomUniform<tf.Rank.R4>([BATCH, LR, LR, 3]);
  const hr = tf.randomUniform<tf.Rank.R4>([BATCH, LR * genome.scale, LR * genome.scale, 3]);
  const step = async () => {
    const sr = tf.tidy(() => g.forward(tf, lr));
    const dLoss = optD.minimize(() => ragan(d.forward(tf, hr).logits, d.forward(tf, sr).logits, false), true, dVars);
    const gLoss = optG.minimize(
      () => {
        const out = g.forward(tf, lr);
        const real = d.forward(tf, hr).logits;
        return tf.add(tf.mean(tf.abs(tf.sub(out, hr))), tf.mul(5e-3, ragan(real, d.forward(tf, out).logits, true)));
      },
      true,
      gVars,
    );
    await Promise.all([dLoss?.data(), gLoss?.data()]);
    tf.dispose(sr);
    if (dLoss) tf.dispose(dLoss);
    if (gLoss) tf.dispose(gLoss);
  };
  const forward = async () => {
    const y = tf.tidy(() => g.forward(tf, lr));
    await y.data();
    y.dispose();
  };
  const time = async (fn: () => Promise<void>, n: number) => {
    await fn(); // warm-up: kernels, weights upload
    const ts: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await fn();
      ts.push(performance.now() - t);
    }
    return median(ts);
  };
  const forwardMs = await time(forward, steps);
  const stepMs = withStep ? await time(step, steps) : NaN;
  tf.dispose([lr, hr]);
  g.dispose();
  d.dispose();
  optG.dispose();
  optD.dispose();
  return { forwardMs, stepMs };
}

function torchRun(genome: Genome, steps: number) {
  const job = JSON.stringify({ genome, batch: BATCH, lr: LR, d: D, steps, warmup: 1, threads: 2 });
  const out = execFileSync("/usr/bin/python3", [path.join(root, "bench/reference/torch_train_step.py"), job], {
    encoding: "utf8",
  });
  return JSON.parse(out) as { torch: string; threads: number; forwardMs: number; stepMs: number };
}

const rows: Record<string, string | number>[] = [];
for (const [label, genome] of [
  ["largest", largestGenome(DEFAULT_SEARCH_SPACE, 4)],
  ["smallest", smallestGenome(DEFAULT_SEARCH_SPACE, 4)],
] as const) {
  const flops = stepFlops(genome);
  const add = (runtime: string, r: { forwardMs: number; stepMs: number }) => {
    const row = {
      genome: label,
      runtime,
      "forward img/s": +((BATCH * 1000) / r.forwardMs).toFixed(1),
      "G+D step ms": Number.isNaN(r.stepMs) ? "not run" : Math.round(r.stepMs),
      "forward GFLOP/s": +(flops.forward / r.forwardMs / 1e6).toFixed(2),
      "step GFLOP/s": Number.isNaN(r.stepMs) ? "-" : +(flops.step / r.stepMs / 1e6).toFixed(2),
    };
    console.log(JSON.stringify(row)); // as measured, so a long run shows its figures before the table
    rows.push(row);
  };
  if (!args.includes("--cpu-only")) {
    const torch = torchRun(genome, STEPS);
    add(`pytorch ${torch.torch} (${torch.threads} threads)`, torch);
    const wasm = await tfjsRun("wasm", genome, STEPS);
    add("tfjs wasm (1 thread, SIMD)", wasm);
    console.log(`${label}: wasm step / pytorch step = ${(wasm.stepMs / torch.stepMs).toFixed(2)}x`);
  }
  // tfjs's cpu backend computes weight gradients naively (bench/conv-kernels.ts: 25 s for one 64->64 conv at
  // batch 4, 32x32, ~100 s at batch 16), and the PatchGAN alone has five convs on 128x128 inputs: a cpu training
  // step takes hours. On cpu the forward pass is timed; --cpu-step also times a step of the smallest generator.
  if (!args.includes("--skip-cpu")) {
    add("tfjs cpu", await tfjsRun("cpu", genome, CPU_STEPS, args.includes("--cpu-step") && label === "smallest"));
  }
}
console.log(
  `LR ${LR}x${LR}, batch ${BATCH}, PatchGAN base ${D.baseWidth} with ${D.layers} layers, median of ${STEPS} timed runs (tfjs cpu: ${CPU_STEPS})`,
);
console.table(rows);
