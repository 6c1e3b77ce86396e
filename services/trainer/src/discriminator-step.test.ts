import { describe, expect, it } from "vitest";
import {
  PatchGanDiscriminator,
  discriminatorDistillLoss,
  relativisticDiscriminatorLoss,
  type DiscriminatorOutput,
  type Scalar,
  type Tensor,
  type Tensor4D,
  type Tf,
} from "@mfnas/model";
import { discriminatorPhaseGradients } from "./discriminator-step.ts";
import { trainingTf } from "./test-support.ts";

/**
 * The phase as one tape per fake, each with its own real passes and an untaped teacher pass for the targets:
 * the straightforward reading of the losses, against which the shared-pass version is checked.
 */
function perFakeReference(
  tf: Tf,
  teacher: PatchGanDiscriminator,
  student: PatchGanDiscriminator,
  fakes: Tensor4D[],
  hr: Tensor4D,
  distillWeight: number,
) {
  const sum = (into: Map<string, Tensor>, grads: Record<string, Tensor>) => {
    for (const [name, g] of Object.entries(grads)) into.set(name, tf.keep(tf.add(into.get(name) ?? 0, g)));
  };
  const teacherGrads = new Map<string, Tensor>();
  const studentGrads = new Map<string, Tensor>();
  const teacherOnReal = teacher.forward(tf, hr);
  for (const fake of fakes) {
    const teacherOnFake: DiscriminatorOutput = teacher.forward(tf, fake);
    const t = tf.variableGrads(
      () => relativisticDiscriminatorLoss(tf, teacher.forward(tf, hr).logits, teacher.forward(tf, fake).logits),
      teacher.params.entries().map(([, v]) => v),
    );
    const s = tf.variableGrads(
      () => {
        const real = student.forward(tf, hr);
        const out = student.forward(tf, fake);
        const gan = relativisticDiscriminatorLoss(tf, real.logits, out.logits);
        const distill = tf.mul(
          tf.add(discriminatorDistillLoss(tf, real, teacherOnReal), discriminatorDistillLoss(tf, out, teacherOnFake)),
          0.5,
        );
        return tf.add<Scalar>(gan, tf.mul(distill, distillWeight));
      },
      student.params.entries().map(([, v]) => v),
    );
    sum(teacherGrads, t.grads);
    sum(studentGrads, s.grads);
  }
  return { teacherGrads, studentGrads };
}

/** Largest absolute difference over a network's gradients, relative to its largest gradient entry: the final
 * bias's gradient is zero up to rounding (a relativistic loss cancels it), so per-tensor ratios mean nothing. */
function maxDiffOverScale(tf: Tf, got: Record<string, Tensor>, want: Map<string, Tensor>): number {
  return tf.tidy(() => {
    let diff = 0;
    let scale = 0;
    for (const [name, g] of want) {
      const ours = got[name];
      if (!ours) throw new Error(`no gradient for ${name}`);
      diff = Math.max(diff, tf.max(tf.abs(tf.sub(ours, g))).dataSync()[0] ?? Number.NaN);
      scale = Math.max(scale, tf.max(tf.abs(g)).dataSync()[0] ?? 0);
    }
    expect(scale).toBeGreaterThan(0);
    return diff / scale;
  });
}

describe("discriminator phase", () => {
  it("runs each network once per image and gives the gradients of one tape per fake", async () => {
    const tf = await trainingTf();
    const teacher = new PatchGanDiscriminator(tf, { baseWidth: 8, layers: 2, seed: 5 });
    const student = teacher.extract(4);
    const hr: Tensor4D = tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", 1);
    const fakes = [2, 3, 4].map((seed): Tensor4D => tf.randomUniform([2, 32, 32, 3], 0, 1, "float32", seed));
    const expected = perFakeReference(tf, teacher, student, fakes, hr, 0.7);

    const passes = { teacher: 0, student: 0 };
    const count = (d: PatchGanDiscriminator, key: keyof typeof passes): PatchGanDiscriminator => {
      const forward = d.forward.bind(d);
      return Object.assign(Object.create(d) as PatchGanDiscriminator, {
        forward: (...args: Parameters<PatchGanDiscriminator["forward"]>) => {
          passes[key]++;
          return forward(...args);
        },
      });
    };
    const phase = discriminatorPhaseGradients(
      tf,
      {
        teacher: count(teacher, "teacher"),
        student: count(student, "student"),
        teacherVariables: teacher.params.entries().map(([, v]) => v),
        studentVariables: student.params.entries().map(([, v]) => v),
        distillWeight: 0.7,
      },
      fakes,
      hr,
    );
    // One real pass and one pass per fake, per network (the per-fake form runs 1 + 3 per fake for the teacher).
    expect(passes).toEqual({ teacher: 1 + fakes.length, student: 1 + fakes.length });
    expect(phase.teacherLosses).toHaveLength(fakes.length);
    for (const [got, want] of [
      [phase.teacherGrads, expected.teacherGrads],
      [phase.studentGrads, expected.studentGrads],
    ] as const) {
      expect(Object.keys(got).sort()).toEqual([...want.keys()].sort());
      expect(want.size).toBeGreaterThan(0);
      // float32 sums in another order; a missing or doubled term would be off by O(1).
      expect(maxDiffOverScale(tf, got, want)).toBeLessThan(1e-4);
    }
  });
});
