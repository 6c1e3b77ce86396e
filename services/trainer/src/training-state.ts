/**
 * The networks and optimizers of one supernet training run, and one training step of the sandwich rule:
 * for each sampled SubGenerator, generator losses against the HR patch and the teacher; then one Adam step of the
 * generator on the gradients averaged over the subnets; then one step of each discriminator on the subnets' fakes.
 */
import { MfnasError, type Genome, type SearchSpace, type TrainingConfig } from "@mfnas/core";
import {
  FeatureAdapters,
  MfaSupernet,
  PatchGanDiscriminator,
  distillationPairs,
  featureDistillLoss,
  l1Loss,
  outputDistillLoss,
  perceptualLoss,
  relativisticGeneratorLoss,
  supernetCheckpointEntries,
  type BatchTensors,
  type Scalar,
  type SrTeacher,
  type Tensor,
  type Tensor4D,
  type Tf,
  type Variable,
  type Vgg19Features,
} from "@mfnas/model";
import { Adam } from "./adam.ts";
import { discriminatorPhaseGradients } from "./discriminator-step.ts";
import { WHOLE_BATCH, type ShardRole } from "./shards.ts";

/** Loss values of one step, averaged over the sampled subnets. */
export type StepLosses = Record<string, number>;

export interface StepGradients {
  /** Each loss averaged over the subnets, weighted by the shard's share of the batch. */
  readonly losses: StepLosses;
  /** Per network, the gradients summed over the subnets, by checkpoint variable name. */
  readonly sums: Record<GradientGroup, Map<string, Tensor>>;
  /** Subnets the sums run over. */
  readonly subnets: number;
}

export type GradientGroup = "generator" | "dTeacher" | "dStudent";

export function disposeGradients(tf: Tf, sums: StepGradients["sums"]): void {
  for (const group of Object.values(sums)) tf.dispose([...group.values()]);
}

function named(prefix: string, entries: [string, Variable][]): [string, Variable][] {
  return entries.map(([name, v]) => [`${prefix}/${name}`, v]);
}

export class TrainingState {
  readonly supernet: MfaSupernet;
  readonly adapters: FeatureAdapters;
  /** The teacher discriminator (full width) and the student (a narrower slice of the same layout). */
  readonly dTeacher: PatchGanDiscriminator;
  readonly dStudent: PatchGanDiscriminator;
  readonly generatorOptimizer: Adam;
  readonly dTeacherOptimizer: Adam;
  readonly dStudentOptimizer: Adam;

  constructor(
    private readonly tf: Tf,
    space: SearchSpace,
    private readonly config: TrainingConfig,
    private readonly teacher: SrTeacher,
    private readonly vgg: Vgg19Features | undefined,
  ) {
    const { seed, discriminator: d, optimizer } = config;
    this.supernet = new MfaSupernet(tf, space, { seed });
    // A teacher without block outputs gets no adapters, and feature distillation is off.
    const features = teacher.features;
    this.adapters = new FeatureAdapters(
      tf,
      features ? space.depth.max : 0,
      this.supernet.widths.trunk,
      features?.channels ?? 1,
      {
        seed: seed + 1,
      },
    );
    this.dTeacher = new PatchGanDiscriminator(tf, { baseWidth: d.teacherBaseWidth, layers: d.layers, seed: seed + 2 });
    // The student starts as the teacher's slice, so distillation begins from agreement on the shared channels.
    this.dStudent = this.dTeacher.extract(d.studentBaseWidth);
    const adam = { beta1: optimizer.betas[0], beta2: optimizer.betas[1], epsilon: optimizer.epsilon };
    this.generatorOptimizer = new Adam(
      tf,
      new Map([
        // The names the checkpoint format gives the supernet, so readers outside the trainer find its weights.
        ...supernetCheckpointEntries(this.supernet),
        ...named("adapters", this.adapters.params.entries()),
      ]),
      adam,
    );
    this.dTeacherOptimizer = new Adam(tf, new Map(named("d_teacher", this.dTeacher.params.entries())), adam);
    this.dStudentOptimizer = new Adam(tf, new Map(named("d_student", this.dStudent.params.entries())), adam);
  }

  get optimizers(): Record<GradientGroup, Adam> {
    return { generator: this.generatorOptimizer, dTeacher: this.dTeacherOptimizer, dStudent: this.dStudentOptimizer };
  }

