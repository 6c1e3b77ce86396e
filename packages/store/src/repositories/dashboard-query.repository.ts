import { schemaOf, type Db } from "../client.ts";
import { quoteIdent } from "../database-url.ts";
import { Prisma } from "../generated/prisma/client.ts";

/** One phone's benchmark time in a window, from its Measurement rows. */
export interface DeviceBusyRow {
  deviceId: string;
  /** Measurements recorded in the window. */
  measurements: number;
  /** Sum of the wall time of every benchmark repetition of those measurements, in ms. */
  busyMs: number;
  /** Measurements without per-repetition wall times (counted, not timed). */
  untimed: number;
  lastMeasuredAt: Date | null;
}

/** Reads the dashboard needs beyond the other query repositories: a search's final result and lab utilization. */
export class DashboardQueryRepository {
  constructor(private readonly db: Db) {}

  /** The search's status and its stored result (null until the searcher has finished it). */
  searchResult(id: string): Promise<{ status: string; finishedAt: Date | null; result: Prisma.JsonValue } | null> {
    return this.db.search.findUnique({ where: { id }, select: { status: true, finishedAt: true, result: true } });
  }

  /** Candidate ids of a search by genome hash. */
  async candidateIds(searchId: string, hashes: readonly string[]): Promise<Map<string, string>> {
    const rows = await this.db.candidate.findMany({
      where: { searchId, genomeHash: { in: [...hashes] } },
      select: { id: true, genomeHash: true },
    });
    return new Map(rows.map((r) => [r.genomeHash, r.id]));
  }

  /**
   * Benchmark time per phone for measurements recorded since `since`: the device lab stores each repetition's
   * wall time in `conditions.perRepetition[].wallMs`, so busy time is their sum (push, cool-down waits and health
   * reads excluded). A repetition that began before `since` counts whole.
   */
  async busyTime(since: Date): Promise<DeviceBusyRow[]> {
    const rows = await this.db.$queryRaw<
      { deviceId: string; measurements: bigint; busyMs: number | null; untimed: bigint; lastMeasuredAt: Date | null }[]
    >`
      SELECT m."deviceId",
             COUNT(*) AS measurements,
             COALESCE(SUM(w.wall), 0)::float8 AS "busyMs",
             COUNT(*) FILTER (WHERE w.wall IS NULL) AS untimed,
             MAX(m."createdAt") AS "lastMeasuredAt"
      FROM ${Prisma.raw(`${quoteIdent(schemaOf(this.db))}."Measurement"`)} m
      LEFT JOIN LATERAL (
        SELECT SUM((r->>'wallMs')::float8) AS wall
        FROM jsonb_array_elements(
          CASE WHEN jsonb_typeof(m."conditions"->'perRepetition') = 'array'
               THEN m."conditions"->'perRepetition' ELSE '[]'::jsonb END
        ) r
        WHERE jsonb_typeof(r->'wallMs') = 'number'
      ) w ON true
      WHERE m."createdAt" >= ${since}
      GROUP BY m."deviceId"`;
    return rows.map((r) => ({
      deviceId: r.deviceId,
      measurements: Number(r.measurements),
      busyMs: r.busyMs ?? 0,
      untimed: Number(r.untimed),
      lastMeasuredAt: r.lastMeasuredAt,
    }));
  }
}
