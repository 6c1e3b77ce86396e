import type { Db } from "../client.ts";
import type { Prisma, SupernetStatus } from "../generated/prisma/client.ts";
import { encodeTimeCursor, olderThan, toPage, type Page, type PageRequest } from "./page.ts";

const SUPERNET_SUMMARY = {
  id: true,
  name: true,
  status: true,
  step: true,
  error: true,
  createdAt: true,
  updatedAt: true,
  startedAt: true,
  finishedAt: true,
} as const satisfies Prisma.SupernetSelect;

export type SupernetSummary = Prisma.SupernetGetPayload<{ select: typeof SUPERNET_SUMMARY }>;

/** The API's reads of supernets, their checkpoints and training progress (the trainer writes them). */
export class SupernetQueryRepository {
  constructor(private readonly db: Db) {}

  async list(filters: { status?: readonly SupernetStatus[] | undefined }, page: PageRequest) {
    const rows = await this.db.supernet.findMany({
      where: {
        AND: [
          filters.status && filters.status.length > 0 ? { status: { in: [...filters.status] } } : {},
          olderThan(page.cursor),
        ],
      },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: page.limit + 1,
      select: SUPERNET_SUMMARY,
    });
    return toPage(rows, page.limit, encodeTimeCursor) satisfies Page<SupernetSummary>;
  }

  detail(id: string) {
    return this.db.supernet.findUnique({
      where: { id },
      select: {
        ...SUPERNET_SUMMARY,
        searchSpace: true,
        trainingConfig: true,
        checkpoints: {
          orderBy: { step: "asc" },
          select: { step: true, artifactSha256: true, metrics: true, createdAt: true },
        },
        progress: {
          orderBy: { step: "desc" },
          take: 1,
          select: { step: true, losses: true, imagesPerSecond: true, createdAt: true },
        },
      },
    });
  }

  status(id: string) {
    return this.db.supernet.findUnique({
      where: { id },
      select: { id: true, status: true, step: true, error: true, updatedAt: true },
    });
  }

  progressAfter(id: string, step: number, limit: number) {
    return this.db.supernetProgress.findMany({
      where: { supernetId: id, step: { gt: step } },
      orderBy: { step: "asc" },
      take: limit,
      select: { step: true, losses: true, imagesPerSecond: true, createdAt: true },
    });
  }

  checkpointsAfter(id: string, step: number) {
    return this.db.supernetCheckpoint.findMany({
      where: { supernetId: id, step: { gt: step } },
      orderBy: { step: "asc" },
      select: { step: true, artifactSha256: true, metrics: true, createdAt: true },
    });
  }

  /** Undoes a create whose training job could not be queued. */
  async discard(id: string): Promise<void> {
    await this.db.supernet.deleteMany({ where: { id, status: "queued", step: 0 } });
  }
}
