/**
 * A tiny sequential dataflow graph that accounts exactly for a CNN's cost, shared by the MFA generator
 * (cost-model.ts) and the ESRGAN reference (esrgan-cost.ts). Batch 1, float32 (4 bytes per element),
 * tensors are [channels, height, width].
 *
 * Rules (see README.md):
 * - params = trainable weights + biases; constants = fixed weights of the architecture (the bicubic output skip's
 *   phase conv), stored in exported files but never trained. MACs count convolutions only, fixed ones included:
 *   k*k*Cin*Cout*Hout*Wout (stride 1, 'same' padding, or 'valid' on a padded input).
 * - LeakyReLU is fused into the conv before it (no tensor of its own, no traffic), as mobile runtimes do.
 *   Pools, nearest upsamples, symmetric pads, depth-to-space, space-to-depth, concats and residual
 *   adds are ops with their own output (and no MACs: the count is of convolutions only).
 * - Each op allocates a fresh output (nothing in place).
 * - memoryTrafficBytes = sum over ops of input bytes + weight bytes (params and constants) + output bytes.
 * - Ops run one at a time in the order they were added. A tensor is live from the op that produces it (the network
 *   input: from the start) until the last op that reads it has finished; the network output stays live to the end.
 *   While an op runs, all live tensors plus its output are resident; peakActivationBytes is the maximum of that sum.
 */
import { MfnasError } from "../errors.ts";

export const BYTES_PER_ELEMENT = 4;

export type Shape = readonly [channels: number, height: number, width: number];

export type LayerOp =
  | "conv"
  | "avg-pool"
  | "upsample-nearest"
  | "pad-symmetric"
  | "depth-to-space"
  | "space-to-depth"
  | "concat"
  | "residual-add";

export interface LayerCost {
  /** Position in the architecture, e.g. `blocks[2].down2.conv` or `body[0].rdb1.conv3`. */
  name: string;
  op: LayerOp;
  inputShapes: Shape[];
  outputShape: Shape;
  /** Conv: kernel size; pool/upsample/depth-to-space/space-to-depth: the factor; pad: pixels per side. */
  kernel?: number;
  dilation?: number;
  /** A conv without padding (on an input padded before it); absent for 'same'. */
  padding?: "valid";
  /** Fused activation of a conv. */
  activation?: "leaky-relu-0.2";
  /** Trainable weights + biases. */
  params: number;
  /** Fixed weights + biases (not trained, not in checkpoints; stored in exports). */
  constants: number;
  macs: number;
  inputBytes: number;
  weightBytes: number;
  outputBytes: number;
}

export interface CostReport {
  /** Trainable parameters: what a SubGenerator's ParamStore and a checkpoint hold. */
  params: number;
  /** Fixed weights of the architecture (the bicubic skip's conv), stored in exported files alongside `params`. */
  constants: number;
  macs: number;
  peakActivationBytes: number;
  memoryTrafficBytes: number;
  layers: LayerCost[];
}

/** A handle to a tensor in the graph. */
export type TensorId = number;

interface Recorded {
  layer: LayerCost;
  inputs: TensorId[];
  output: TensorId;
}

const NO_WEIGHTS = { params: 0, constants: 0, macs: 0, weightBytes: 0 } as const;

const bytesOf = (s: Shape): number => s[0] * s[1] * s[2] * BYTES_PER_ELEMENT;

export class CostGraph {
  readonly #shapes: Shape[] = [];
  readonly #ops: Recorded[] = [];

  /** The graph starts with its input tensor, id 0. */
  constructor(input: Shape) {
    this.#shapes.push(input);
  }

  get input(): TensorId {
    return 0;
  }

  shape(t: TensorId): Shape {
    const s = this.#shapes[t];
    if (!s) throw new Error(`cost graph: unknown tensor ${t}`);
    return s;
  }

