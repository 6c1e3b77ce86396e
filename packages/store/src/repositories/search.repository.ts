import { SEARCH_STATUSES_IN_FLIGHT } from "@mfnas/core";
import type { Db } from "../client.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { isUniqueViolation } from "./errors.ts";

/** Structural copies of the searcher's port types; the searcher owns the interface, this class satisfies it. */
interface GenomeRecord {
  readonly genome: object;
  readonly hash: string;
  readonly encoded: string;
  readonly cost: { params: number; macs: number; peakActivationBytes: number; memoryTrafficBytes: number };
}

interface CandidateWrite extends GenomeRecord {
  readonly quality: { psnr: number; ssim: number } | null;
  /** Per target: its latency figure from the measurement (median or fastest run, as the target asks). */
  readonly measured: Readonly<
    Record<string, { latencyMs: number; peakMemoryMb: number | null; measurementId: string }>
  >;
  readonly predicted?: Readonly<Record<string, { meanMs: number; stdMs: number; predictorVersion: string }>>;
  readonly objectives: readonly number[];
  readonly violation: number;
  readonly rank: number;
  readonly error?: string;
}

export interface GenerationRecord {
  readonly searchId: string;
  readonly index: number;
  readonly costModelVersion: string;
  readonly referenceInput: { readonly height: number; readonly width: number };
  readonly candidates: readonly CandidateWrite[];
  readonly population: readonly { hash: string; rank: number; objectives: readonly number[]; violation: number }[];
  readonly front: readonly string[];
  readonly hypervolume: number | null;
  readonly state: unknown;
}

function architectureRows(
  genomes: readonly GenomeRecord[],
  costModelVersion: string,
  referenceInput: { readonly height: number; readonly width: number },
) {
  return genomes.map((m) => ({
    hash: m.hash,
    genome: m.genome,
    costModelVersion,
    params: BigInt(m.cost.params),
    macs: BigInt(m.cost.macs),
    peakActivationBytes: BigInt(m.cost.peakActivationBytes),
    memoryTrafficBytes: BigInt(m.cost.memoryTrafficBytes),
    referenceInputHeight: referenceInput.height,
    referenceInputWidth: referenceInput.width,
  }));
}

/** Searches, their generations and candidates, over Prisma. */
export class SearchRepository {
  constructor(private readonly db: Db) {}

  async create(input: { name: string; spec: object; seed: number; scheduleId?: string }): Promise<{ id: string }> {
    return this.db.search.create({
      data: { name: input.name, spec: input.spec, seed: input.seed, scheduleId: input.scheduleId ?? null },
      select: { id: true },
    });
  }

  getSearch(id: string) {
    return this.db.search.findUnique({
      where: { id },
      select: { id: true, status: true, spec: true, seed: true, lastGeneration: true, startedAt: true },
    });
  }

