/**
 * Which candidates of a batch are worth a device measurement (active calibration): those whose measurement could
 * change a decision of the search.
 * - near-limit: the latency limit lies inside the candidate's uncertainty band (mean ± z·std), so the measurement
 *   decides whether it is feasible.
 * - near-front: the candidate's optimistic objective vector (latency at mean - z·std) is not dominated by the
 *   known front nor by any other batch member's pessimistic vector (latency at mean + z·std): it could be on the
 *   front, and where it lies there shapes the front.
 * Everything else keeps its prediction: it is clearly dominated, or clearly on one side of the limit.
 *
 * With `limit`, at most that many are chosen, the most decision-relevant first: near-limit candidates by how close
 * the limit is to their mean (in standard deviations), then near-front ones by their relative uncertainty.
 */
import { dominates } from "@mfnas/core";

export interface ActiveCandidate {
  readonly hash: string;
  readonly meanMs: number;
  readonly stdMs: number;
  /** The candidate's minimised objective vector and constraint violation if its latency were `ms`. */
  readonly fitness: (ms: number) => { readonly objectives: readonly number[]; readonly violation: number };
}

export interface ActiveSelection {
  readonly candidates: readonly ActiveCandidate[];
  /** Objective vectors of the current front (feasible, non-dominated). */
  readonly front: readonly (readonly number[])[];
  /** The target's latency limit, if it has one. */
  readonly maxLatencyMs?: number;
  /** Width of the uncertainty band in standard deviations. Default 2. */
  readonly z?: number;
  /** Most candidates to choose. Default: no limit. */
  readonly limit?: number;
}

export type MeasureReason = "near-limit" | "near-front";

/** The hashes to measure, each with why, most decision-relevant first. */
export function selectForMeasurement(selection: ActiveSelection): Map<string, MeasureReason> {
  const z = selection.z ?? 2;
  const limit = selection.maxLatencyMs;
  const pessimistic = selection.candidates.map((c) => ({
    hash: c.hash,
    ...c.fitness(c.meanMs + z * c.stdMs),
  }));
  const chosen: { hash: string; reason: MeasureReason; priority: number }[] = [];
  for (const c of selection.candidates) {
    const band = z * c.stdMs;
    if (!Number.isFinite(band)) {
      chosen.push({ hash: c.hash, reason: "near-front", priority: Number.POSITIVE_INFINITY });
      continue;
    }
    if (limit !== undefined && Math.abs(c.meanMs - limit) <= band) {
      // 1 + (1 - distance in bands): every near-limit candidate ranks above every near-front one.
      chosen.push({ hash: c.hash, reason: "near-limit", priority: 2 - Math.abs(c.meanMs - limit) / (band || 1) });
      continue;
    }
    const optimistic = c.fitness(Math.max(0, c.meanMs - band));
    if (optimistic.violation > 0) continue;
    const beaten =
      selection.front.some((f) => dominates(f, optimistic.objectives)) ||
      pessimistic.some((p) => p.hash !== c.hash && p.violation === 0 && dominates(p.objectives, optimistic.objectives));
    if (!beaten) {
      chosen.push({ hash: c.hash, reason: "near-front", priority: Math.min(1, c.meanMs > 0 ? c.stdMs / c.meanMs : 1) });
    }
  }
  const ranked = chosen.sort((a, b) => b.priority - a.priority).slice(0, selection.limit ?? chosen.length);
  return new Map(ranked.map((c) => [c.hash, c.reason]));
}
