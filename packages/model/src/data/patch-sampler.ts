/**
 * The training sampler: random HR patches with their aligned LR patches, random flips and 90-degree rotations
 * (BasicSR's paired_random_crop + augment), batched as NHWC float32.
 *
 * LR patches are cut from the LR of the whole image rather than made from each HR patch: that is how paired datasets
 * (DIV2K's LR files) are used, it avoids mirrored-border artefacts at every patch edge, and the cached LR is reused.
 *
 * Seeded and resumable: all randomness of a batch is drawn synchronously when `next()` is called, so `state()` is
 * exact at any time and a sampler rebuilt from it yields the same batches as the original would have.
 */
import { MfnasError, Rng, createRng } from "@mfnas/core";
import type { RngState } from "@mfnas/core";
import type { Tensor4D } from "@tensorflow/tfjs-core";
import type { Tf } from "../tf.ts";
import type { RgbImage } from "./image-io.ts";
import type { SrDataset, SrPair } from "./dataset.ts";
import type { TargetPlane, TeacherTargets } from "./teacher-targets.ts";

/** Options of `createPatchSampler`. */
export interface PatchSamplerOptions {
  /** HR patch side in pixels, a multiple of the dataset scale (the LR patch is patchSize / scale). Required. */
  patchSize: number;
  /** Patches per batch. Default 16. */
  batchSize?: number;
  /** Seed of image order, crop positions and augmentations (32-bit integer). Default 0. */
  seed?: number;
  /** Random horizontal and vertical flips. Default true. */
  flips?: boolean;
  /** Random 90-degree rotations (a transpose; with the flips it reaches all 8 orientations). Default true. */
  rotations?: boolean;
  /** Continue from a `state()` snapshot instead of starting from `seed`. Default: start fresh. */
  resumeFrom?: PatchSamplerState;
  /**
   * The frozen teacher's outputs on each image (by dataset index, see `computeTeacherTargets`): when given, every
   * patch also carries the teacher's SR output and block outputs over the same window, flipped and transposed as the
   * patch is (the teacher is treated as equivariant to those augmentations, as it was trained with them). Not part
   * of the state: the same function must be given on resume. Default: none.
   */
  targets?: (index: number) => TeacherTargets | Promise<TeacherTargets>;
}

/** Everything needed to continue a sampler; JSON-serialisable for checkpoints. */
export interface PatchSamplerState {
  /** Generator that shuffled the current epoch's image order. */
  readonly order: RngState;
  /** Generator for crops, augmentations and the next epoch's shuffle. */
  readonly rng: RngState;
  readonly epoch: number;
  /** Position within the current epoch's order (0..datasetSize; at datasetSize the next draw starts a new epoch). */
  readonly cursor: number;
  /** Images in the dataset; resuming on a dataset of another size is refused. */
  readonly datasetSize: number;
}

/** A batch as plain arrays: `hr` is [size, hrPatch, hrPatch, 3], `lr` is [size, lrPatch, lrPatch, 3]. */
export interface PatchBatch {
  readonly size: number;
  readonly hrPatch: number;
  readonly lrPatch: number;
  readonly hr: Float32Array;
  readonly lr: Float32Array;
  /** Dataset entry name of each patch, in batch order. */
  readonly names: readonly string[];
  /** With `targets`: the teacher's SR patches [size, hrPatch, hrPatch, 3] and block patches [size, lrPatch, lrPatch, C]. */
  readonly teacher?: {
    readonly sr: Float32Array;
    readonly blocks: ReadonlyMap<number, { readonly channels: number; readonly data: Float32Array }>;
  };
}

interface PatchPlan {
  index: number;
  v: number;
  u: number;
  hflip: boolean;
  vflip: boolean;
  transpose: boolean;
}

export interface PatchSampler {
  next(): Promise<PatchBatch>;
  state(): PatchSamplerState;
}

