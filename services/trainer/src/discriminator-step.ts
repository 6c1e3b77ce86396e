/**
 * The gradients of one discriminator phase: the teacher PatchGAN's relativistic loss and the student's (its own
 * relativistic loss plus distillation towards the teacher), summed over the subnets' fakes.
 *
 * Each network sees each image once: the real batch once per network (not once per fake), and the teacher's
 * taped passes double as the student's distillation targets (held constant there: the student's tape
 * differentiates the student's variables only, and the teacher's weights do not move until after both tapes).
 * The summed gradients equal those of one tape per fake, in a different order of additions.
 *
 * In a batch split over workers (`shard`), the relativistic losses run over the whole batch's logits (gathered
 * from every shard) and the distillation term, a mean over this shard's images, weighs the shard's share.
 */
import {
  discriminatorDistillLoss,
  relativisticDiscriminatorLoss,
  type DiscriminatorOutput,
  type PatchGanDiscriminator,
  type Scalar,
  type Tensor,
  type Tensor4D,
  type Tf,
  type Variable,
} from "@mfnas/model";
import { WHOLE_BATCH, type ShardRole } from "./shards.ts";

export interface DiscriminatorPhaseInput {
  readonly teacher: PatchGanDiscriminator;
  readonly student: PatchGanDiscriminator;
  /** The variables each tape differentiates. */
  readonly teacherVariables: readonly Variable[];
  readonly studentVariables: readonly Variable[];
  /** Weight of the student's distillation term. */
  readonly distillWeight: number;
}

export interface DiscriminatorPhaseGradients {
  /** Gradients of the losses summed over the fakes, keyed by tfjs variable name (the caller disposes them). */
  readonly teacherGrads: Record<string, Tensor>;
  readonly studentGrads: Record<string, Tensor>;
  /**
   * Per fake, in order: the teacher's loss, the student's total loss and its distillation term (caller disposes);
   * the distillation term is over the shard's images.
   */
  readonly teacherLosses: Scalar[];
  readonly studentLosses: Scalar[];
  readonly distillLosses: Scalar[];
}

function keepOutput(tf: Tf, out: DiscriminatorOutput): DiscriminatorOutput {
  return { logits: tf.keep(out.logits), features: out.features.map((f) => tf.keep(f)) };
}

function disposeOutput(tf: Tf, out: DiscriminatorOutput | undefined): void {
  if (out) tf.dispose([out.logits, ...out.features]);
}

export function discriminatorPhaseGradients(
  tf: Tf,
  input: DiscriminatorPhaseInput,
  fakes: readonly Tensor4D[],
  hr: Tensor4D,
  shard: ShardRole = WHOLE_BATCH,
): DiscriminatorPhaseGradients {
  const teacherLosses: Scalar[] = [];
  const studentLosses: Scalar[] = [];
  const distillLosses: Scalar[] = [];
  // The teacher's outputs, kept from its tape as the student's targets.
  const targets: { real?: DiscriminatorOutput; fakes: DiscriminatorOutput[] } = { fakes: [] };
  try {
    const teacher = tf.variableGrads(() => {
      const real = input.teacher.forward(tf, hr);
      targets.real = keepOutput(tf, real);
      const outs = fakes.map((fake) => input.teacher.forward(tf, fake));
      for (const out of outs) targets.fakes.push(keepOutput(tf, out));
      const [realLogits, ...fakeLogits] = shard.gather(tf, [real.logits, ...outs.map((o) => o.logits)]);
      const losses = fakeLogits.map((logits) => {
        const loss = relativisticDiscriminatorLoss(tf, realLogits as Tensor4D, logits);
        teacherLosses.push(tf.keep(loss));
        return loss;
      });
      return tf.addN<Scalar>(losses);
    }, [...input.teacherVariables]);
    teacher.value.dispose();
    const targetOnReal = targets.real;
    if (!targetOnReal) throw new Error("the teacher discriminator's tape ran no real pass");
    const student = tf.variableGrads(() => {
      const real = input.student.forward(tf, hr);
      const realDistill = discriminatorDistillLoss(tf, real, targetOnReal);
      const outs = fakes.map((fake) => input.student.forward(tf, fake));
      const [realLogits, ...fakeLogits] = shard.gather(tf, [real.logits, ...outs.map((o) => o.logits)]);
      const losses = outs.map((out, k) => {
        const gan = relativisticDiscriminatorLoss(tf, realLogits as Tensor4D, fakeLogits[k] as Tensor4D);
        const target = targets.fakes[k] as DiscriminatorOutput;
        const distill = tf.mul<Scalar>(tf.add(realDistill, discriminatorDistillLoss(tf, out, target)), 0.5);
        distillLosses.push(tf.keep(distill));
        const loss = tf.add<Scalar>(gan, tf.mul(distill, input.distillWeight * shard.share));
        studentLosses.push(
          tf.keep(shard.share === 1 ? loss : tf.add<Scalar>(gan, tf.mul(distill, input.distillWeight))),
        );
        return loss;
      });
      return tf.addN<Scalar>(losses);
    }, [...input.studentVariables]);
    student.value.dispose();
    return { teacherGrads: teacher.grads, studentGrads: student.grads, teacherLosses, studentLosses, distillLosses };
  } catch (error) {
    tf.dispose([...teacherLosses, ...studentLosses, ...distillLosses]);
    throw error;
  } finally {
    disposeOutput(tf, targets.real);
    for (const out of targets.fakes) disposeOutput(tf, out);
  }
}
