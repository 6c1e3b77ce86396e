import type { Db } from "../client.ts";
import { isUniqueViolation } from "./errors.ts";

export type SupernetStatusValue = "queued" | "training" | "ready" | "failed" | "cancelled";

/** Supernets, their checkpoints and training progress, over Prisma (the trainer's `SupernetStore`). */
export class SupernetRepository {
  constructor(private readonly db: Db) {}

  async create(input: { name: string; searchSpace: object; trainingConfig: object }): Promise<{ id: string }> {
    return this.db.supernet.create({
      data: {
        name: input.name,
        searchSpace: input.searchSpace,
        trainingConfig: input.trainingConfig,
      },
      select: { id: true },
    });
  }

  getSupernet(id: string) {
    return this.db.supernet.findUnique({ where: { id }, select: { id: true, status: true, trainingConfig: true } });
  }

  /** Ids of supernets still queued or training, oldest first. */
  async unfinishedSupernetIds(): Promise<string[]> {
    const rows = await this.db.supernet.findMany({
      where: { status: { in: ["queued", "training"] } },
      orderBy: { createdAt: "asc" },
      select: { id: true },
    });
    return rows.map((r) => r.id);
  }

  async getStatus(id: string): Promise<SupernetStatusValue | null> {
    return (await this.db.supernet.findUnique({ where: { id }, select: { status: true } }))?.status ?? null;
  }

  async markTraining(id: string): Promise<void> {
    await this.db.supernet.updateMany({
      where: { id, status: { in: ["queued", "training"] } },
      data: { status: "training" },
    });
    await this.db.supernet.updateMany({ where: { id, startedAt: null }, data: { startedAt: new Date() } });
  }

  /** Someone else's cancel: the trainer notices it within one step. */
  async cancel(id: string): Promise<void> {
    await this.db.supernet.updateMany({
      where: { id, status: { in: ["queued", "training"] } },
      data: { status: "cancelled", finishedAt: new Date() },
    });
  }

  async finish(id: string, outcome: { status: "ready" | "failed"; error?: string }): Promise<void> {
    await this.db.supernet.updateMany({
      where: { id, status: { in: ["queued", "training"] } },
      data: { status: outcome.status, error: outcome.error ?? null, finishedAt: new Date() },
    });
  }

  latestCheckpoint(id: string): Promise<{ step: number; artifactSha256: string } | null> {
    return this.db.supernetCheckpoint.findFirst({
      where: { supernetId: id },
      orderBy: { step: "desc" },
      select: { step: true, artifactSha256: true },
    });
  }

  async recordCheckpoint(c: {
    supernetId: string;
    step: number;
    artifactSha256: string;
    metrics: Record<string, number>;
  }): Promise<void> {
    try {
      await this.db.$transaction([
        this.db.supernetCheckpoint.createMany({
          data: [{ supernetId: c.supernetId, step: c.step, artifactSha256: c.artifactSha256, metrics: c.metrics }],
          skipDuplicates: true,
        }),
        this.db.supernet.updateMany({ where: { id: c.supernetId, step: { lt: c.step } }, data: { step: c.step } }),
      ]);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
  }

  async recordProgress(p: {
    supernetId: string;
    step: number;
    losses: Record<string, number>;
    imagesPerSecond: number;
  }): Promise<void> {
    // Upsert: a run resumed after a crash recomputes steps past its checkpoint and its values are the ones kept.
    await this.db.supernetProgress.upsert({
      where: { supernetId_step: { supernetId: p.supernetId, step: p.step } },
      create: { supernetId: p.supernetId, step: p.step, losses: p.losses, imagesPerSecond: p.imagesPerSecond },
      update: { losses: p.losses, imagesPerSecond: p.imagesPerSecond },
    });
  }

  progress(id: string) {
    return this.db.supernetProgress.findMany({
      where: { supernetId: id },
      orderBy: { step: "asc" },
      select: { step: true, losses: true, imagesPerSecond: true },
    });
  }
}
