/**
 * Benchmark (prints figures; not a test): a 3x3 conv, 64 -> 64 channels, 'same', at batch 4/16 and 32x32/64x64:
 * forward, weight gradient and input gradient on wasm with our kernels, against the naive formulations on wasm
 * (im2col + matMul for the weight gradient, wasm's own Conv2DBackpropInput = conv2dTranspose for the input
 * gradient) and against tfjs-backend-cpu's kernels. Then the discriminator's 4x4 stride-2 conv and the dil2
 * branch's dilated conv, and the other kernels registerWasmTrainingKernels replaces, at batch 4, 64x64.
 *
 *   npx tsx packages/model/src/backend/bench/conv-kernels.ts [--reps=5] [--no-cpu]
 *
 * Prints the fastest and the median of `reps` runs after one warm-up. tfjs-cpu runs once without warm-up, and
 * its weight gradient (~20 s at batch 4, 32x32) only at the smallest size; larger sizes print a linear estimate.
 */
import * as tfCore from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import {
  leakyReluGrad,
  nearestResizeGrad,
  registerWasmTrainingKernels,
  wasmBinaryDirectory,
  type Tf,
} from "@mfnas/model";

const tf: Tf = tfCore;
const args = process.argv.slice(2);
const REPS = Number(args.find((a) => a.startsWith("--reps="))?.split("=")[1] ?? 5);
const WITH_CPU = !args.includes("--no-cpu");

interface Geometry {
  n: number;
  size: number;
  k: number;
  stride: number;
  dilation: number;
  cin: number;
  cout: number;
}

interface Timing {
  min: number;
  median: number;
}

/** Times op(inputs) on `backend`: `warmups` untimed runs, then `reps` timed ones. */
async function measure(
  backend: "wasm" | "cpu",
  setup: () => Tensor[],
  op: (inputs: Tensor[]) => Tensor,
  reps = REPS,
  warmups = 1,
): Promise<Timing> {
  await tf.setBackend(backend);
  const inputs = setup();
  const runs: number[] = [];
  for (let i = 0; i < warmups + reps; i++) {
    const start = performance.now();
    const out = tf.tidy(() => op(inputs));
    await out.data();
    if (i >= warmups) runs.push(performance.now() - start);
    out.dispose();
  }
  tf.dispose(inputs);
  runs.sort((a, b) => a - b);
  return { min: runs[0] ?? NaN, median: runs[Math.floor(runs.length / 2)] ?? NaN };
}

const convInputs = (g: Geometry) => (): Tensor[] => {
  const out = Math.ceil(g.size / g.stride); // 'same' padding
  return [
    tf.randomNormal([g.n, g.size, g.size, g.cin], 0, 1, "float32", 1),
    tf.randomNormal([g.k, g.k, g.cin, g.cout], 0, 0.1, "float32", 2),
    tf.randomNormal([g.n, out, out, g.cout], 0, 1, "float32", 3),
  ];
};

type ConvOp = (g: Geometry) => (inputs: Tensor[]) => Tensor;
const parts = (inputs: Tensor[]) => inputs as [Tensor4D, Tensor4D, Tensor4D];