export function createPatchSampler(dataset: SrDataset, options: PatchSamplerOptions): PatchSampler {
  const { scale } = dataset;
  const { patchSize } = options;
  const batchSize = options.batchSize ?? 16;
  const flips = options.flips ?? true;
  const rotations = options.rotations ?? true;
  const n = dataset.entries.length;
  if (!Number.isInteger(patchSize) || patchSize < scale || patchSize % scale !== 0) {
    throw new MfnasError(
      "invalid_input",
      `patchSize: must be a positive multiple of the scale ${scale}, got ${patchSize}`,
      {
        path: "patchSize",
      },
    );
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new MfnasError("invalid_input", `batchSize: must be a positive integer, got ${batchSize}`, {
      path: "batchSize",
    });
  }
  const lrPatch = patchSize / scale;

  let rng: Rng;
  let orderState: RngState;
  let epoch: number;
  let cursor: number;
  const resume = options.resumeFrom;
  if (resume) {
    if (
      resume.datasetSize !== n ||
      !(Number.isInteger(resume.cursor) && resume.cursor >= 0 && resume.cursor <= n) ||
      !(resume.epoch >= 0)
    ) {
      throw new MfnasError(
        "invalid_input",
        `resumeFrom: state for ${resume.datasetSize} images at cursor ${resume.cursor} does not fit a dataset of ${n}`,
        { path: "resumeFrom" },
      );
    }
    rng = Rng.fromState(resume.rng);
    orderState = Rng.fromState(resume.order).state();
    ({ epoch, cursor } = resume);
  } else {
    rng = createRng(options.seed ?? 0);
    orderState = Rng.fromSeed(rng.nextUint32()).state();
    epoch = 0;
    cursor = 0;
  }
  const indices = Array.from({ length: n }, (_, i) => i);
  let order = Rng.fromState(orderState).shuffle(indices);

  const plan = (): PatchPlan => {
    if (cursor === n) {
      orderState = Rng.fromSeed(rng.nextUint32()).state();
      order = Rng.fromState(orderState).shuffle(indices);
      epoch += 1;
      cursor = 0;
    }
    const index = order[cursor++] ?? 0;
    // Every draw happens whatever the options, so the stream (and resumption) does not depend on them.
    const v = rng.nextFloat();
    const u = rng.nextFloat();
    const hflip = rng.bernoulli(0.5) && flips;
    const vflip = rng.bernoulli(0.5) && flips;
    const transpose = rng.bernoulli(0.5) && rotations;
    return { index, v, u, hflip, vflip, transpose };
  };

  return {
    state: () => ({ order: orderState, rng: rng.state(), epoch, cursor, datasetSize: n }),
    async next(): Promise<PatchBatch> {
      const plans = Array.from({ length: batchSize }, plan);
      const pairs = await Promise.all(plans.map((p) => dataset.load(p.index)));
      const targets = options.targets;
      const teacher = targets ? await Promise.all(plans.map((p) => Promise.resolve(targets(p.index)))) : undefined;
      const hr = new Float32Array(batchSize * patchSize * patchSize * 3);
      const lr = new Float32Array(batchSize * lrPatch * lrPatch * 3);
      const first = teacher?.[0];
      const teacherSr = first ? new Float32Array(hr.length) : undefined;
      const teacherBlocks = new Map(
        [...(first?.blocks ?? [])].map(([b, p]) => [
          b,
          { channels: p.channels, data: new Float32Array(batchSize * lrPatch * lrPatch * p.channels) },
        ]),
      );
      plans.forEach((p, i) => {
        const pair = pairs[i] as SrPair;
        const { lr: lrImage } = pair;
        if (lrImage.height < lrPatch || lrImage.width < lrPatch) {
          throw new MfnasError(
            "invalid_input",
            `${pair.name}: HR ${pair.hr.height}x${pair.hr.width} is smaller than the ${patchSize}x${patchSize} patch`,
            { name: pair.name, patchSize },
          );
        }
        const top = Math.floor(p.v * (lrImage.height - lrPatch + 1));
        const left = Math.floor(p.u * (lrImage.width - lrPatch + 1));
        cutPatch(rgb(pair.hr), top * scale, left * scale, patchSize, p, hr, i * patchSize * patchSize * 3);
        cutPatch(rgb(lrImage), top, left, lrPatch, p, lr, i * lrPatch * lrPatch * 3);
        const t = teacher?.[i];
        if (t && teacherSr) {
          if (t.sr.height !== pair.hr.height || t.sr.width !== pair.hr.width) {
            throw new MfnasError(
              "invalid_input",
              `${pair.name}: teacher output ${t.sr.height}x${t.sr.width} does not match HR ${pair.hr.height}x${pair.hr.width}`,
              { name: pair.name },
            );
          }
          cutPatch(t.sr, top * scale, left * scale, patchSize, p, teacherSr, i * patchSize * patchSize * 3);
          for (const [b, out] of teacherBlocks) {
            const block = t.blocks.get(b);
            if (!block) throw new MfnasError("invalid_input", `${pair.name}: no teacher block ${b} among the targets`);
            cutPatch(block, top, left, lrPatch, p, out.data, i * lrPatch * lrPatch * out.channels);
          }
        }
      });
      return {
        size: batchSize,
        hrPatch: patchSize,
        lrPatch,
        hr,
        lr,
        names: pairs.map((pair) => pair.name),
        ...(teacherSr ? { teacher: { sr: teacherSr, blocks: teacherBlocks } } : {}),
      };
    },
  };
}

