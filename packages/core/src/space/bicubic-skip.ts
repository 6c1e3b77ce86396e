/**
 * The generator's output skip: MATLAB-compatible bicubic upscaling of the LR input (`imresize(lr, s)`: Keys cubic
 * kernel with a = -0.5, no antialiasing when upscaling, symmetric boundary handling), written as ops every
 * exporter and phone runtime has: a symmetric pad of the input by 2, a fixed-weight 5x5 'valid' conv producing the
 * s*s output phases of each channel, and a depth-to-space by s.
 *
 * Why this is exact: output pixel o = s*i + p (0-based, phase p) of an integer upscale samples the input at
 * i + (p + 0.5) / s - 0.5, which lies within half a pixel of i; the cubic kernel is 0 from distance 2 on, so the
 * taps are input pixels i-2..i+2 with weights that depend on p only. Rows and columns are separable, so phase
 * (py, px) of channel c is a 5x5 conv whose kernel is the outer product of the two phases' tap vectors. MATLAB
 * normalises each output pixel's weights to sum to 1 (the cubic kernel already does at integer-spaced taps; the
 * division is kept so rounding matches), and reads taps beyond the border from the input mirrored with its edge
 * pixel repeated (`[1..n, n..1]`, folded as often as needed, so even a 1-pixel side works).
 *
 * The weights are constants of the architecture, not trainable parameters: they are computed here, never stored
 * in a checkpoint or touched by an optimizer.
 */

/** Pixels of symmetric padding on each side of the LR input: the farthest tap of the cubic kernel. */
export const BICUBIC_SKIP_PAD = 2;

/** Kernel size of the skip's phase conv (taps -2..2). */
export const BICUBIC_SKIP_KERNEL = 2 * BICUBIC_SKIP_PAD + 1;

/** MATLAB's cubic kernel (Keys, a = -0.5), exactly 0 for |x| >= 2. */
export function matlabCubic(x: number): number {
  const ax = Math.abs(x);
  const ax2 = ax * ax;
  const ax3 = ax2 * ax;
  if (ax <= 1) return 1.5 * ax3 - 2.5 * ax2 + 1;
  if (ax < 2) return -0.5 * ax3 + 2.5 * ax2 - 4 * ax + 2;
  return 0;
}

/**
 * The 5 normalised tap weights (input offsets -2..2) of each of the `scale` output phases along one axis, as
 * MATLAB's `contributions` computes them for an integer upscale: phase p samples offset (p + 0.5) / scale - 0.5.
 */
export function bicubicPhaseTaps(scale: number): Float64Array[] {
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`bicubic skip: scale must be a positive integer`);
  return Array.from({ length: scale }, (_, p) => {
    const u = (p + 0.5) / scale - 0.5;
    const taps = Float64Array.from({ length: BICUBIC_SKIP_KERNEL }, (_, t) => matlabCubic(u - (t - BICUBIC_SKIP_PAD)));
    const sum = taps.reduce((a, b) => a + b, 0);
    return taps.map((w) => w / sum);
  });
}

/**
 * The source index of each position of a length-n axis padded by `pad` on both sides with MATLAB's symmetric
 * boundary (index -1 reads 0, -2 reads 1, n reads n-1, ...), folded with period 2n so any n >= 1 works.
 */
export function symmetricPadIndices(length: number, pad: number): number[] {
  const period = 2 * length;
  return Array.from({ length: length + 2 * pad }, (_, i) => {
    const folded = (((i - pad) % period) + period) % period;
    return folded < length ? folded : period - 1 - folded;
  });
}

/** A constant tensor of the skip, row-major float32. */
export interface SkipConstant {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * The skip's phase conv for an RGB input: HWIO kernel [5, 5, 3, 3*s*s] and a zero bias [3*s*s]. Output channel
 * `c*s*s + py*s + px` (PyTorch pixel-shuffle order, ONNX DepthToSpace CRD) is phase (py, px) of input channel c;
 * the kernel is block-diagonal over channels (2/3 of its weights are 0), so one plain conv serves every runtime.
 */
export function bicubicSkipWeights(scale: number): { weight: SkipConstant; bias: SkipConstant } {
  const taps = bicubicPhaseTaps(scale);
  const k = BICUBIC_SKIP_KERNEL;
  const phases = scale * scale;
  const cout = 3 * phases;
  const data = new Float32Array(k * k * 3 * cout);
  for (let dy = 0; dy < k; dy++)
    for (let dx = 0; dx < k; dx++)
      for (let c = 0; c < 3; c++)
        for (let py = 0; py < scale; py++)
          for (let px = 0; px < scale; px++) {
            const w = (taps[py]?.[dy] ?? 0) * (taps[px]?.[dx] ?? 0);
            data[((dy * k + dx) * 3 + c) * cout + c * phases + py * scale + px] = w;
          }
  return { weight: { shape: [k, k, 3, cout], data }, bias: { shape: [cout], data: new Float32Array(cout) } };
}

/** Number of constants (kernel + bias values) the skip stores for a scale. */
export function bicubicSkipConstants(scale: number): number {
  const cout = 3 * scale * scale;
  return BICUBIC_SKIP_KERNEL * BICUBIC_SKIP_KERNEL * 3 * cout + cout;
}