const forward: ConvOp = (g) => (inputs) => {
  const [x, w] = parts(inputs);
  return tf.conv2d(x, w, g.stride, "same", "NHWC", g.dilation);
};
const filterKernel: ConvOp = (g) => (inputs) => {
  const [x, w, dy] = parts(inputs);
  const attrs = { strides: g.stride, pad: "same", dataFormat: "NHWC", filterShape: w.shape };
  return tf.engine().runKernel<Tensor>("Conv2DBackpropFilter", { x, dy }, attrs);
};
const inputKernel: ConvOp = (g) => (inputs) => {
  const [x, w, dy] = parts(inputs);
  const attrs = { strides: g.stride, pad: "same", dataFormat: "NHWC", inputShape: x.shape };
  return tf.engine().runKernel<Tensor>("Conv2DBackpropInput", { dy, filter: w }, attrs);
};
/** Both gradients through tf.grads, so the dilated conv goes through our Conv2D gradient. */
const bothGrads: ConvOp = (g) => (inputs) => {
  const [x, w, dy] = parts(inputs);
  const conv = (a: Tensor, b: Tensor) => tf.conv2d(a as Tensor4D, b as Tensor4D, g.stride, "same", "NHWC", g.dilation);
  return tf.concat(
    tf
      .grads(conv)([x, w], dy)
      .map((t) => tf.reshape(t, [-1])),
  );
};
/** The weight gradient as im2col + matMul: the k*k shifted copies of x side by side, times dy. Stride 1 only. */
const im2colFilter: ConvOp = (g) => (inputs) => {
  const [x, , dy] = parts(inputs);
  const p = (g.k - 1) >> 1;
  const padded = tf.pad(x, [
    [0, 0],
    [p, g.k - 1 - p],
    [p, g.k - 1 - p],
    [0, 0],
  ]);
  const shifted: Tensor[] = [];
  for (let a = 0; a < g.k; a++) {
    for (let b = 0; b < g.k; b++) shifted.push(tf.slice(padded, [0, a, b, 0], [g.n, g.size, g.size, g.cin]));
  }
  const cols = tf.reshape(tf.concat(shifted, 3), [-1, g.k * g.k * g.cin]);
  const grad = tf.matMul(cols, tf.reshape(dy, [-1, g.cout]), true, false);
  return tf.reshape(grad, [g.k, g.k, g.cin, g.cout]);
};

const fmt = ({ min, median }: Timing) => `${min.toFixed(1).padStart(9)} ${`(${median.toFixed(1)})`.padStart(10)}`;
const row = (label: string, cells: string[]) => console.log(`${label.padEnd(42)}${cells.join("  ")}`);

/** Other replaced kernels at batch 4, 64x64, 64 channels: [label, inputs, wasm's / tfjs's way, ours]. */
function otherKernels(): Array<[string, () => Tensor[], (t: Tensor[]) => Tensor, (t: Tensor[]) => Tensor]> {
  const big = () => [tf.randomNormal([4, 64, 64, 64], 0, 1, "float32", 4)];
  const half = () => [tf.randomNormal([4, 32, 32, 64], 0, 1, "float32", 5), ...big()];
  const quarter = () => [tf.randomNormal([4, 16, 16, 64], 0, 1, "float32", 6), ...big()];
  const nearest = (t: Tensor[]) => {
    const [images, dy] = parts(t);
    return { images, dy, attrs: { alignCorners: false, halfPixelCenters: false, size: [64, 64] as [number, number] } };
  };
  const nativeNearest = (t: Tensor[]) => {
    const { images, dy, attrs } = nearest(t);
    return tf.engine().runKernel<Tensor>("ResizeNearestNeighborGrad", { images, dy }, attrs);
  };
  const oursNearest = (t: Tensor[]) => {
    const { images, dy, attrs } = nearest(t);
    return nearestResizeGrad(tf, dy, images, attrs);
  };
  const avgGrad = (k: number) => (t: Tensor[]) =>
    tf
      .engine()
      .runKernel<Tensor>("AvgPoolGrad", { dy: t[0]!, input: t[1]! }, { filterSize: k, strides: k, pad: "valid" });
  return [
    [
      "DepthToSpace 256 ch, 32x32 -> 64x64",
      () => [tf.randomNormal([4, 32, 32, 256], 0, 1, "float32", 7)],
      (t) => tf.depthToSpace(t[0] as Tensor4D, 2),
      (t) => tf.depthToSpace(t[0] as Tensor4D, 2),
    ],
    ["AvgPoolGrad 2x2 (down2)", half, avgGrad(2), avgGrad(2)],
    ["AvgPoolGrad 4x4 (down4)", quarter, avgGrad(4), avgGrad(4)],
    ["ResizeNearestNeighborGrad x2", half, nativeNearest, oursNearest],
    ["ResizeNearestNeighborGrad x4", quarter, nativeNearest, oursNearest],
    [
      "LeakyRelu gradient (tfjs: where/greater)",
      () => [...big(), tf.randomNormal([4, 64, 64, 64], 0, 1, "float32", 8)],
      (t) => tf.where(tf.greater(t[0]!, 0), t[1]!, tf.mul(t[1]!, 0.2)),
      (t) => leakyReluGrad(tf, t[1]!, t[0]!, 0.2),
    ],
  ];
}