function rgb(image: RgbImage): TargetPlane {
  return { ...image, channels: 3 };
}

/**
 * Copies the size x size window at (top, left) into `out` at `offset`, flipped and transposed as planned, in
 * BasicSR's order (horizontal flip, vertical flip, then transpose).
 */
function cutPatch(
  image: TargetPlane,
  top: number,
  left: number,
  size: number,
  plan: Pick<PatchPlan, "hflip" | "vflip" | "transpose">,
  out: Float32Array,
  offset: number,
): void {
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Output (y, x) of the transposed patch is (x, y) of the flipped one.
      const fy = plan.transpose ? x : y;
      const fx = plan.transpose ? y : x;
      const sy = top + (plan.vflip ? size - 1 - fy : fy);
      const sx = left + (plan.hflip ? size - 1 - fx : fx);
      const c = image.channels;
      const from = (sy * image.width + sx) * c;
      const to = offset + (y * size + x) * c;
      if (c === 3) {
        out[to] = image.data[from] ?? 0;
        out[to + 1] = image.data[from + 1] ?? 0;
        out[to + 2] = image.data[from + 2] ?? 0;
      } else {
        out.set(image.data.subarray(from, from + c), to);
      }
    }
  }
}

/** A batch's tensors; `teacher` is there when the batch carries teacher targets. */
export interface BatchTensors {
  readonly hr: Tensor4D;
  readonly lr: Tensor4D;
  readonly teacher?: { readonly sr: Tensor4D; readonly blocks: ReadonlyMap<number, Tensor4D> };
}

/** A batch as NHWC tensors, created with the caller's `tf` (whatever backend it runs). The caller disposes them. */
export function batchToTensors(tf: Tf, batch: PatchBatch): BatchTensors {
  const { size, hrPatch, lrPatch, teacher } = batch;
  return {
    hr: tf.tensor4d(batch.hr, [size, hrPatch, hrPatch, 3], "float32"),
    lr: tf.tensor4d(batch.lr, [size, lrPatch, lrPatch, 3], "float32"),
    ...(teacher
      ? {
          teacher: {
            sr: tf.tensor4d(teacher.sr, [size, hrPatch, hrPatch, 3], "float32"),
            blocks: new Map(
              [...teacher.blocks].map(([b, p]) => [
                b,
                tf.tensor4d(p.data, [size, lrPatch, lrPatch, p.channels], "float32"),
              ]),
            ),
          },
        }
      : {}),
  };
}

/** Every tensor of a batch, for disposal. */
export function batchTensorList(tensors: BatchTensors): Tensor4D[] {
  return [tensors.hr, tensors.lr, ...(tensors.teacher ? [tensors.teacher.sr, ...tensors.teacher.blocks.values()] : [])];
}

/** One whole pair as batch-of-one NHWC tensors, for validation on full images. The caller disposes them. */
export function pairToTensors(tf: Tf, pair: SrPair): { hr: Tensor4D; lr: Tensor4D } {
  return {
    hr: tf.tensor4d(pair.hr.data, [1, pair.hr.height, pair.hr.width, 3], "float32"),
    lr: tf.tensor4d(pair.lr.data, [1, pair.lr.height, pair.lr.width, 3], "float32"),
  };
}
