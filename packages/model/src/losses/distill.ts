/**
 * Distillation losses of the supernet (after MFAGAN): the student SR output against the teacher's, intermediate
 * trunk features against the teacher's RRDB block outputs through learnable 1x1 adapters, and the student
 * discriminator against the teacher discriminator.
 */
import { MfnasError } from "@mfnas/core";
import type { DiscriminatorOutput } from "../nets/patchgan.ts";
import { ParamStore } from "../nets/params.ts";
import type { Scalar, Tensor4D, Tf } from "../tf.ts";
import { l1Loss, mseLoss } from "./pixel.ts";

/** L1 between the student's and the teacher's SR output (the teacher's is a constant). */
export function outputDistillLoss(tf: Tf, studentSr: Tensor4D, teacherSr: Tensor4D): Scalar {
  return l1Loss(tf, studentSr, teacherSr);
}

/**
 * Teacher block matched to each student block for a student of `studentDepth` blocks and a teacher of
 * `teacherBlocks`: evenly spaced, ending at the last block of each (student block i <-> teacher block
 * round((i + 1) * T / n) - 1).
 */
export function distillationPairs(studentDepth: number, teacherBlocks: number): number[] {
  return Array.from({ length: studentDepth }, (_, i) =>
    Math.max(0, Math.round(((i + 1) * teacherBlocks) / studentDepth) - 1),
  );
}

export interface FeatureAdaptersOptions {
  /** Seed of the initial weights. Default 0. */
  seed?: number;
}

/**
 * Learnable 1x1 convs `adapter.{i}` (student trunk width -> teacher channels), one per supernet block. Elastic like
 * the supernet: a student of trunk width C uses the first C input rows of its block's adapter.
 */
export class FeatureAdapters {
  readonly params: ParamStore;

  constructor(
    tf: Tf,
    readonly blocks: number,
    readonly maxStudentWidth: number,
    readonly teacherChannels: number,
    options: FeatureAdaptersOptions = {},
  ) {
    this.params = new ParamStore(tf, { seed: options.seed ?? 0 });
    // Scale 1: an adapter starts as a random projection, not near zero, so distillation drives the trunk at once.
    for (let i = 0; i < blocks; i++) {
      this.params.conv(`adapter.${i}`, 1, maxStudentWidth, teacherChannels, { kind: "kaiming-normal", scale: 1 });
    }
  }

  /** Projects the student block `i`'s features [N, H, W, C] (C <= maxStudentWidth) to the teacher's channels. */
  project(tf: Tf, i: number, features: Tensor4D): Tensor4D {
    const c = features.shape[3];
    if (i < 0 || i >= this.blocks || c > this.maxStudentWidth) {
      throw new MfnasError("invalid_input", `adapter.${i}: no adapter for block ${i} with ${c} channels`, {
        path: `adapter.${i}`,
      });
    }
    const weight = tf.slice(this.params.get(`adapter.${i}.weight`) as Tensor4D, [0, 0, 0, 0], [1, 1, c, -1]);
    return tf.add(tf.conv2d(features, weight, 1, "same"), this.params.get(`adapter.${i}.bias`));
  }

  dispose(): void {
    this.params.dispose();
  }
}

/**
 * Mean over the student's blocks of the MSE between each adapted student block output and its teacher block
 * (`teacherBlocks[i]` is the teacher feature paired with student block i, see `distillationPairs`). Where the
 * teacher runs at a lower resolution (x2 RRDBNet pixel-unshuffles its input), the adapted student features are
 * average-pooled down to it.
 */
export function featureDistillLoss(
  tf: Tf,
  adapters: FeatureAdapters,
  studentBlocks: readonly Tensor4D[],
  teacherBlocks: readonly Tensor4D[],
): Scalar {
  if (studentBlocks.length === 0 || studentBlocks.length !== teacherBlocks.length) {
    throw new MfnasError(
      "invalid_input",
      `featureDistillLoss: ${studentBlocks.length} student and ${teacherBlocks.length} teacher features`,
    );
  }
  const terms = studentBlocks.map((s, i) => {
    const t = teacherBlocks[i] as Tensor4D;
    let adapted = adapters.project(tf, i, s);
    const factor = adapted.shape[1] / t.shape[1];
    if (factor !== 1) adapted = tf.avgPool(adapted, factor, factor, "valid");
    return mseLoss(tf, adapted, t);
  });
  return tf.div(tf.addN(terms), terms.length);
}

/**
 * Student discriminator vs teacher discriminator on the same images: L1 between their patch logits plus the mean
 * MSE between each student layer's features and the first channels of the teacher's (the student is a first-k
 * slice of the teacher's layout, so its channel c corresponds to the teacher's channel c).
 */
export function discriminatorDistillLoss(tf: Tf, student: DiscriminatorOutput, teacher: DiscriminatorOutput): Scalar {
  if (student.features.length !== teacher.features.length) {
    throw new MfnasError(
      "invalid_input",
      `discriminatorDistillLoss: student has ${student.features.length} layers, teacher ${teacher.features.length}`,
    );
  }
  const features = student.features.map((s, n) => {
    const t = teacher.features[n] as Tensor4D;
    return mseLoss(tf, s, tf.slice(t, [0, 0, 0, 0], [-1, -1, -1, s.shape[3]]));
  });
  const featureTerm = tf.div(tf.addN(features), features.length);
  return tf.add(l1Loss(tf, student.logits, teacher.logits), featureTerm);
}
