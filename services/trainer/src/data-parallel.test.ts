import { afterAll, describe, expect, it } from "vitest";
import { createRng, type Genome } from "@mfnas/core";
import { batchTensorList, batchToTensors, createPatchSampler, type PatchBatch, type Tensor } from "@mfnas/model";
import { DataParallelTrainer } from "./data-parallel.ts";
import { prepareRun, type PreparedRun } from "./prepare.ts";
import { genomesForStep } from "./sampling.ts";
import { shardPlan } from "./shards.ts";
import { distilledTeacherBlocks, prepareTeacherTargets } from "./teacher-targets.ts";
import { TrainingState, disposeGradients, type StepGradients } from "./training-state.ts";
import { teacherBytes, tinyConfig } from "../../../tests/support/tiny-teacher.ts";
import { MemoryArtifacts, sha256, trainingTf } from "./test-support.ts";

const RATES = { g: 5e-3, d: 5e-3 };
const closing: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const close of closing.reverse()) await close();
});

/** The tiny run's prepared inputs, three batches (with cached teacher targets) and their subnets. */
async function setup() {
  const tf = await trainingTf();
  const artifacts = new MemoryArtifacts();
  const teacher = await teacherBytes();
  await artifacts.put({ bytes: teacher });
  // Adversarial weight 1 so the exchanged relativistic terms weigh as much as the rest in what is compared.
  const config = tinyConfig(sha256(teacher), { losses: { adversarial: 1, featureDistill: 0.1, outputDistill: 0.1 } });
  const run: PreparedRun = await prepareRun(tf, config, artifacts);
  closing.push(() => run.teacher.dispose());
  const blocks = distilledTeacherBlocks(run.space, run.config, run.teacher);
  const { targets } = await prepareTeacherTargets(tf, run.teacher, run.train, artifacts, { blocks });
  const sampler = createPatchSampler(run.train, {
    patchSize: run.config.patchSize,
    batchSize: run.config.batch,
    seed: 7,
    targets: (i) => targets[i] as NonNullable<(typeof targets)[number]>,
  });
  const rng = createRng(11);
  const steps: { batch: PatchBatch; genomes: Genome[] }[] = [];
  for (let step = 0; step < 3; step++) {
    steps.push({
      batch: await sampler.next(),
      genomes: genomesForStep(run.space, run.config.sampling, 4, step, rng),
    });
  }
  const newState = () => {
    const state = new TrainingState(tf, run.space, run.config, run.teacher, run.vgg);
    closing.push(() => state.dispose());
    return state;
  };
  const startPool = async (state: TrainingState, workers: number) => {
    const pool = await DataParallelTrainer.start(tf, state, {
      workers,
      backend: "wasm",
      space: run.space,
      config: run.config,
      teacherFeatures: run.teacher.features,
      vgg: run.vgg,
    });
    closing.push(() => pool.close());
    return pool;
  };
  return { tf, run, steps, newState, startPool };
}

function values(t: Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/**
 * Largest |a - b| over a network's gradients, relative to its largest |a| (so it reads as float error whatever the
 * scale; per tensor it would not: the discriminators' output bias has a gradient of zero plus rounding, since the
 * relativistic losses do not change when every logit moves by the same amount).
 */
function worstRelative(a: StepGradients, b: StepGradients): { worst: number; where: string } {
  let worst = 0;
  let where = "";
  for (const group of ["generator", "dTeacher", "dStudent"] as const) {
    const scale = Math.max(1e-12, ...[...a.sums[group].values()].flatMap((t) => Array.from(values(t), Math.abs)));
    for (const [name, ta] of a.sums[group]) {
      const tb = b.sums[group].get(name);
      const va = values(ta);
      const vb = tb ? values(tb) : new Float32Array(va.length);
      const diff = Math.max(0, ...Array.from(va, (x, i) => Math.abs(x - (vb[i] ?? NaN))));
      if (!(diff / scale <= worst)) {
        worst = diff / scale;
        where = `${group}/${name}`;
      }
    }
  }
  return { worst, where };
}

describe("data-parallel training", () => {
  it("splits a batch into contiguous shards whose sizes differ by at most one", () => {
    expect(shardPlan(4, 2)).toEqual({ sizes: [2, 2], offsets: [0, 2], batch: 4 });
    expect(shardPlan(5, 3)).toEqual({ sizes: [2, 2, 1], offsets: [0, 2, 4], batch: 5 });
    expect(shardPlan(2, 8).sizes).toEqual([1, 1]);
    expect(() => shardPlan(4, 0)).toThrow("workers: 0");
  });

  it("gives the single-worker gradients and losses with 2 and 3 workers (equal and unequal shards)", async () => {
    const { tf, steps, newState, startPool } = await setup();
    const state = newState();
    const { batch, genomes } = steps[0] as (typeof steps)[number];
    const tensors = batchToTensors(tf, batch);
    const single = state.gradients(genomes, tensors);
    tf.dispose(batchTensorList(tensors));
    try {
      for (const workers of [2, 3]) {
        const pool = await startPool(state, workers);
        const split = await pool.gradients(genomes, batch);
        try {
          const { worst, where } = worstRelative(single, split);
          expect(worst, `${workers} workers, worst at ${where}`).toBeLessThan(1e-4);
          expect(Object.keys(split.losses).sort()).toEqual(Object.keys(single.losses).sort());
          for (const [name, value] of Object.entries(single.losses)) {
            expect(split.losses[name], name).toBeCloseTo(value, 5);
          }
          // The relativistic terms are whole-batch statistics: they must be there, and not zero.
          expect(Math.abs(single.losses.adversarial ?? 0)).toBeGreaterThan(0.1);
        } finally {
          disposeGradients(tf, split.sums);
        }
        await pool.close();
      }
    } finally {
      disposeGradients(tf, single.sums);
    }
  });

  it("keeps the workers' weights those of the main state: after updates they still give its gradients", async () => {
    const { tf, steps, newState, startPool } = await setup();
    const state = newState();
    const pool = await startPool(state, 2);
    const [first, second, third] = steps as [(typeof steps)[number], (typeof steps)[number], (typeof steps)[number]];
    const before = state.tensors().map(([, v]) => values(v).slice());
    for (const { batch, genomes } of [first, second]) await pool.step(genomes, batch, RATES);
    // The updates moved the main state's weights...
    const moved = state.tensors().filter(([, v], i) => values(v).some((x, k) => x !== before[i]?.[k])).length;
    expect(moved).toBeGreaterThan(state.tensors().length / 2);
    // ...and the workers compute with exactly those: their split gradients equal the main state's own.
    const tensors = batchToTensors(tf, third.batch);
    const own = state.gradients(third.genomes, tensors);
    tf.dispose(batchTensorList(tensors));
    const split = await pool.gradients(third.genomes, third.batch);
    try {
      const { worst, where } = worstRelative(own, split);
      expect(worst, `worst at ${where}`).toBeLessThan(1e-4);
    } finally {
      disposeGradients(tf, own.sums);
      disposeGradients(tf, split.sums);
    }
  });
});
