/**
 * The ESRGAN teacher: BasicSR's RRDBNet (basicsr/archs/rrdbnet_arch.py) in NHWC, with BasicSR's parameter names so a
 * PyTorch checkpoint (e.g. RRDB_ESRGAN_x4) loads name for name through `loadWeights`. The structure is the one
 * `esrganCost` (packages/core/src/space/esrgan-cost.ts) counts; for scale 2, as in BasicSR, the input is first
 * pixel-unshuffled by 2 (conv_first takes 12 channels, the body runs at half resolution) and both x2 upsampling
 * stages still run, so the output is 2x the input.
 */
import { MfnasError, RESIDUAL_SCALE, expectInteger } from "@mfnas/core";
import type { Tensor1D, Tensor4D, Tf } from "../tf.ts";
import { conv2d, conv2dLrelu, pixelUnshuffle, upsampleNearest, type ConvWeights } from "./layers.ts";
import { ParamStore } from "./params.ts";

export interface RrdbNetOptions {
  /** Number of RRDB blocks (BasicSR num_block). Default 23. */
  blocks?: number;
  /** Feature channels (num_feat). Default 64. */
  channels?: number;
  /** Dense growth channels (num_grow_ch). Default 32. */
  growth?: number;
  /** Upscale factor. Default 4. */
  scale?: 2 | 4;
  /** Seed of the weight initialisation. Default 0. */
  seed?: number;
  /**
   * Scale of the kaiming-normal init of every conv. Default 0.1 (BasicSR applies it to the dense blocks only and
   * leaves the other convs at PyTorch's default; the teacher is loaded from a checkpoint, so this only matters for
   * tests and for training a teacher from scratch).
   */
  initScale?: number;
}

/** The resolved architecture of an RRDBNet. */
export interface RrdbNetConfig {
  readonly blocks: number;
  readonly channels: number;
  readonly growth: number;
  readonly scale: 2 | 4;
}

export class RrdbNet {
  readonly config: RrdbNetConfig;
  readonly params: ParamStore;

  constructor(tf: Tf, options: RrdbNetOptions = {}) {
    const scale = options.scale ?? 4;
    if (scale !== 2 && scale !== 4) {
      throw new MfnasError("invalid_input", `scale: must be 2 or 4, got ${String(scale)}`, { path: "scale" });
    }
    this.config = {
      blocks: expectInteger(options.blocks ?? 23, "blocks", 1, 256),
      channels: expectInteger(options.channels ?? 64, "channels", 1, 4096),
      growth: expectInteger(options.growth ?? 32, "growth", 1, 4096),
      scale,
    };
    const { blocks, channels: nf, growth: gc } = this.config;
    const init = { kind: "kaiming-normal", scale: options.initScale ?? 0.1 } as const;
    const p = new ParamStore(tf, { seed: options.seed ?? 0 });
    try {
      p.conv("conv_first", 3, scale === 2 ? 12 : 3, nf, init);
      for (let b = 0; b < blocks; b++) {
        for (let r = 1; r <= 3; r++) {
          for (let k = 1; k <= 4; k++) p.conv(`body.${b}.rdb${r}.conv${k}`, 3, nf + (k - 1) * gc, gc, init);
          p.conv(`body.${b}.rdb${r}.conv5`, 3, nf + 4 * gc, nf, init);
        }
      }
      for (const name of ["conv_body", "conv_up1", "conv_up2", "conv_hr"]) p.conv(name, 3, nf, nf, init);
      p.conv("conv_last", 3, nf, 3, init);
    } catch (error) {
      p.dispose();
      throw error;
    }
    this.params = p;
  }

  /** SR output [N, scale*H, scale*W, 3] for an LR batch [N, H, W, 3] (even sides for scale 2). */
  forward(tf: Tf, lr: Tensor4D): Tensor4D {
    return this.#run(tf, lr, []).sr;
  }

  /**
   * `forward` that also returns the outputs of the RRDB blocks listed in `blocks` (0-based; default all), in that
   * order, for feature distillation. They are at LR resolution for x4 and at LR / 2 for x2 (pixel-unshuffled input).
   */
  forwardWithFeatures(tf: Tf, lr: Tensor4D, blocks?: readonly number[]): { sr: Tensor4D; blocks: Tensor4D[] } {
    const wanted = blocks ?? Array.from({ length: this.config.blocks }, (_, i) => i);
    for (const b of wanted) expectInteger(b + 1, "blocks", 1, this.config.blocks);
    return this.#run(tf, lr, wanted);
  }

  #run(tf: Tf, lr: Tensor4D, wanted: readonly number[]): { sr: Tensor4D; blocks: Tensor4D[] } {
    if (lr.rank !== 4 || lr.shape[3] !== 3 || lr.dtype !== "float32") {
      throw new MfnasError(
        "invalid_input",
        `lr: expected a float32 NHWC batch with 3 channels, got ${lr.dtype} [${lr.shape.join(", ")}]`,
        { path: "lr" },
      );
    }
    if (this.config.scale === 2 && (lr.shape[1] % 2 !== 0 || lr.shape[2] % 2 !== 0)) {
      throw new MfnasError(
        "invalid_input",
        `lr: scale 2 pixel-unshuffles the input, so ${lr.shape[1]}x${lr.shape[2]} must have even sides`,
        {
          path: "lr",
        },
      );
    }
    const w = (name: string): ConvWeights => ({
      weight: this.params.get(`${name}.weight`) as Tensor4D,
      bias: this.params.get(`${name}.bias`) as Tensor1D,
    });
    return tf.tidy(() => {
      const input = this.config.scale === 2 ? pixelUnshuffle(tf, lr, 2) : lr;
      const feat = conv2d(tf, input, w("conv_first"));
      let body = feat;
      const outputs = new Map<number, Tensor4D>();
      for (let b = 0; b < this.config.blocks; b++) {
        // One tidy per block frees its dense features as soon as the block is done (23 blocks x 15 tensors).
        const x = body;
        body = tf.tidy(() => {
          let y = x;
          for (let r = 1; r <= 3; r++) y = residualDenseBlock(tf, y, (k) => w(`body.${b}.rdb${r}.conv${k}`));
          return tf.add(x, tf.mul(y, RESIDUAL_SCALE));
        });
        if (wanted.includes(b)) outputs.set(b, body);
      }
      let y: Tensor4D = tf.add(feat, conv2d(tf, body, w("conv_body")));
      y = conv2dLrelu(tf, upsampleNearest(tf, y, 2), w("conv_up1"));
      y = conv2dLrelu(tf, upsampleNearest(tf, y, 2), w("conv_up2"));
      const sr = conv2d(tf, conv2dLrelu(tf, y, w("conv_hr")), w("conv_last"));
      // tidy keeps tensors returned in a plain object, so the block outputs survive it.
      return { sr, blocks: wanted.map((b) => outputs.get(b) as Tensor4D) };
    });
  }

  /** Weights + biases; equals `esrganCost(H, W, config).params`. */
  paramCount(): number {
    return this.params.count();
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** BasicSR's ResidualDenseBlock: four densely connected conv+LReLU, a fusing conv5, out = x + 0.2 * x5. */
function residualDenseBlock(tf: Tf, x: Tensor4D, conv: (k: number) => ConvWeights): Tensor4D {
  const features: Tensor4D[] = [x];
  for (let k = 1; k <= 4; k++) features.push(conv2dLrelu(tf, tf.concat(features, 3), conv(k)));
  const x5 = conv2d(tf, tf.concat(features, 3), conv(5));
  return tf.add(x, tf.mul(x5, RESIDUAL_SCALE));
}
