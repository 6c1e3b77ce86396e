import { MfnasError } from "@mfnas/core";
import type { Db } from "../client.ts";
import type { MissedRunPolicy, Prisma, SearchStatus } from "../generated/prisma/client.ts";
import { isUniqueViolation } from "./errors.ts";
import type { SearchRow } from "./search-row.ts";

const TIMING = {
  id: true,
  name: true,
  cron: true,
  timezone: true,
  enabled: true,
  missedRunPolicy: true,
  createdAt: true,
  updatedAt: true,
} as const satisfies Prisma.ScheduleSelect;

/** What the scheduler keeps its job schedulers in sync with. */
export interface ScheduleTimingRow {
  readonly id: string;
  readonly name: string;
  readonly cron: string;
  readonly timezone: string;
  readonly enabled: boolean;
  readonly missedRunPolicy: MissedRunPolicy;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A slot's outcome: the search it started (null for a slot skipped by the missed-run policy). */
export interface SlotRun {
  readonly runId: string;
  readonly searchId: string | null;
  /** False when the slot had been recorded before (another replica, or an earlier attempt). */
  readonly created: boolean;
}

/** One run of a schedule with its search's final front figures, for "tonight compared with earlier nights". */
export interface FrontTrendPoint {
  readonly runId: string;
  readonly slot: Date;
  readonly searchId: string | null;
  readonly searchName: string | null;
  readonly status: SearchStatus | "skipped";
  readonly finishedAt: Date | null;
  /** Generations the search stored. */
  readonly generations: number;
  /** Hypervolume of the final front (Search.result.hypervolume, else the last generation's); null when unknown. */
  readonly hypervolume: number | null;
  /** Members of the final front (Search.result.front, else the last generation's front); null when unknown. */
  readonly frontSize: number | null;
}

export interface FrontTrend {
  /** Newest slot first. */
  readonly runs: FrontTrendPoint[];
  readonly comparison: FrontComparison;
}

/** The newest run with a hypervolume against the earlier ones (absent figures are null). */
export interface FrontComparison {
  readonly latest: FrontTrendPoint | null;
  readonly previous: FrontTrendPoint | null;
  /** latest - previous hypervolume. */
  readonly changeFromPrevious: number | null;
  readonly bestEarlierHypervolume: number | null;
  readonly meanEarlierHypervolume: number | null;
  /** Whether the latest front's hypervolume is at least the best of the earlier ones. */
  readonly latestIsBest: boolean | null;
}

/** Compares the newest run that has a hypervolume with the earlier runs that have one. */
export function compareFronts(runs: readonly FrontTrendPoint[]): FrontComparison {
  const scored = runs.filter((r) => r.hypervolume !== null);
  const latest = scored[0] ?? null;
  const earlier = scored.slice(1).map((r) => r.hypervolume ?? 0);
  const previous = scored[1] ?? null;
  const best = earlier.length > 0 ? Math.max(...earlier) : null;
  return {
    latest,
    previous,
    changeFromPrevious:
      latest?.hypervolume != null && previous?.hypervolume != null ? latest.hypervolume - previous.hypervolume : null,
    bestEarlierHypervolume: best,
    meanEarlierHypervolume: earlier.length > 0 ? earlier.reduce((a, b) => a + b, 0) / earlier.length : null,
    latestIsBest: latest?.hypervolume != null && best !== null ? latest.hypervolume >= best : null,
  };
}

function resultFigures(result: unknown): { hypervolume: number | null; frontSize: number | null } {
  if (typeof result !== "object" || result === null) return { hypervolume: null, frontSize: null };
  const r = result as { hypervolume?: unknown; front?: unknown };
  return {
    hypervolume: typeof r.hypervolume === "number" ? r.hypervolume : null,
    frontSize: Array.isArray(r.front) ? r.front.length : null,
  };
}

/**
 * The scheduler's writes: one search and one ScheduleRun per slot, made exactly once whatever the number of
 * replicas (the unique (scheduleId, slot) key decides), and the per-schedule history of fronts.
 */
export class ScheduleRunRepository {
  constructor(private readonly db: Db) {}

  /** Every schedule with its timing, enabled or not. */
  timings(): Promise<ScheduleTimingRow[]> {
    return this.db.schedule.findMany({ select: TIMING, orderBy: { createdAt: "asc" } });
  }

  /** A schedule with its search spec, as a fire job reads it. */
  schedule(id: string) {
    return this.db.schedule.findUnique({
      where: { id },
      select: { ...TIMING, searchSpec: true },
    });
  }

