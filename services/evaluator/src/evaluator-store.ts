import type { SampleSheetInfo } from "@mfnas/core";

/** What the evaluator needs from the results store; implemented over Prisma by @mfnas/store's EvaluationRepository. */
export interface EvaluationStore {
  /**
   * The supernet's search space and training config, and its checkpoint's artifact at `step`; null when either does
   * not exist.
   */
  getCheckpoint(
    supernetId: string,
    step: number,
  ): Promise<{ searchSpace: unknown; trainingConfig: unknown; artifactSha256: string } | null>;
  findEvaluation(key: EvaluationKey): Promise<EvaluationResult | null>;
  /** Writes the result unless one with its key exists (then the first one stays); says whether this call wrote it. */
  recordEvaluation(result: EvaluationResult): Promise<{ created: boolean }>;
}

interface EvaluationKey {
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
  /** Side-by-side sample crops (absent on evaluations stored before they existed). */
  readonly samples?: SampleSheetInfo | null;
}

/** The artifact store as the evaluator reads it (LocalArtifactStore satisfies it). */
export interface ArtifactReader {
  get(sha256: string): Promise<Uint8Array>;
}

/** What sample crops need of the artifact store: read, write, and find derived data by what it came from. */
export interface SampleArtifacts extends ArtifactReader {
  put(artifact: {
    bytes: Uint8Array;
    kind: "report";
    mediaType: string;
    metadata: Record<string, string>;
  }): Promise<{ sha256: string }>;
  findByCacheKey(cacheKey: string): Promise<string | null>;
}
