import type { CostReport, Genome } from "@mfnas/core";

/** What the searcher needs from the results store; implemented over Prisma in @mfnas/store. */
export interface SearchStore {
  getSearch(id: string): Promise<StoredSearch | null>;
  markRunning(id: string): Promise<void>;
  /**
   * Writes one generation whole, in one transaction: its architectures (shared across searches), its new
   * candidates, the generation row and the search's lastGeneration. Writing the same generation again is a no-op.
   */
  writeGeneration(generation: GenerationWrite): Promise<void>;
  finish(id: string, outcome: { status: "succeeded" | "failed" | "cancelled"; error?: string }): Promise<void>;
}

export interface StoredSearch {
  readonly id: string;
  readonly status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  readonly spec: unknown;
  readonly seed: number;
  readonly lastGeneration: number | null;
}

export interface EvaluatedGenome {
  readonly genome: Genome;
  readonly hash: string;
  readonly encoded: string;
  readonly cost: CostReport;
}

export interface GenerationWrite {
  readonly searchId: string;
  readonly index: number;
  readonly members: readonly EvaluatedGenome[];
  readonly costModelVersion: string;
  readonly referenceInput: { readonly height: number; readonly width: number };
}
