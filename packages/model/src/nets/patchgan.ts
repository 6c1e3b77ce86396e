/**
 * PatchGAN discriminator after pix2pix's NLayerDiscriminator (70x70 receptive field with the defaults): `layers`
 * conv4x4 stride-2 layers whose width doubles from `baseWidth` up to `maxMultiplier` x `baseWidth`, one conv4x4
 * stride-1 layer, then a 1-channel conv4x4 stride-1 output of patch logits. Padding 1 everywhere, as pix2pix, so a
 * stride-2 layer halves the side (floor) and a stride-1 layer takes one pixel off.
 *
 * No normalisation at all, unlike pix2pix's BatchNorm: GAN training here runs with small batches, where batch
 * statistics are noise, and discriminator distillation matches the teacher's raw features, which batch statistics
 * would make depend on the rest of the batch. Biases on every conv make up for the missing norm's shift.
 *
 * Elastic width: the student discriminator is the first-k channel slice of a max-width one (`forward(..., {
 * baseWidth })` or `extract(baseWidth)`), like the generator supernet; layer n of a student with base width b has
 * min(2^n, maxMultiplier) * b channels.
 */
import { MfnasError, expectInteger } from "@mfnas/core";
import type { Tensor1D, Tensor4D, Tf } from "../tf.ts";
import { conv2d, leakyRelu, type ConvWeights } from "./layers.ts";
import { ParamStore } from "./params.ts";

export interface PatchGanOptions {
  /** Channels of the images judged. Default 3 (RGB). */
  inChannels?: number;
  /** Width of the first layer (pix2pix ndf) of the full-width discriminator. Default 64. */
  baseWidth?: number;
  /** Number of stride-2 conv layers (pix2pix n_layers). Default 3, the 70x70 PatchGAN. */
  layers?: number;
  /** Cap on the width multiplier of deeper layers. Default 8 (pix2pix: min(2^n, 8)). */
  maxMultiplier?: number;
  /** Seed of the weight initialisation. Default 0. */
  seed?: number;
  /** Standard deviation of the normal weight init. Default 0.02 (pix2pix's init_weights). */
  initStd?: number;
}

export interface PatchGanRunOptions {
  /** Base width of the channel slice to run (a student); at most the discriminator's. Default: its full width. */
  baseWidth?: number;
}

export interface DiscriminatorOutput {
  /** One logit per patch, [N, h, w, 1]. */
  logits: Tensor4D;
  /** The activation after each LeakyReLU, in depth order (`layers` + 1 tensors), for feature distillation. */
  features: Tensor4D[];
}

export type PatchGanConfig = Required<Omit<PatchGanOptions, "seed" | "initStd">>;

export class PatchGanDiscriminator {
  readonly config: PatchGanConfig;
  readonly params: ParamStore;
  readonly #tf: Tf;
  readonly #initStd: number;

