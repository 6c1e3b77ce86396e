// The trainer's tiny x4 teacher (services/trainer/fixtures, made by scripts/train-tiny-teacher.ts) and a tiny
// training config over it, for the trainer's tests and the tests that run the trainer as a process.
import { readFile } from "node:fs/promises";
import type { TrainingConfigInput } from "@mfnas/core";

export const TEACHER_FIXTURE = new URL("../../services/trainer/fixtures/tiny-teacher-x4.safetensors", import.meta.url);
export const TINY_TEACHER = { blocks: 2, channels: 16, growth: 8 } as const;

export function teacherBytes(): Promise<Uint8Array> {
  return readFile(TEACHER_FIXTURE).then((b) => new Uint8Array(b));
}

/**
 * A tiny x4 run on the bundled images: trunk 8/16, branch 8, depth 1..2, 32px patches, batch 4. Adam at 5e-3 with
 * a cosine decay: the tiny networks learn their residual over bilinear upsampling fastest so (the largest trained
 * alone for 400 steps ended 0.3 dB lower at 1e-3). Output distillation at 0.1: the tiny teacher (29.6 dB) is 2.9 dB below
 * bicubic on the validation images, so a full-weight pull towards its output holds the students back.
 */
export function tinyConfig(teacherSha: string, patch: Partial<TrainingConfigInput> = {}): TrainingConfigInput {
  return {
    space: { scales: [4], trunkWidths: [8, 16], branchWidths: [8], depth: { min: 1, max: 2 } },
    teacher: { weights: teacherSha, ...TINY_TEACHER },
    data: { train: "bundled", val: "bundled" },
    scale: 4,
    steps: 10,
    batch: 4,
    patchSize: 32,
    optimizer: { lr: 5e-3 },
    schedule: { kind: "cosine" },
    losses: { adversarial: 0.001, featureDistill: 0.1, outputDistill: 0.1 },
    discriminator: { layers: 2, teacherBaseWidth: 8, studentBaseWidth: 4 },
    sampling: { rule: "sandwich", random: 1 },
    checkpointEvery: 5,
    evalEvery: 1_000_000,
    logEvery: 1,
    seed: 3,
    ...patch,
  };
}
