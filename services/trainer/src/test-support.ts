// Test helpers of the trainer (not exported): in-memory ports, the tiny teacher fixture and a tiny config.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as tfCore from "@tensorflow/tfjs-core";
import { MfnasError, type TrainingConfigInput } from "@mfnas/core";
import { selectBackend, type Tf } from "@mfnas/model";
import type { JobContext, WorkerLog } from "@mfnas/queue";
import type {
  ArtifactPort,
  CheckpointRecord,
  ProgressRecord,
  StoredSupernet,
  SupernetStatus,
  SupernetStore,
} from "./trainer-store.ts";

export const TEACHER_FIXTURE = new URL("../fixtures/tiny-teacher-x4.safetensors", import.meta.url);
export const TINY_TEACHER = { blocks: 2, channels: 16, growth: 8 } as const;

let backend: Promise<Tf> | undefined;
/** wasm with the training kernels, as the service runs on a CPU machine. */
export function trainingTf(): Promise<Tf> {
  backend ??= selectBackend(tfCore, { prefer: "wasm" }).then((b) => b.tf);
  return backend;
}

export const quiet: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function teacherBytes(): Promise<Uint8Array> {
  return readFile(TEACHER_FIXTURE).then((b) => new Uint8Array(b));
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
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

export class MemoryArtifacts implements ArtifactPort {
  readonly files = new Map<string, Uint8Array>();
  readonly cacheKeys = new Map<string, string>();
  findByCacheKey(cacheKey: string): Promise<string | null> {
    return Promise.resolve(this.cacheKeys.get(cacheKey) ?? null);
  }
  get(sha: string): Promise<Uint8Array> {
    const bytes = this.files.get(sha);
    return bytes
      ? Promise.resolve(bytes)
      : Promise.reject(new MfnasError("not_found", `artifact ${sha} is not in the store`));
  }
  put(artifact: { bytes: Uint8Array; metadata?: Record<string, string | number> }): Promise<{ sha256: string }> {
    const sha = sha256(artifact.bytes);
    this.files.set(sha, artifact.bytes);
    const key = artifact.metadata?.cacheKey;
    if (typeof key === "string" && !this.cacheKeys.has(key)) this.cacheKeys.set(key, sha);
    return Promise.resolve({ sha256: sha });
  }
}

/** The trainer's own port in memory, so the handler's logic is tested without Postgres. */
export class MemoryStore implements SupernetStore {
  status: SupernetStatus = "queued";
  error: string | undefined;
  checkpoints: CheckpointRecord[] = [];
  progress: ProgressRecord[] = [];
  onProgress: (p: ProgressRecord) => void = () => undefined;
  constructor(readonly trainingConfig: unknown) {}
  getSupernet(id: string): Promise<StoredSupernet> {
    return Promise.resolve({ id, status: this.status, trainingConfig: this.trainingConfig });
  }
  getStatus() {
    return Promise.resolve(this.status);
  }
  markTraining() {
    if (this.status === "queued") this.status = "training";
    return Promise.resolve();
  }
  finish(_id: string, outcome: { status: "ready" | "failed"; error?: string }) {
    if (this.status === "queued" || this.status === "training") {
      this.status = outcome.status;
      this.error = outcome.error;
    }
    return Promise.resolve();
  }
  latestCheckpoint() {
    const last = [...this.checkpoints].sort((a, b) => b.step - a.step)[0];
    return Promise.resolve(last ? { step: last.step, artifactSha256: last.artifactSha256 } : null);
  }
  recordCheckpoint(c: CheckpointRecord) {
    if (!this.checkpoints.some((x) => x.step === c.step)) this.checkpoints.push(c);
    return Promise.resolve();
  }
  recordProgress(p: ProgressRecord) {
    this.progress = [...this.progress.filter((x) => x.step !== p.step), p].sort((a, b) => a.step - b.step);
    this.onProgress(p);
    return Promise.resolve();
  }
}

export function jobContext(
  supernetId: string,
  signal = new AbortController().signal,
): JobContext<"trainer.train-supernet"> {
  return { payload: { supernetId }, jobId: "j", attemptsMade: 0, signal, progress: () => Promise.resolve() };
}