  /** Builds the weights with `tf`; `extract` creates the student's variables with it too. */
  constructor(tf: Tf, options: PatchGanOptions = {}) {
    this.#tf = tf;
    this.config = {
      inChannels: expectInteger(options.inChannels ?? 3, "inChannels", 1, 64),
      baseWidth: expectInteger(options.baseWidth ?? 64, "baseWidth", 1, 1024),
      layers: expectInteger(options.layers ?? 3, "layers", 1, 8),
      maxMultiplier: expectInteger(options.maxMultiplier ?? 8, "maxMultiplier", 1, 64),
    };
    this.#initStd = options.initStd ?? 0.02;
    this.params = new ParamStore(tf, { seed: options.seed ?? 0 });
    const init = { kind: "normal", std: this.#initStd } as const;
    const widths = this.widths();
    try {
      widths.forEach((cout, n) =>
        this.params.conv(`conv${n}`, 4, n === 0 ? this.config.inChannels : (widths[n - 1] ?? 0), cout, init),
      );
      this.params.conv("conv_logits", 4, widths[widths.length - 1] ?? 0, 1, init);
    } catch (error) {
      this.params.dispose();
      throw error;
    }
  }

  /** Output channels of conv0..conv{layers} for a base width (default: the full one). */
  widths(baseWidth = this.config.baseWidth): number[] {
    const { layers, maxMultiplier } = this.config;
    return Array.from({ length: layers + 1 }, (_, n) => Math.min(2 ** n, maxMultiplier) * baseWidth);
  }

  /** Patch logits and per-layer features of `images` [N, H, W, inChannels]. Differentiable w.r.t. both. */
  forward(tf: Tf, images: Tensor4D, options: PatchGanRunOptions = {}): DiscriminatorOutput {
    const widths = this.widths(this.#checkWidth(options.baseWidth ?? this.config.baseWidth));
    this.#checkImages(images);
    return tf.tidy(() => {
      const features: Tensor4D[] = [];
      let x = images;
      widths.forEach((cout, n) => {
        const stride = n < this.config.layers ? 2 : 1;
        const cin = n === 0 ? this.config.inChannels : (widths[n - 1] ?? 0);
        x = leakyRelu(tf, conv2d(tf, x, this.#slice(tf, `conv${n}`, cin, cout), { stride, pad: 1 }));
        features.push(x);
      });
      const logits = conv2d(tf, x, this.#slice(tf, "conv_logits", widths[widths.length - 1] ?? 0, 1), { pad: 1 });
      // tidy keeps tensors returned in a plain object, so the features survive it.
      return { logits, features };
    });
  }

  /** A standalone discriminator of base width `baseWidth` holding copies of this one's first-k channel slices. */
  extract(baseWidth: number): PatchGanDiscriminator {
    const tf = this.#tf;
    const student = new PatchGanDiscriminator(tf, {
      ...this.config,
      baseWidth: this.#checkWidth(baseWidth),
      initStd: 0,
    });
    tf.tidy(() => {
      for (const [name, v] of student.params.entries()) {
        v.assign(tf.slice(this.params.get(name), new Array<number>(v.rank).fill(0), v.shape));
      }
    });
    return student;
  }

  /** Weights + biases of the slice with this base width (default: the full width). */
  paramCount(baseWidth = this.config.baseWidth): number {
    const widths = this.widths(this.#checkWidth(baseWidth));
    const ins = [this.config.inChannels, ...widths];
    const outs = [...widths, 1];
    return outs.reduce((sum, cout, n) => sum + 16 * (ins[n] ?? 0) * cout + cout, 0);
  }

  dispose(): void {
    this.params.dispose();
  }

  #slice(tf: Tf, name: string, cin: number, cout: number): ConvWeights {
    return {
      weight: tf.slice(this.params.get(`${name}.weight`) as Tensor4D, [0, 0, 0, 0], [4, 4, cin, cout]),
      bias: tf.slice(this.params.get(`${name}.bias`) as Tensor1D, [0], [cout]),
    };
  }

  #checkWidth(baseWidth: number): number {
    if (!Number.isInteger(baseWidth) || baseWidth < 1 || baseWidth > this.config.baseWidth) {
      throw new MfnasError(
        "invalid_input",
        `baseWidth: must be an integer in 1..${this.config.baseWidth} (the discriminator's width), got ${String(baseWidth)}`,
        { path: "baseWidth", value: baseWidth },
      );
    }
    return baseWidth;
  }

  #checkImages(images: Tensor4D): void {
    const { inChannels, layers } = this.config;
    if (images.rank !== 4 || images.shape[3] !== inChannels || images.dtype !== "float32") {
      throw new MfnasError(
        "invalid_input",
        `images: expected a float32 NHWC batch with ${inChannels} channels, got ${images.dtype} [${images.shape.join(", ")}]`,
        { path: "images" },
      );
    }
    // Each stride-2 layer floors the side by half, then the two stride-1 layers take off one pixel each.
    const side = (s: number) => Math.floor(s / 2 ** layers) - 2;
    if (side(images.shape[1]) < 1 || side(images.shape[2]) < 1) {
      throw new MfnasError(
        "invalid_input",
        `images: ${images.shape[1]}x${images.shape[2]} is too small for ${layers} stride-2 layers (needs sides >= ${3 * 2 ** layers})`,
        { path: "images" },
      );
    }
  }
}
