/**
 * The MFA generator of one genome (packages/core/README.md has the architecture and cost-model.ts the exact shapes),
 * as a standalone network: `SubGenerator`. Its output is MATLAB bicubic upsampling of the input plus the residual
 * the convs predict (the output skip, whose weights are constants: see @mfnas/core bicubic-skip.ts). Its forward pass is the same function the supernet runs
 * at a genome, fed with the supernet's weight slices instead of own variables, so the two cannot drift apart.
 *
 * Parameter names (BasicSR style, each with `.weight` HWIO and `.bias`), in execution order:
 * `conv_first`, per block i `body.{i}.{conv3|dil2|down2|down4}` then `body.{i}.fuse`, `conv_body`,
 * per upsampler stage s `upsample_nc.{s}` (nearest-conv) or `upsample_ps.{s}` (pixel-shuffle), `conv_hr`,
 * `conv_last`.
 */
import {
  BRANCH_DOWNSCALE,
  convLayerSpecs,
  upsamplerParamName,
  MfnasError,
  RESIDUAL_SCALE,
  checkInputSize,
  validateGenomeStructure,
  type BranchKind,
  type Genome,
} from "@mfnas/core";
import type { Tensor1D, Tensor4D, Tf } from "../tf.ts";
import {
  avgPoolDown,
  conv2d,
  conv2dLrelu,
  leakyRelu,
  pixelShuffle,
  upsampleBicubic,
  upsampleNearest,
  type ConvWeights,
} from "./layers.ts";
import { ParamStore, type ParamInit } from "./params.ts";

/** Looks up the weights of a conv layer by its name prefix. */
export type ConvSource = (name: string) => ConvWeights;

/**
 * Checks an LR batch for a genome: NHWC float32 with 3 channels, and sides that every pooled branch can divide
 * (a down4 branch on a 10-pixel side would silently lose a row and then fail to concat).
 */
export function checkLrBatch(lr: Tensor4D, genome: Genome): void {
  if (lr.rank !== 4 || lr.shape[3] !== 3 || lr.dtype !== "float32") {
    throw new MfnasError(
      "invalid_input",
      `lr: expected a float32 NHWC batch with 3 channels, got ${lr.dtype} [${lr.shape.join(", ")}]`,
      {
        path: "lr",
        shape: lr.shape,
      },
    );
  }
  try {
    checkInputSize(genome, lr.shape[1], lr.shape[2]);
  } catch (error) {
    if (!(error instanceof MfnasError)) throw error;
    throw new MfnasError("invalid_input", `lr: ${error.message}`, { ...error.details, tensor: "lr" }, { cause: error });
  }
}

function branchForward(tf: Tf, x: Tensor4D, kind: BranchKind, conv: ConvWeights): Tensor4D {
  const factor = BRANCH_DOWNSCALE[kind];
  const dilation = kind === "dil2" ? 2 : 1;
  const y = conv2dLrelu(tf, avgPoolDown(tf, x, factor), conv, { dilation });
  return upsampleNearest(tf, y, factor);
}

/**
 * The generator's forward pass for a (validated) genome, reading each conv's weights from `source`. When
 * `blockOutputs` is given, each MFA block's output (trunk features at LR resolution) is pushed onto it, for
 * feature distillation.
 */
export function mfaForward(
  tf: Tf,
  genome: Genome,
  lr: Tensor4D,
  source: ConvSource,
  blockOutputs?: Tensor4D[],
): Tensor4D {
  const f0 = conv2d(tf, lr, source("conv_first"));
  let x = f0;
  genome.blocks.forEach((block, i) => {
    const outs = block.branches.map((kind) => branchForward(tf, x, kind, source(`body.${i}.${kind}`)));
    const joined = outs.length === 1 ? (outs[0] as Tensor4D) : tf.concat(outs, 3);
    const fused = conv2d(tf, joined, source(`body.${i}.fuse`));
    x = tf.add(x, tf.mul(fused, RESIDUAL_SCALE));
    blockOutputs?.push(x);
  });
  let y: Tensor4D = tf.add(f0, conv2d(tf, x, source("conv_body")));
  for (let s = 0; s < Math.log2(genome.scale); s++) {
    const conv = source(upsamplerParamName(genome.upsampler, s));
    y =
      genome.upsampler === "nearest-conv"
        ? conv2dLrelu(tf, upsampleNearest(tf, y, 2), conv)
        : leakyRelu(tf, pixelShuffle(tf, conv2d(tf, y, conv), 2));
  }
  const hr = conv2dLrelu(tf, y, source("conv_hr"));
  const residual = conv2d(tf, hr, source("conv_last"));
  // The output skip, last (as the cost model orders it): the network predicts the residual over MATLAB bicubic.
  return tf.add(upsampleBicubic(tf, lr, genome.scale), residual);
}

