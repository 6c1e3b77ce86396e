import { paretoFront } from "@mfnas/core";
import type { LatencyChoice } from "@mfnas/store";

/** A candidate's figures as the front ranks it: quality up, the cost `x` (latency, or a cost-model axis) down. */
export interface FrontCandidate {
  readonly id: string;
  readonly quality: number;
  readonly x: number;
}

/**
 * The reference front for checking the one the API computes in Postgres: membership by core's paretoFront, in the
 * SQL front's order (x ascending, then quality descending, then id). Of candidates with equal figures the SQL
 * keeps the first in that order, so the oracle does too.
 */
export function referenceFront<T extends FrontCandidate>(candidates: readonly T[]): T[] {
  const members = paretoFront(candidates.map((c) => ({ c, objectives: [-c.quality, c.x], violation: 0 })));
  const ordered = members
    .map((m) => m.c)
    .sort((a, b) => a.x - b.x || b.quality - a.quality || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return ordered.filter((c, i) => {
    const before = ordered[i - 1];
    return !before || before.x !== c.x || before.quality !== c.quality;
  });
}

/** The latency a front ranks a candidate by, and which figure it is; null when the choice has none. */
export function latencyFor(
  row: { measuredMs: number | null; predictedMs: number | null },
  choice: LatencyChoice,
): { ms: number; basis: "measured" | "predicted" } | null {
  switch (choice) {
    case "measured":
      return row.measuredMs === null ? null : { ms: row.measuredMs, basis: "measured" };
    case "predicted":
      return row.predictedMs === null ? null : { ms: row.predictedMs, basis: "predicted" };
    case "measured-else-predicted":
      if (row.measuredMs !== null) return { ms: row.measuredMs, basis: "measured" };
      return row.predictedMs === null ? null : { ms: row.predictedMs, basis: "predicted" };
  }
}