  /** Ids of searches still queued or running, oldest first. */
  async unfinishedSearchIds(): Promise<string[]> {
    const rows = await this.db.search.findMany({
      where: { status: { in: [...SEARCH_STATUSES_IN_FLIGHT] } },
      orderBy: { createdAt: "asc" },
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  /** The algorithm state stored with a generation (null if the generation or its state is missing). */
  async generationState(searchId: string, index: number): Promise<unknown> {
    const row = await this.db.generation.findUnique({
      where: { searchId_index: { searchId, index } },
      select: { state: true },
    });
    return row?.state ?? null;
  }

  async supernetSpace(supernetId: string): Promise<unknown> {
    const row = await this.db.supernet.findUnique({ where: { id: supernetId }, select: { searchSpace: true } });
    return row?.searchSpace ?? null;
  }

  async latestCheckpointStep(supernetId: string): Promise<number | null> {
    const row = await this.db.supernetCheckpoint.findFirst({
      where: { supernetId },
      orderBy: { step: "desc" },
      select: { step: true },
    });
    return row?.step ?? null;
  }

  /** Architecture rows (shared across searches, keyed by genome hash); existing rows are left as they are. */
  async ensureArchitectures(
    genomes: readonly GenomeRecord[],
    costModelVersion: string,
    referenceInput: { height: number; width: number },
  ): Promise<void> {
    await this.db.architecture.createMany({
      data: architectureRows(genomes, costModelVersion, referenceInput),
      skipDuplicates: true,
    });
  }

  /** Stored measurements by request key: median and fastest-run latency, reported peak memory and the row id. */
  async measurementsByRequestKey(
    keys: readonly string[],
  ): Promise<Map<string, { medianMs: number; minMs: number; peakMemoryMb: number | null; measurementId: string }>> {
    const rows = await this.db.measurement.findMany({
      where: { requestKey: { in: [...keys] } },
      select: { id: true, requestKey: true, medianMs: true, minMs: true, peakMemoryMb: true },
    });
    return new Map(
      rows.map((r) => [
        r.requestKey,
        { medianMs: r.medianMs, minMs: r.minMs, peakMemoryMb: r.peakMemoryMb, measurementId: r.id },
      ]),
    );
  }

  async markRunning(id: string): Promise<void> {
    await this.db.search.updateMany({
      where: { id, status: { in: [...SEARCH_STATUSES_IN_FLIGHT] } },
      data: { status: "running" },
    });
    await this.db.search.updateMany({ where: { id, startedAt: null }, data: { startedAt: new Date() } });
  }

  async writeGeneration(generation: GenerationRecord): Promise<void> {
    try {
      await this.writeGenerationOnce(generation);
    } catch (error) {
      // Another worker wrote this generation between our check and our insert: the result is stored once.
      if (isUniqueViolation(error)) return;
      throw error;
    }
  }

  private async writeGenerationOnce(generation: GenerationRecord): Promise<void> {
    const { searchId, index, candidates, costModelVersion, referenceInput } = generation;
    await this.db.$transaction(async (tx) => {
      // The unique (searchId, index) key makes a replayed generation a no-op: if it is already stored, stop here.
      const existing = await tx.generation.findUnique({
        where: { searchId_index: { searchId, index } },
        select: { id: true },
      });
      if (existing) return;
      await tx.architecture.createMany({
        data: architectureRows(candidates, costModelVersion, referenceInput),
        skipDuplicates: true,
      });
      // A genome met again in a later generation keeps the row of the generation that first evaluated it.
      await tx.candidate.createMany({
        data: candidates.map((m) => ({
          searchId,
          generationIndex: index,
          genome: m.genome,
          genomeHash: m.hash,
          psnr: m.quality?.psnr ?? null,
          ssim: m.quality?.ssim ?? null,
          rank: m.rank,
          feasible: m.violation === 0,
          error: m.error ?? null,
        })),
        skipDuplicates: true,
      });
      const ids = await tx.candidate.findMany({
        where: { searchId, genomeHash: { in: candidates.map((m) => m.hash) } },
        select: { id: true, genomeHash: true },
      });
      const idOf = new Map(ids.map((r) => [r.genomeHash, r.id]));
      await tx.candidateLatency.createMany({
        // Measured and predicted latency of a target share one row, in their own columns.
        data: candidates.flatMap((m) =>
          [...new Set([...Object.keys(m.measured), ...Object.keys(m.predicted ?? {})])].map((target) => {
            const l = m.measured[target];
            const p = m.predicted?.[target];
            return {
              candidateId: idOf.get(m.hash) ?? "",
              target,
              measuredMs: l?.latencyMs ?? null,
              measuredPeakMemMb: l?.peakMemoryMb ?? null,
              measurementId: l?.measurementId ?? null,
              predictedMs: p?.meanMs ?? null,
              predictedStdMs: p?.stdMs ?? null,
              predictorVersion: p?.predictorVersion ?? null,
            };
          }),
        ),
        skipDuplicates: true,
      });
      // Ranks in the population after selection: the latest generation's word on each survivor.
      for (const rank of new Set(generation.population.map((p) => p.rank))) {
        await tx.candidate.updateMany({
          where: {
            searchId,
            genomeHash: { in: generation.population.filter((p) => p.rank === rank).map((p) => p.hash) },
          },
          data: { rank },
        });
      }
      await tx.generation.create({
        data: {
          searchId,
          index,
          population: generation.population.map((p) => ({ ...p, objectives: [...p.objectives] })),
          front: [...generation.front],
          hypervolume: generation.hypervolume,
          state: generation.state as Prisma.InputJsonValue,
        },
      });
      await tx.search.update({ where: { id: searchId }, data: { lastGeneration: index } });
    });
  }

  /** Why this search's candidates failed for good, one entry per failed candidate. */
  async candidateErrors(searchId: string): Promise<string[]> {
    const rows = await this.db.candidate.findMany({
      where: { searchId, error: { not: null } },
      select: { error: true },
    });
    return rows.flatMap((r) => (r.error === null ? [] : [r.error]));
  }

  async finish(
    id: string,
    outcome: { status: "succeeded" | "failed" | "cancelled"; error?: string; result?: unknown },
  ): Promise<void> {
    await this.db.search.updateMany({
      where: { id, status: { in: [...SEARCH_STATUSES_IN_FLIGHT] } },
      data: {
        status: outcome.status,
        error: outcome.error ?? null,
        finishedAt: new Date(),
        ...(outcome.result !== undefined ? { result: outcome.result as Prisma.InputJsonValue } : {}),
      },
    });
  }

  async cancel(id: string): Promise<boolean> {
    const { count } = await this.db.search.updateMany({
      where: { id, status: { in: [...SEARCH_STATUSES_IN_FLIGHT] } },
      data: { status: "cancelled", finishedAt: new Date() },
    });
    return count === 1;
  }
}
