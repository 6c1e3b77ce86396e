import type { SampleSheetInfo } from "@mfnas/core";
import type { Db } from "../client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { isUniqueViolation } from "./errors.ts";

/** What an evaluation scores: one genome, with one supernet checkpoint's weights, on one validation set. */
export interface EvaluationKey {
  readonly supernetId: string;
  readonly checkpointStep: number;
  readonly genomeHash: string;
  readonly validationSet: string;
}

export type EvaluationPathValue = "onnxruntime" | "tfjs";

export interface ImageScore {
  readonly name: string;
  readonly psnr: number;
  readonly ssim: number;
}

/** One evaluation result (structural twin of the evaluator's port type). */
export interface EvaluationRecord extends EvaluationKey {
  /** Canonical genome encoding. */
  readonly genome: string;
  /** Mean Y-PSNR (dB) and Y-SSIM over the images, border cropped by the scale. */
  readonly psnr: number;
  readonly ssim: number;
  readonly imageCount: number;
  readonly images: readonly ImageScore[];
  readonly path: EvaluationPathValue;
  readonly runtime: string;
  readonly durationMs: number;
  /** Sample crops: the PNG artifact and what it shows (JSON as the evaluator describes it); null when none. */
  readonly samples?: SampleSheetInfo | null;
}

const SELECT = {
  supernetId: true,
  checkpointStep: true,
  genomeHash: true,
  validationSet: true,
  genome: true,
  psnr: true,
  ssim: true,
  imageCount: true,
  images: true,
  path: true,
  runtime: true,
  durationMs: true,
  samples: true,
} as const;

type Row = { [K in keyof typeof SELECT]: K extends "images" | "samples" ? unknown : EvaluationRecord[K] };

function toRecord(row: Row): EvaluationRecord {
  return { ...row, images: row.images as ImageScore[], samples: (row.samples as SampleSheetInfo | null) ?? null };
}

/** Candidate evaluations over Prisma: written once per key, read by the evaluator and the searcher. */
export class EvaluationRepository {
  constructor(private readonly db: Db) {}

  /** The supernet's search space and training config, and its checkpoint's artifact at `step`; null if missing. */
  async getCheckpoint(
    supernetId: string,
    step: number,
  ): Promise<{ searchSpace: unknown; trainingConfig: unknown; artifactSha256: string } | null> {
    const row = await this.db.supernetCheckpoint.findUnique({
      where: { supernetId_step: { supernetId, step } },
      select: { artifactSha256: true, supernet: { select: { searchSpace: true, trainingConfig: true } } },
    });
    if (!row) return null;
    const { searchSpace, trainingConfig } = row.supernet;
    return { searchSpace, trainingConfig, artifactSha256: row.artifactSha256 };
  }

  async findEvaluation(key: EvaluationKey): Promise<EvaluationRecord | null> {
    const { supernetId, checkpointStep, genomeHash, validationSet } = key;
    const row = await this.db.evaluation.findUnique({
      where: {
        supernetId_checkpointStep_genomeHash_validationSet: { supernetId, checkpointStep, genomeHash, validationSet },
      },
      select: SELECT,
    });
    return row ? toRecord(row) : null;
  }

  /** The stored evaluations of these genomes with one checkpoint on one validation set (missing ones absent). */
  async findEvaluations(
    scope: Omit<EvaluationKey, "genomeHash">,
    genomeHashes: readonly string[],
  ): Promise<EvaluationRecord[]> {
    const rows = await this.db.evaluation.findMany({
      where: { ...scope, genomeHash: { in: [...genomeHashes] } },
      select: SELECT,
    });
    return rows.map(toRecord);
  }

  /**
   * Writes an evaluation unless one with its key exists; returns whether this call wrote it. A second write of the
   * same key (a retried or duplicated job) keeps the first result.
   */
  async recordEvaluation(record: EvaluationRecord): Promise<{ created: boolean }> {
    try {
      const { count } = await this.db.evaluation.createMany({
        data: [
          {
            ...record,
            images: record.images.map((i) => ({ ...i })),
            samples: record.samples
              ? (JSON.parse(JSON.stringify(record.samples)) as Prisma.InputJsonObject)
              : Prisma.DbNull,
          },
        ],
        skipDuplicates: true,
      });
      return { created: count === 1 };
    } catch (error) {
      if (isUniqueViolation(error)) return { created: false };
      throw error;
    }
  }
}