  #add(layer: Omit<LayerCost, "inputShapes" | "inputBytes" | "outputBytes">, inputs: TensorId[]): TensorId {
    const inputShapes = inputs.map((t) => this.shape(t));
    const output = this.#shapes.length;
    this.#shapes.push(layer.outputShape);
    this.#ops.push({
      layer: {
        ...layer,
        inputShapes,
        inputBytes: inputShapes.reduce((sum, s) => sum + bytesOf(s), 0),
        outputBytes: bytesOf(layer.outputShape),
      },
      inputs,
      output,
    });
    return output;
  }

  /**
   * k x k conv, stride 1, with bias; 'same' padding unless `padding: "valid"`; `lrelu` fuses a LeakyReLU(0.2);
   * `fixed` counts its weights as constants instead of params.
   */
  conv(
    name: string,
    x: TensorId,
    cout: number,
    kernel: number,
    opts: { dilation?: number; lrelu?: boolean; padding?: "same" | "valid"; fixed?: boolean } = {},
  ) {
    const [cin, h, w] = this.shape(x);
    const valid = opts.padding === "valid";
    const [oh, ow] = valid ? [h - kernel + 1, w - kernel + 1] : [h, w];
    if (oh < 1 || ow < 1) throw new Error(`cost graph: ${name} has a ${kernel}x${kernel} kernel on ${h}x${w}`);
    const weights = kernel * kernel * cin * cout;
    const count = weights + cout;
    return this.#add(
      {
        name,
        op: "conv",
        outputShape: [cout, oh, ow],
        kernel,
        ...(opts.dilation !== undefined && opts.dilation !== 1 ? { dilation: opts.dilation } : {}),
        ...(valid ? { padding: "valid" as const } : {}),
        ...(opts.lrelu ? { activation: "leaky-relu-0.2" as const } : {}),
        params: opts.fixed ? 0 : count,
        constants: opts.fixed ? count : 0,
        macs: weights * oh * ow,
        weightBytes: count * BYTES_PER_ELEMENT,
      },
      [x],
    );
  }

  /** Pads H and W by `pad` on each side with mirrored copies of the border (MATLAB's symmetric boundary). */
  padSymmetric(name: string, x: TensorId, pad: number): TensorId {
    const [c, h, w] = this.shape(x);
    return this.#add(
      { name, op: "pad-symmetric", outputShape: [c, h + 2 * pad, w + 2 * pad], kernel: pad, ...NO_WEIGHTS },
      [x],
    );
  }

  /** Non-overlapping average pool (kernel = stride = factor). */
  avgPool(name: string, x: TensorId, factor: number): TensorId {
    const [c, h, w] = this.shape(x);
    if (h % factor !== 0 || w % factor !== 0) throw new Error(`cost graph: ${name} needs sizes divisible by ${factor}`);
    return this.#spatial(name, "avg-pool", x, [c, h / factor, w / factor], factor);
  }

  upsampleNearest(name: string, x: TensorId, factor: number): TensorId {
    const [c, h, w] = this.shape(x);
    return this.#spatial(name, "upsample-nearest", x, [c, h * factor, w * factor], factor);
  }

  depthToSpace(name: string, x: TensorId, factor: number): TensorId {
    const [c, h, w] = this.shape(x);
    if (c % (factor * factor) !== 0) throw new Error(`cost graph: ${name} needs channels divisible by ${factor ** 2}`);
    return this.#spatial(name, "depth-to-space", x, [c / (factor * factor), h * factor, w * factor], factor);
  }

  spaceToDepth(name: string, x: TensorId, factor: number): TensorId {
    const [c, h, w] = this.shape(x);
    if (h % factor !== 0 || w % factor !== 0) throw new Error(`cost graph: ${name} needs sizes divisible by ${factor}`);
    return this.#spatial(name, "space-to-depth", x, [c * factor * factor, h / factor, w / factor], factor);
  }

  #spatial(name: string, op: LayerOp, x: TensorId, outputShape: Shape, factor: number): TensorId {
    return this.#add({ name, op, outputShape, kernel: factor, ...NO_WEIGHTS }, [x]);
  }

  /** Channel concat; a single input is returned as is (no copy, no op). */
  concat(name: string, xs: TensorId[]): TensorId {
    const [first, ...rest] = xs;
    if (first === undefined) throw new Error(`cost graph: ${name} has no inputs`);
    if (rest.length === 0) return first;
    const [, h, w] = this.shape(first);
    let channels = 0;
    for (const t of xs) {
      const [c, th, tw] = this.shape(t);
      if (th !== h || tw !== w) throw new Error(`cost graph: ${name} joins tensors of different sizes`);
      channels += c;
    }
    return this.#add({ name, op: "concat", outputShape: [channels, h, w], ...NO_WEIGHTS }, xs);
  }

  /** skip + scale * branch (the scale is an elementwise multiply, not a conv MAC). */
  residualAdd(name: string, skip: TensorId, branch: TensorId): TensorId {
    const s = this.shape(skip);
    const b = this.shape(branch);
    if (s.join() !== b.join()) throw new Error(`cost graph: ${name} adds [${s.join()}] and [${b.join()}]`);
    return this.#add({ name, op: "residual-add", outputShape: s, ...NO_WEIGHTS }, [skip, branch]);
  }

  /** Totals and the liveness-based peak, with `output` as the network output. */
  report(output: TensorId): CostReport {
    const lastUse = new Map<TensorId, number>();
    this.#ops.forEach((op, i) => op.inputs.forEach((t) => lastUse.set(t, i)));
    lastUse.set(output, Number.POSITIVE_INFINITY);

    let live = bytesOf(this.shape(this.input));
    let peak = live;
    let params = 0;
    let constants = 0;
    let macs = 0;
    let traffic = 0;
    this.#ops.forEach((op, i) => {
      const { layer } = op;
      params += layer.params;
      constants += layer.constants;
      macs += layer.macs;
      traffic += layer.inputBytes + layer.weightBytes + layer.outputBytes;
      live += layer.outputBytes;
      peak = Math.max(peak, live);
      for (const t of new Set(op.inputs)) if (lastUse.get(t) === i) live -= bytesOf(this.shape(t));
      // An output nobody reads (never the case in our graphs) is freed at once.
      if (!lastUse.has(op.output)) live -= layer.outputBytes;
    });
    for (const [what, v] of Object.entries({ params, macs, traffic, peak })) {
      if (!Number.isSafeInteger(v)) {
        throw new MfnasError("unsupported", `cost model: ${what} exceeds 2^53, use a smaller input`, { [what]: v });
      }
    }
    return {
      params,
      constants,
      macs,
      peakActivationBytes: peak,
      memoryTrafficBytes: traffic,
      layers: this.#ops.map((op) => op.layer),
    };
  }
}
