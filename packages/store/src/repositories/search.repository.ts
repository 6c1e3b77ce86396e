import type { Db } from "../client.ts";
import { isUniqueViolation } from "./errors.ts";

/** Structural copies of the searcher's port types; the searcher owns the interface, this class satisfies it. */
interface GenerationMember {
  readonly genome: object;
  readonly hash: string;
  readonly encoded: string;
  readonly cost: { params: number; macs: number; peakActivationBytes: number; memoryTrafficBytes: number };
}

export interface GenerationRecord {
  readonly searchId: string;
  readonly index: number;
  readonly members: readonly GenerationMember[];
  readonly costModelVersion: string;
  readonly referenceInput: { readonly height: number; readonly width: number };
}

export type SearchStatusValue = "queued" | "running" | "succeeded" | "failed" | "cancelled";

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
      select: { id: true, status: true, spec: true, seed: true, lastGeneration: true },
    });
  }

  async markRunning(id: string): Promise<void> {
    await this.db.search.updateMany({
      where: { id, status: { in: ["queued", "running"] } },
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
    const { searchId, index, members, costModelVersion, referenceInput } = generation;
    await this.db.$transaction(async (tx) => {
      // The unique (searchId, index) key makes a replayed generation a no-op: if it is already stored, stop here.
      const existing = await tx.generation.findUnique({
        where: { searchId_index: { searchId, index } },
        select: { id: true },
      });
      if (existing) return;
      await tx.architecture.createMany({
        data: members.map((m) => ({
          hash: m.hash,
          genome: m.genome,
          costModelVersion,
          params: BigInt(m.cost.params),
          macs: BigInt(m.cost.macs),
          peakActivationBytes: BigInt(m.cost.peakActivationBytes),
          memoryTrafficBytes: BigInt(m.cost.memoryTrafficBytes),
          referenceInputHeight: referenceInput.height,
          referenceInputWidth: referenceInput.width,
        })),
        skipDuplicates: true,
      });
      await tx.candidate.createMany({
        data: members.map((m) => ({ searchId, generationIndex: index, genome: m.genome, genomeHash: m.hash })),
        skipDuplicates: true,
      });
      await tx.generation.create({
        data: { searchId, index, population: members.map((m) => ({ hash: m.hash, genome: m.encoded })), front: [] },
      });
      await tx.search.update({ where: { id: searchId }, data: { lastGeneration: index } });
    });
  }

  async finish(id: string, outcome: { status: "succeeded" | "failed" | "cancelled"; error?: string }): Promise<void> {
    await this.db.search.updateMany({
      where: { id, status: { in: ["queued", "running"] } },
      data: { status: outcome.status, error: outcome.error ?? null, finishedAt: new Date() },
    });
  }

  async cancel(id: string): Promise<boolean> {
    const { count } = await this.db.search.updateMany({
      where: { id, status: { in: ["queued", "running"] } },
      data: { status: "cancelled", finishedAt: new Date() },
    });
    return count === 1;
  }
}
