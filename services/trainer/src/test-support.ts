// Test helpers of the trainer (not exported): in-memory ports, the training backend, quiet logs and a job context.
// The tiny teacher fixture and the tiny training config are in tests/support/tiny-teacher.ts.
import { createHash } from "node:crypto";
import * as tfCore from "@tensorflow/tfjs-core";
import { MfnasError } from "@mfnas/core";
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

let backend: Promise<Tf> | undefined;
/** wasm with the training kernels, as the service runs on a CPU machine. */
export function trainingTf(): Promise<Tf> {
  backend ??= selectBackend(tfCore, { prefer: "wasm" }).then((b) => b.tf);
  return backend;
}

export const quiet: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
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
