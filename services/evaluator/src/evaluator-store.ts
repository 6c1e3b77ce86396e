/** What the evaluator needs from the results store; implemented over Prisma by @mfnas/store's EvaluationRepository. */
export interface EvaluationStore {
  /** The supernet's search space and its checkpoint's artifact at `step`; null when either does not exist. */
  getCheckpoint(supernetId: string, step: number): Promise<{ searchSpace: unknown; artifactSha256: string } | null>;
  findEvaluation(key: EvaluationKey): Promise<EvaluationResult | null>;
  /** Writes the result unless one with its key exists (then the first one stays); says whether this call wrote it. */
  recordEvaluation(result: EvaluationResult): Promise<{ created: boolean }>;
}

export interface EvaluationKey {
  readonly supernetId: string;
  readonly checkpointStep: number;
  readonly genomeHash: string;
  readonly validationSet: string;
}

export type EvaluationPath = "onnxruntime" | "tfjs";

export interface ImageScore {
  readonly name: string;
  /** Y-PSNR in dB and Y-SSIM, border of `scale` pixels cropped. */
  readonly psnr: number;
  readonly ssim: number;
}

export interface EvaluationResult extends EvaluationKey {
  /** Canonical genome encoding. */
  readonly genome: string;
  /** Means over the images. */
  readonly psnr: number;
  readonly ssim: number;
  readonly imageCount: number;
  readonly images: readonly ImageScore[];
  readonly path: EvaluationPath;
  /** Runtime and version, e.g. "onnxruntime-node 1.23.0 cpu". */
  readonly runtime: string;
  readonly durationMs: number;
}

/** The artifact store as the evaluator reads it (LocalArtifactStore satisfies it). */
export interface ArtifactReader {
  get(sha256: string): Promise<Uint8Array>;
}
