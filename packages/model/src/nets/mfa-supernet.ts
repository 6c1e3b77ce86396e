/**
 * The weight-sharing MFA supernet: one set of weights that contains every SubGenerator of a search space.
 * A SubGenerator uses the first C trunk channels, the first W channels of each of its branches, the first n blocks
 * and, for the 1x1 fusion, the rows of its branches' first W channels. Running the supernet at a genome slices the
 * variables and convolves with the slices, so it is differentiable (training updates only the slices used).
 *
 * Layout (Cmax, Wmax = `supernetWidths(space)`, K = number of branch kinds in the space, D = space.depth.max):
 * - `conv_first` 3 -> Cmax; `conv_body`, `conv_hr` Cmax -> Cmax; `conv_last` Cmax -> 3.
 * - `body.{i}.{kind}` Cmax -> Wmax for i < D and every kind of the space.
 * - `body.{i}.fuse` 1x1, K*Wmax -> Cmax; its input rows are laid out per kind in canonical order,
 *   [kind0: Wmax rows | kind1: Wmax rows | ...], so a branch keeps its fusion rows whatever the other branches are.
 * - `upsample_nc.{s}` Cmax -> Cmax and/or `upsample_ps.{s}` Cmax -> 4*Cmax, for the stages of the largest scale in
 *   the space: x2 genomes share stage 0 with x4 ones (a stage is the same x2 step at the same feature width).
 *   Pixel-shuffle output channels are in PyTorch order (c*4 + sub-pixel), so the first 4C are the first C shuffled
 *   channels.
 */
import {
  MfnasError,
  parseSearchSpace,
  convLayerSpecs,
  supernetWidths,
  upsamplerChannels,
  upsamplerParamName,
  validateGenome,
  type ConvLayerSpec,
  type Genome,
  type SearchSpace,
} from "@mfnas/core";
import type { Tensor1D, Tensor4D, Tf } from "../tf.ts";
import { SubGenerator, checkLrBatch, generatorConvInit, mfaForward, type ConvSource } from "./mfa-generator.ts";
import { ParamStore } from "./params.ts";

export interface MfaSupernetOptions {
  /** Seed of the weight initialisation. Default 0. */
  seed?: number;
  /** Scale of the kaiming-normal init of the convs inside MFA blocks (see SubGeneratorInit). Default 0.1. */
  initScale?: number;
  /** Scale of conv_last's init (see SubGeneratorInit). Default 0: the untrained supernet is bicubic. */
  outputInitScale?: number;
}

const FUSE_NAME = /^body\.(\d+)\.fuse$/;

export class MfaSupernet {
  readonly space: SearchSpace;
  readonly params: ParamStore;
  /** Widest trunk (Cmax) and branch (Wmax) widths of the space. */
  readonly widths: { readonly trunk: number; readonly branch: number };
  readonly #tf: Tf;

  /** Builds the supernet's weights with `tf`; `extract` creates the SubGenerators' variables with it too. */
  constructor(tf: Tf, space: SearchSpace, options: MfaSupernetOptions = {}) {
    this.#tf = tf;
    // Parsed again: a hand-built space could hold duplicate kinds or widths that break the weight layout.
    this.space = parseSearchSpace(space);
    this.widths = supernetWidths(this.space);
    this.params = new ParamStore(tf, { seed: options.seed ?? 0 });
    try {
      for (const s of supernetConvSpecs(this.space)) {
        this.params.conv(s.name, s.kernel, s.cin, s.cout, generatorConvInit(s.name, options));
      }
    } catch (error) {
      this.params.dispose();
      throw error;
    }
  }

  /** Validates a genome against the supernet's space (an `invalid_input` error naming the gene otherwise). */
  checkGenome(value: unknown): Genome {
    return validateGenome(value, this.space);
  }

