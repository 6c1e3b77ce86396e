import { describe, expect, it } from "vitest";
import type { Tensor, Tensor4D } from "@tensorflow/tfjs-core";
import { maxAbs, relativeError, runOn, seeded, tf } from "./test-support.ts";

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  k: number;
  s: number | [number, number];
  d: number;
  pad: Pad;
  n: number;
  h: number;
  w: number;
}

// Kernel 1/3/4, stride 1/2, dilation 1/2, 'same' / 'valid' / explicit padding, batch 1-3, odd and non-square sizes.
const CASES: ConvCase[] = [
  { k: 3, s: 1, d: 1, pad: "same", n: 2, h: 9, w: 7 },
  { k: 3, s: 1, d: 2, pad: "same", n: 3, h: 8, w: 11 },
  { k: 3, s: 1, d: 2, pad: "valid", n: 2, h: 9, w: 10 },
  { k: 1, s: 1, d: 1, pad: "same", n: 2, h: 6, w: 5 },
  { k: 1, s: 2, d: 1, pad: "same", n: 1, h: 7, w: 6 },
  { k: 4, s: 2, d: 1, pad: "same", n: 2, h: 8, w: 12 },
  { k: 4, s: 2, d: 1, pad: "same", n: 1, h: 9, w: 7 },
  { k: 4, s: 2, d: 1, pad: "valid", n: 2, h: 11, w: 9 },
  { k: 3, s: 2, d: 1, pad: "same", n: 2, h: 10, w: 7 },
  { k: 4, s: 1, d: 1, pad: "same", n: 2, h: 6, w: 7 },
  { k: 4, s: 1, d: 2, pad: "same", n: 1, h: 9, w: 8 },
  { k: 3, s: [2, 1], d: 1, pad: "same", n: 2, h: 9, w: 6 },
  {
    k: 3,
    s: 1,
    d: 1,
    pad: [
      [0, 0],
      [2, 0],
      [1, 3],
      [0, 0],
    ],
    n: 2,
    h: 5,
    w: 6,
  },
];

const IN_C = 5;
const OUT_C = 4;

/** The kernel with d - 1 zeros between taps: a dilated conv is a plain conv with this kernel. */
function dilatedKernel(w: Tensor4D, d: number): Tensor4D {
  if (d === 1) return w;
  const [k, , ci, co] = w.shape;
  const size = (k - 1) * d + 1;
  const values = w.arraySync();
  const out = tf.buffer([size, size, ci, co]);
  values.forEach((row, a) =>
    row.forEach((col, b) => col.forEach((inner, i) => inner.forEach((v, o) => out.set(v, a * d, b * d, i, o)))),
  );
  return out.toTensor() as Tensor4D;
}

function inputs(c: ConvCase) {
  const x = tf.tensor4d(seeded(1, c.n * c.h * c.w * IN_C), [c.n, c.h, c.w, IN_C]);
  const w = tf.tensor4d(seeded(2, c.k * c.k * IN_C * OUT_C), [c.k, c.k, IN_C, OUT_C]);
  const y = tf.conv2d(x, w, c.s, c.pad, "NHWC", c.d);
  const dy = tf.tensor4d(seeded(3, y.size), y.shape);
  return { x, w, dy };
}

/** Both gradients from tfjs's own cpu kernels, on the zero-dilated kernel: independent of our formulations. */
function reference(c: ConvCase): Tensor[] {
  const { x, w, dy } = inputs(c);
  const wd = dilatedKernel(w, c.d);
  const common = { strides: c.s, pad: c.pad, dataFormat: "NHWC" };
  const dx = tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: wd }, { ...common, inputShape: x.shape });
  const dwd = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, { ...common, filterShape: wd.shape });
  const dw = tf.stridedSlice(dwd as Tensor, [0, 0, 0, 0], wd.shape, [c.d, c.d, 1, 1]);
  return [dx as Tensor, dw];
}

/** Both gradients through tf.grads of conv2d: our Conv2D gradient and, on wasm, our backprop kernels. */
function viaGradient(c: ConvCase): Tensor[] {
  const { x, w, dy } = inputs(c);
  return tf.grads((a: Tensor, b: Tensor) => tf.conv2d(a as Tensor4D, b as Tensor4D, c.s, c.pad, "NHWC", c.d))(
    [x, w],
    dy,
  );
}

const label = (c: ConvCase) =>
  `k${c.k} s${String(c.s)} d${c.d} ${typeof c.pad === "string" ? c.pad : "explicit"} ${c.n}x${c.h}x${c.w}`;

describe("conv2d gradients as forward convs", () => {
  it.each(CASES.map((c) => [label(c), c] as const))("%s: wasm equals tfjs's cpu kernels", async (_name, c) => {
    const [refDx, refDw] = await runOn("cpu", () => reference(c));
    const [dx, dw] = await runOn("wasm", () => viaGradient(c));
    expect(maxAbs(refDx!)).toBeGreaterThan(0.1);
    expect(relativeError(dx!, refDx!)).toBeLessThanOrEqual(1e-4);
    expect(relativeError(dw!, refDw!)).toBeLessThanOrEqual(1e-4);
  });

  it.each(CASES.filter((c) => c.d > 1).map((c) => [label(c), c] as const))(
    "%s: the dilated Conv2D gradient also holds on cpu",
    async (_name, c) => {
      const [refDx, refDw] = await runOn("cpu", () => reference(c));
      const [dx, dw] = await runOn("cpu", () => viaGradient(c));
      expect(relativeError(dx!, refDx!)).toBeLessThanOrEqual(1e-4);
      expect(relativeError(dw!, refDw!)).toBeLessThanOrEqual(1e-4);
    },
  );

  it("the dilated gradient handles NCHW by transposing (cpu)", async () => {
    const c = CASES[1]!;
    const nhwc = await runOn("cpu", () => viaGradient(c));
    const nchw = await runOn("cpu", () => {
      const { x, w, dy } = inputs(c);
      const [dx, dw] = tf.grads((a: Tensor, b: Tensor) =>
        tf.conv2d(a as Tensor4D, b as Tensor4D, c.s, c.pad, "NCHW", c.d),
      )([tf.transpose(x, [0, 3, 1, 2]), w], tf.transpose(dy, [0, 3, 1, 2]));
      return [tf.transpose(dx!, [0, 2, 3, 1]), dw!];
    });
    expect(relativeError(nchw[0]!, nhwc[0]!)).toBeLessThanOrEqual(1e-5);
    expect(relativeError(nchw[1]!, nhwc[1]!)).toBeLessThanOrEqual(1e-5);
  });
});