  /**
   * One training step on a batch; returns the losses. `rates` are this step's learning rates. The distillation
   * targets are the batch's cached teacher outputs (`batch.teacher`); a batch without them runs the teacher now.
   */
  step(genomes: readonly Genome[], batch: BatchTensors, rates: { g: number; d: number }): StepLosses {
    const gradients = this.gradients(genomes, batch);
    this.apply(gradients, rates);
    return gradients.losses;
  }

  /**
   * The gradients of one step, before any weight moves: the generator's over the sampled subnets, then both
   * discriminators' on the subnets' fakes (the generator's update touches no discriminator weight, and the fakes
   * are the outputs of the weights the step started from, so the order of the updates changes nothing).
   * `shard` is this call's part of a batch split over workers (default: the whole batch).
   */
  gradients(genomes: readonly Genome[], batch: BatchTensors, shard: ShardRole = WHOLE_BATCH): StepGradients {
    const { lr, hr } = batch;
    const { tf, config } = this;
    const w = config.losses;
    const losses: StepLosses = {};
    const add = (name: string, value: Scalar | undefined) => {
      if (value) losses[name] = (losses[name] ?? 0) + ((value.dataSync()[0] ?? NaN) * shard.share) / genomes.length;
    };
    // A mean over this shard's images weighs its share of the batch; the relativistic terms, computed over the
    // whole batch's logits (shard.gather), weigh fully.
    const shareOf = (name: string) => (name === "adversarial" ? 1 : shard.share);
    const features = this.teacher.features;
    let teacherOut: { sr: Tensor4D; blocks: ReadonlyMap<number, Tensor4D> };
    let ranTeacher: Tensor4D[] = [];
    if (batch.teacher) {
      teacherOut = batch.teacher;
    } else {
      const out = this.teacher.run(tf, lr, features !== undefined && w.featureDistill > 0);
      teacherOut = { sr: out.sr, blocks: new Map(out.blocks.map((t, i) => [i, t])) };
      ranTeacher = [out.sr, ...out.blocks];
    }
    const realStudent = tf.tidy(() => shard.gather(tf, [this.dStudent.forward(tf, hr).logits])[0] as Tensor4D);
    const fakes: Tensor4D[] = [];
    const gVars = this.generatorOptimizer.variables;
    const sums: StepGradients["sums"] = {
      generator: new Map<string, Tensor>(),
      dTeacher: new Map<string, Tensor>(),
      dStudent: new Map<string, Tensor>(),
    };
    try {
      for (const genome of genomes) {
        const terms: Partial<Record<string, Scalar>> = {};
        const { value, grads } = tf.variableGrads(() => {
          const { sr, blocks } = this.supernet.forwardWithFeatures(tf, genome, lr);
          fakes.push(tf.keep(sr));
          terms.pixel = tf.keep(l1Loss(tf, sr, hr));
          terms.outputDistill = tf.keep(outputDistillLoss(tf, sr, teacherOut.sr));
          if (features && w.featureDistill > 0) {
            const pairs = distillationPairs(blocks.length, features.count);
            terms.featureDistill = tf.keep(
              featureDistillLoss(
                tf,
                this.adapters,
                blocks,
                pairs.map((p) => {
                  const target = teacherOut.blocks.get(p);
                  if (!target) throw new MfnasError("invalid_input", `no teacher block ${p} in the batch's targets`);
                  return target;
                }),
              ),
            );
          }
          const fakeLogits = shard.gather(tf, [this.dStudent.forward(tf, sr).logits])[0] as Tensor4D;
          terms.adversarial = tf.keep(relativisticGeneratorLoss(tf, realStudent, fakeLogits));
          if (this.vgg && w.perceptual > 0) terms.perceptual = tf.keep(perceptualLoss(tf, this.vgg, sr, hr));
          const weighted = Object.entries(terms).map(([name, t]) =>
            tf.mul(t as Scalar, w[name as keyof typeof w] * shareOf(name)),
          );
          return tf.addN(weighted) as Scalar;
        }, [...gVars.values()]);
        let total = 0;
        for (const [name, t] of Object.entries(terms)) {
          add(name, t);
          total += (t?.dataSync()[0] ?? NaN) * w[name as keyof typeof w];
        }
        // The tape's value weighs the terms by their shares; the reported total is this shard's share of the loss.
        losses.generator = (losses.generator ?? 0) + (total * shard.share) / genomes.length;
        tf.dispose([value, ...Object.values(terms).filter((t): t is Scalar => t !== undefined)]);
        this.#accumulate(this.generatorOptimizer, sums.generator, grads);
      }
      this.#discriminatorGradients(fakes, hr, shard, sums, add);
    } catch (error) {
      disposeGradients(tf, sums);
      throw error;
    } finally {
      tf.dispose([...ranTeacher, realStudent, ...fakes]);
    }
    return { losses, sums, subnets: genomes.length };
  }