  /** The slot's recorded run, if any. */
  run(scheduleId: string, slot: Date): Promise<{ id: string; searchId: string | null } | null> {
    return this.db.scheduleRun.findUnique({
      where: { scheduleId_slot: { scheduleId, slot } },
      select: { id: true, searchId: true },
    });
  }

  /** The newest recorded slot of a schedule. */
  async lastSlot(scheduleId: string): Promise<Date | null> {
    const row = await this.db.scheduleRun.findFirst({
      where: { scheduleId },
      orderBy: { slot: "desc" },
      select: { slot: true },
    });
    return row?.slot ?? null;
  }

  /**
   * Creates the slot's Search and ScheduleRun in one transaction, or returns the run recorded before. Two
   * replicas racing on one slot: one insert of the ScheduleRun fails on its unique key and its transaction,
   * search included, rolls back.
   */
  async startRun(scheduleId: string, slot: Date, search: SearchRow): Promise<SlotRun> {
    const existing = await this.run(scheduleId, slot);
    if (existing) return { runId: existing.id, searchId: existing.searchId, created: false };
    if (search.supernetId !== null && (await this.db.supernet.count({ where: { id: search.supernetId } })) === 0) {
      const message = `searchSpec.supernet.id: no supernet ${search.supernetId}`;
      throw new MfnasError("invalid_input", message, { fields: [message] });
    }
    try {
      return await this.db.$transaction(async (tx) => {
        const created = await tx.search.create({
          data: { ...search, scheduleId },
          select: { id: true },
        });
        const run = await tx.scheduleRun.create({
          data: { scheduleId, slot, searchId: created.id },
          select: { id: true },
        });
        return { runId: run.id, searchId: created.id, created: true };
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const winner = await this.run(scheduleId, slot);
      if (!winner) throw error;
      return { runId: winner.id, searchId: winner.searchId, created: false };
    }
  }

  /** Records a slot skipped by the missed-run policy (a run without a search), once. */
  async recordSkipped(scheduleId: string, slot: Date): Promise<SlotRun> {
    const { count } = await this.db.scheduleRun.createMany({
      data: [{ scheduleId, slot, searchId: null }],
      skipDuplicates: true,
    });
    const run = await this.run(scheduleId, slot);
    if (!run) throw new MfnasError("not_found", `schedule ${scheduleId} does not exist`, { scheduleId });
    return { runId: run.id, searchId: run.searchId, created: count === 1 };
  }

  /**
   * The newest `limit` runs of a schedule with their search's final front hypervolume and size, and the newest
   * scored run compared with the earlier ones: what a dashboard plots as the nightly trend.
   */
  async frontTrend(scheduleId: string, limit = 30): Promise<FrontTrend> {
    const runs = await this.db.scheduleRun.findMany({
      where: { scheduleId },
      orderBy: [{ slot: "desc" }, { id: "desc" }],
      take: Math.max(1, Math.min(limit, 1_000)),
      select: {
        id: true,
        slot: true,
        searchId: true,
        search: { select: { name: true, status: true, finishedAt: true, lastGeneration: true, result: true } },
      },
    });
    const lastGenerations = runs.flatMap((r) =>
      r.searchId !== null && r.search?.lastGeneration != null
        ? [{ searchId: r.searchId, index: r.search.lastGeneration }]
        : [],
    );
    const generations =
      lastGenerations.length > 0
        ? await this.db.generation.findMany({
            where: { OR: lastGenerations },
            select: { searchId: true, hypervolume: true, front: true },
          })
        : [];
    const generationOf = new Map(generations.map((g) => [g.searchId, g]));
    const points = runs.map((r): FrontTrendPoint => {
      const search = r.search;
      const fromResult = resultFigures(search?.result);
      const last = r.searchId !== null ? generationOf.get(r.searchId) : undefined;
      return {
        runId: r.id,
        slot: r.slot,
        searchId: r.searchId,
        searchName: search?.name ?? null,
        status: search?.status ?? "skipped",
        finishedAt: search?.finishedAt ?? null,
        generations: (search?.lastGeneration ?? -1) + 1,
        hypervolume: fromResult.hypervolume ?? last?.hypervolume ?? null,
        frontSize: fromResult.frontSize ?? (Array.isArray(last?.front) ? last.front.length : null),
      };
    });
    return { runs: points, comparison: compareFronts(points) };
  }
}