async function main(): Promise<void> {
  setWasmPaths(wasmBinaryDirectory());
  await tf.setBackend("wasm");
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
  console.log(`wasm: SIMD ${simd ? "on" : "off"}, threads ${threads ? "on" : "off"}; ms = fastest (median of ${REPS})`);

  const grid: Geometry[] = [];
  for (const n of [4, 16]) {
    for (const size of [32, 64]) grid.push({ n, size, k: 3, stride: 1, dilation: 1, cin: 64, cout: 64 });
  }
  // wasm's own kernels, measured before ours replace them.
  const nativeInput = new Map<Geometry, Timing>();
  for (const g of grid) nativeInput.set(g, await measure("wasm", convInputs(g), inputKernel(g)));
  const others = otherKernels();
  const nativeOther: Timing[] = [];
  for (const [, setup, native] of others) nativeOther.push(await measure("wasm", setup, native));
  registerWasmTrainingKernels(tf);

  let cpuFilterPerPixel: number | undefined;
  for (const g of grid) {
    console.log(`\n3x3 conv 64->64, batch ${g.n}, ${g.size}x${g.size}`);
    row(
      "",
      ["wasm (ours)", "wasm (naive)", WITH_CPU ? "tfjs cpu (1 run)" : ""].map((h) => h.padStart(20)),
    );
    const cpu = async (op: ConvOp) => (WITH_CPU ? fmt(await measure("cpu", convInputs(g), op(g), 1, 0)) : "");
    const pixels = g.n * g.size * g.size;
    let cpuFilter = "";
    if (WITH_CPU && cpuFilterPerPixel === undefined) {
      const t = await measure("cpu", convInputs(g), filterKernel(g), 1, 0);
      cpuFilterPerPixel = t.min / pixels;
      cpuFilter = fmt(t);
    } else if (cpuFilterPerPixel !== undefined) {
      cpuFilter = `~${((cpuFilterPerPixel * pixels) / 1000).toFixed(0)} s (est.)`.padStart(20);
    }
    const conv = (op: ConvOp) => measure("wasm", convInputs(g), op(g));
    row("forward", [fmt(await conv(forward)), " ".repeat(20), await cpu(forward)]);
    row("weight gradient (naive: im2col + matMul)", [
      fmt(await conv(filterKernel)),
      fmt(await conv(im2colFilter)),
      cpuFilter,
    ]);
    row("input gradient (naive: wasm's kernel)", [
      fmt(await conv(inputKernel)),
      fmt(nativeInput.get(g) ?? { min: NaN, median: NaN }),
      await cpu(inputKernel),
    ]);
  }

  console.log("\nOther convs of the model, batch 4, 64x64, wasm (ours)");
  row(
    "",
    ["forward", "both gradients"].map((h) => h.padStart(20)),
  );
  const extras: Array<[string, Geometry]> = [
    ["4x4 stride 2, 64->64 (PatchGAN)", { n: 4, size: 64, k: 4, stride: 2, dilation: 1, cin: 64, cout: 64 }],
    ["3x3 dilation 2, 64->32 (dil2)", { n: 4, size: 64, k: 3, stride: 1, dilation: 2, cin: 64, cout: 32 }],
  ];
  for (const [label, g] of extras) {
    row(label, [
      fmt(await measure("wasm", convInputs(g), forward(g))),
      fmt(await measure("wasm", convInputs(g), bothGrads(g))),
    ]);
  }

  console.log("\nOther replaced kernels, batch 4, 64x64 x 64 ch, wasm");
  row(
    "",
    ["ours", "wasm's / tfjs's"].map((h) => h.padStart(20)),
  );
  for (const [i, [label, setup, , ours]] of others.entries()) {
    row(label, [fmt(await measure("wasm", setup, ours)), fmt(nativeOther[i] ?? { min: NaN, median: NaN })]);
  }
}

await main();