  /** One Adam step of each network on the mean over the subnets of `gradients` (which it disposes). */
  apply(gradients: Pick<StepGradients, "sums" | "subnets">, rates: { g: number; d: number }): void {
    const { sums, subnets } = gradients;
    try {
      this.#applyMean(this.generatorOptimizer, sums.generator, subnets, rates.g);
      this.#applyMean(this.dTeacherOptimizer, sums.dTeacher, subnets, rates.d);
      this.#applyMean(this.dStudentOptimizer, sums.dStudent, subnets, rates.d);
    } finally {
      disposeGradients(this.tf, sums);
    }
  }

  #discriminatorGradients(
    fakes: Tensor4D[],
    hr: Tensor4D,
    shard: ShardRole,
    sums: StepGradients["sums"],
    add: (n: string, v: Scalar) => void,
  ): void {
    const { tf } = this;
    const phase = discriminatorPhaseGradients(
      tf,
      {
        teacher: this.dTeacher,
        student: this.dStudent,
        teacherVariables: [...this.dTeacherOptimizer.variables.values()],
        studentVariables: [...this.dStudentOptimizer.variables.values()],
        distillWeight: this.config.losses.discriminatorDistill,
      },
      fakes,
      hr,
      shard,
    );
    try {
      phase.teacherLosses.forEach((loss, k) => {
        add("discriminatorTeacher", loss);
        add("discriminator", phase.studentLosses[k] as Scalar);
        add("discriminatorDistill", phase.distillLosses[k] as Scalar);
      });
      this.#accumulate(this.dTeacherOptimizer, sums.dTeacher, phase.teacherGrads);
      this.#accumulate(this.dStudentOptimizer, sums.dStudent, phase.studentGrads);
    } finally {
      tf.dispose([...phase.teacherLosses, ...phase.studentLosses, ...phase.distillLosses]);
    }
  }

  /** Adds `grads` (keyed by tfjs's own variable names) into `sums` (keyed by ours), then frees them. */
  #accumulate(optimizer: Adam, sums: Map<string, Tensor>, grads: Record<string, Tensor>): void {
    const { tf } = this;
    for (const [name, v] of optimizer.variables) {
      const g = grads[v.name];
      if (!g) continue;
      const before = sums.get(name);
      sums.set(name, before ? tf.tidy(() => tf.add(before, g)) : tf.keep(tf.clone(g)));
      before?.dispose();
    }
    tf.dispose(Object.values(grads));
  }

  #applyMean(optimizer: Adam, sums: ReadonlyMap<string, Tensor>, count: number, lr: number): void {
    const { tf } = this;
    const means = new Map([...sums].map(([name, t]) => [name, tf.div(t, count)] as [string, Tensor]));
    try {
      optimizer.step(means, lr);
    } finally {
      tf.dispose([...means.values()]);
    }
  }

  /** Every tensor of the training state under a stable name: weights, then each optimizer's moments. */
  tensors(): [string, Variable][] {
    const o = this.optimizers;
    return [
      ...o.generator.variables,
      ...o.dTeacher.variables,
      ...o.dStudent.variables,
      ...named("adam.generator", o.generator.moments()),
      ...named("adam.d_teacher", o.dTeacher.moments()),
      ...named("adam.d_student", o.dStudent.moments()),
    ];
  }

  dispose(): void {
    for (const o of Object.values(this.optimizers)) o.dispose();
    this.supernet.dispose();
    this.adapters.dispose();
    this.dTeacher.dispose();
    this.dStudent.dispose();
  }
}