/** The `ConvSource` over a parameter store's variables. */
function storeSource(params: ParamStore): ConvSource {
  return (name) => ({
    weight: params.get(`${name}.weight`) as unknown as Tensor4D,
    bias: params.get(`${name}.bias`) as unknown as Tensor1D,
  });
}

export interface SubGeneratorInit {
  /** Seed of the fresh weights. Default 0. */
  seed?: number;
  /**
   * Scale of the kaiming-normal init of the convs inside MFA blocks (their residual branches), as ESRGAN's
   * default_init_weights scales its dense blocks. Default 0.1. Convs on the main path (conv_first, conv_body,
   * upsamplers, conv_hr, conv_last) keep plain kaiming init, as in BasicSR: scaling them too shrinks the signal
   * through the whole network, and training then starts from a near-dead generator.
   */
  initScale?: number;
  /**
   * Scale of conv_last's kaiming-normal init. Default 0: conv_last starts at zero, so an untrained generator outputs
   * exactly the MATLAB bicubic upsampling of its input (the output skip) and training learns the residual over it. With
   * a random residual instead (1), training first has to cancel that noise: on the trainer's acceptance run the
   * largest SubGenerator ended 0.5 dB lower after 400 steps.
   */
  outputInitScale?: number;
}

/**
 * The init of one conv of a generator: `initScale`-scaled inside MFA blocks, `outputInitScale`-scaled for conv_last,
 * plain kaiming elsewhere.
 */
export function generatorConvInit(name: string, options: SubGeneratorInit = {}): ParamInit {
  if (name === "conv_last") {
    const scale = options.outputInitScale ?? 0;
    return scale === 0 ? { kind: "zeros" } : { kind: "kaiming-normal", scale };
  }
  return { kind: "kaiming-normal", scale: name.startsWith("body.") ? (options.initScale ?? 0.1) : 1 };
}

/** A standalone MFA generator for one genome, with its own weights. */
export class SubGenerator {
  readonly genome: Genome;
  readonly params: ParamStore;

  /**
   * Wraps existing parameters (extracted from a supernet, or loaded); checks that `params` holds exactly the
   * genome's layers with the right shapes, and takes ownership of them.
   */
  constructor(genome: Genome, params: ParamStore) {
    this.genome = validateGenomeStructure(genome);
    const expected = new Map<string, number[]>();
    for (const s of convLayerSpecs(this.genome)) {
      expected.set(`${s.name}.weight`, [s.kernel, s.kernel, s.cin, s.cout]);
      expected.set(`${s.name}.bias`, [s.cout]);
    }
    for (const [name, v] of params.entries()) {
      const shape = expected.get(name);
      if (shape === undefined)
        throw new MfnasError("invalid_input", `${name}: not a parameter of this genome`, { path: name });
      if (shape.join(",") !== v.shape.join(",")) {
        throw new MfnasError(
          "invalid_input",
          `${name}: expected shape [${shape.join(", ")}], got [${v.shape.join(", ")}]`,
          {
            path: name,
          },
        );
      }
    }
    const missing = [...expected.keys()].filter((name) => !params.has(name));
    if (missing.length > 0) throw new MfnasError("invalid_input", `${missing[0]}: missing parameter`, { missing });
    this.params = params;
  }

  /** A SubGenerator with fresh seeded weights (to train a found architecture from scratch). */
  static create(tf: Tf, genome: Genome, options: SubGeneratorInit = {}): SubGenerator {
    const g = validateGenomeStructure(genome);
    const params = new ParamStore(tf, { seed: options.seed ?? 0 });
    for (const s of convLayerSpecs(g)) {
      params.conv(s.name, s.kernel, s.cin, s.cout, generatorConvInit(s.name, options));
    }
    return new SubGenerator(g, params);
  }

  /** SR output [N, scale*H, scale*W, 3] for an LR batch [N, H, W, 3]. */
  forward(tf: Tf, lr: Tensor4D): Tensor4D {
    checkLrBatch(lr, this.genome);
    return tf.tidy(() => mfaForward(tf, this.genome, lr, storeSource(this.params)));
  }

  /** Weights + biases; equals `genomeCost(genome, H, W).params`. */
  paramCount(): number {
    return this.params.count();
  }

  dispose(): void {
    this.params.dispose();
  }
}
