import type { Db } from "../client.ts";
import type { ArtifactKind, Prisma } from "../generated/prisma/client.ts";
import { decodeTimeCursor, encodeTimeCursor, toPage, type PageRequest } from "./page.ts";
import { ARTIFACT_SUMMARY } from "./search-query.repository.ts";

/** Metadata of stored artifacts (the bytes come from the artifact store). */
export class ArtifactQueryRepository {
  constructor(private readonly db: Db) {}

  get(sha256: string) {
    return this.db.artifact.findUnique({ where: { sha256 }, select: ARTIFACT_SUMMARY });
  }

  async list(filters: { kind?: ArtifactKind | undefined; genomeHash?: string | undefined }, page: PageRequest) {
    const where: Prisma.ArtifactWhereInput = {
      ...(filters.kind !== undefined ? { kind: filters.kind } : {}),
      ...(filters.genomeHash !== undefined ? { metadata: { path: ["genomeHash"], equals: filters.genomeHash } } : {}),
    };
    // Artifacts are keyed by their digest: pages follow (createdAt desc, sha256 desc).
    const rows = await this.db.artifact.findMany({
      where: { AND: [where, olderThanArtifact(page.cursor)] },
      orderBy: [{ createdAt: "desc" }, { sha256: "desc" }],
      take: page.limit + 1,
      select: ARTIFACT_SUMMARY,
    });
    return toPage(rows, page.limit, (r) => encodeTimeCursor({ createdAt: r.createdAt, id: r.sha256 }));
  }

  /**
   * Latency-predictor reports: artifacts of kind `report` whose metadata says
   * `{ "report": "latency-predictor", "deviceClass": ... }` (what the latency package stores with each fit).
   */
  predictorReports(deviceClass?: string) {
    return this.db.artifact.findMany({
      where: {
        kind: "report",
        AND: [
          { metadata: { path: ["report"], equals: "latency-predictor" } },
          ...(deviceClass !== undefined ? [{ metadata: { path: ["deviceClass"], equals: deviceClass } }] : []),
        ],
      },
      orderBy: { createdAt: "desc" },
      select: ARTIFACT_SUMMARY,
    });
  }

  /** The runner binary uploaded last for an Android ABI (`kind: runner`, `metadata.abi`), or null. */
  latestRunner(abi: string) {
    return this.db.artifact.findFirst({
      where: { kind: "runner", metadata: { path: ["abi"], equals: abi } },
      orderBy: [{ createdAt: "desc" }, { sha256: "desc" }],
      select: ARTIFACT_SUMMARY,
    });
  }

  /** Which of these digests no stored artifact has. */
  async missing(digests: readonly string[]): Promise<string[]> {
    const found = await this.db.artifact.findMany({
      where: { sha256: { in: [...digests] } },
      select: { sha256: true },
    });
    const present = new Set(found.map((row) => row.sha256));
    return [...new Set(digests)].filter((sha) => !present.has(sha));
  }
}

function olderThanArtifact(cursor: string | undefined): Prisma.ArtifactWhereInput {
  if (cursor === undefined) return {};
  const { at, id } = decodeTimeCursor(cursor);
  return { OR: [{ createdAt: { lt: at } }, { createdAt: at, sha256: { lt: id } }] };
}
