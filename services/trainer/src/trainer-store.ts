/** What the trainer needs from the results store; implemented over Prisma in @mfnas/store (SupernetRepository). */
export interface SupernetStore {
  getSupernet(id: string): Promise<StoredSupernet | null>;
  /** Current status only: read every step to notice a cancellation. */
  getStatus(id: string): Promise<SupernetStatus | null>;
  /** queued/training -> training, and startedAt once. */
  markTraining(id: string): Promise<void>;
  /** Sets a final status unless the supernet already has one (a cancellation stays a cancellation). */
  finish(id: string, outcome: { status: "ready" | "failed"; error?: string }): Promise<void>;
  latestCheckpoint(id: string): Promise<{ step: number; artifactSha256: string } | null>;
  /** Records a checkpoint and advances Supernet.step; the same (supernet, step) twice is a no-op. */
  recordCheckpoint(checkpoint: CheckpointRecord): Promise<void>;
  /** Records one logged step; a resumed run overwrites what a killed one wrote for the same step. */
  recordProgress(progress: ProgressRecord): Promise<void>;
}

export type SupernetStatus = "queued" | "training" | "ready" | "failed" | "cancelled";

export interface StoredSupernet {
  readonly id: string;
  readonly status: SupernetStatus;
  readonly trainingConfig: unknown;
}

export interface CheckpointRecord {
  readonly supernetId: string;
  readonly step: number;
  readonly artifactSha256: string;
  readonly metrics: Record<string, number>;
}

export interface ProgressRecord {
  readonly supernetId: string;
  readonly step: number;
  readonly losses: Record<string, number>;
  readonly imagesPerSecond: number;
}

/** The artifact store as the trainer uses it (LocalArtifactStore satisfies it). */
export interface ArtifactPort {
  get(sha256: string): Promise<Uint8Array>;
  /** The artifact whose metadata has this `cacheKey` (teacher targets), or null. */
  findByCacheKey(cacheKey: string): Promise<string | null>;
  put(artifact: {
    bytes: Uint8Array;
    kind: "checkpoint" | "dataset";
    mediaType?: string;
    metadata?: Record<string, string | number>;
  }): Promise<{ sha256: string }>;
}