  /** SR output of the SubGenerator `genome` using the shared weights; differentiable w.r.t. `params`. */
  forward(tf: Tf, genome: Genome, lr: Tensor4D): Tensor4D {
    const g = this.checkGenome(genome);
    checkLrBatch(lr, g);
    return tf.tidy(() => mfaForward(tf, g, lr, this.#slicer(tf, g)));
  }

  /**
   * `forward` that also returns each MFA block's output ([N, H, W, trunkWidth], LR resolution), for feature
   * distillation; all differentiable w.r.t. `params`.
   */
  forwardWithFeatures(tf: Tf, genome: Genome, lr: Tensor4D): { sr: Tensor4D; blocks: Tensor4D[] } {
    const g = this.checkGenome(genome);
    checkLrBatch(lr, g);
    return tf.tidy(() => {
      const blocks: Tensor4D[] = [];
      const sr = mfaForward(tf, g, lr, this.#slicer(tf, g), blocks);
      return { sr, blocks };
    });
  }

  /** A standalone SubGenerator holding copies of the genome's weight slices; its output equals `forward`'s. */
  extract(genome: Genome): SubGenerator {
    const tf = this.#tf;
    const g = this.checkGenome(genome);
    const params = new ParamStore(tf, { seed: this.params.seed });
    try {
      tf.tidy(() => {
        const slice = this.#slicer(tf, g);
        for (const s of convLayerSpecs(g)) {
          const { weight, bias } = slice(s.name);
          params.adopt(`${s.name}.weight`, weight);
          params.adopt(`${s.name}.bias`, bias);
        }
      });
      return new SubGenerator(g, params);
    } catch (error) {
      params.dispose();
      throw error;
    }
  }

  dispose(): void {
    this.params.dispose();
  }

  /** The weights of each layer at genome `g`: first-k slices, or the branch-wise row gather of a fusion conv. */
  #slicer(tf: Tf, g: Genome): ConvSource {
    const specs = new Map(convLayerSpecs(g).map((s) => [s.name, s]));
    return (name) => {
      const spec = specs.get(name);
      if (spec === undefined)
        throw new MfnasError("invalid_input", `${name}: not a layer of this genome`, { path: name });
      const weight = this.params.get(`${name}.weight`) as Tensor4D;
      const bias = tf.slice(this.params.get(`${name}.bias`) as Tensor1D, [0], [spec.cout]);
      const fuse = FUSE_NAME.exec(name);
      const block = fuse === null ? undefined : g.blocks[Number(fuse[1])];
      if (block === undefined) {
        return { weight: tf.slice(weight, [0, 0, 0, 0], [spec.kernel, spec.kernel, spec.cin, spec.cout]), bias };
      }
      const rows = block.branches.map((kind) => {
        const offset = this.space.branchKinds.indexOf(kind) * this.widths.branch;
        return tf.slice(weight, [0, 0, offset, 0], [1, 1, block.branchWidth, spec.cout]);
      });
      return { weight: rows.length === 1 ? (rows[0] as Tensor4D) : tf.concat(rows, 2), bias };
    };
  }
}

/** The supernet's conv layers (see the file comment), in the order the store creates them. */
export function supernetConvSpecs(space: SearchSpace): ConvLayerSpec[] {
  const { trunk: c, branch: w } = supernetWidths(space);
  const specs: ConvLayerSpec[] = [{ name: "conv_first", kernel: 3, cin: 3, cout: c }];
  for (let i = 0; i < space.depth.max; i++) {
    for (const kind of space.branchKinds) specs.push({ name: `body.${i}.${kind}`, kernel: 3, cin: c, cout: w });
    specs.push({ name: `body.${i}.fuse`, kernel: 1, cin: space.branchKinds.length * w, cout: c });
  }
  specs.push({ name: "conv_body", kernel: 3, cin: c, cout: c });
  const stages = Math.log2(Math.max(...space.scales));
  for (let s = 0; s < stages; s++) {
    for (const kind of space.upsamplers) {
      specs.push({ name: upsamplerParamName(kind, s), kernel: 3, cin: c, cout: upsamplerChannels(kind, c) });
    }
  }
  specs.push({ name: "conv_hr", kernel: 3, cin: c, cout: c });
  specs.push({ name: "conv_last", kernel: 3, cin: c, cout: 3 });
  return specs;
}
