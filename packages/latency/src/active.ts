/**
 * Which candidates of a batch are worth a device measurement (active calibration): those whose predicted latency
 * is uncertain near a latency limit, and those that could be on the current Pareto front. A candidate is "could be
 * on the front" when its optimistic objective vector (latency at mean - z*std) is not dominated by the known front
 * nor by any other batch member's pessimistic vector (latency at mean + z*std). Everything else keeps its
 * prediction: it is either clearly dominated or clearly on one side of the limit.
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
}

export type MeasureReason = "near-limit" | "near-front";

/** The hashes to measure, each with why. */
export function selectForMeasurement(selection: ActiveSelection): Map<string, MeasureReason> {
  const z = selection.z ?? 2;
  const chosen = new Map<string, MeasureReason>();
  const limit = selection.maxLatencyMs;
  const pessimistic = selection.candidates.map((c) => ({
    hash: c.hash,
    ...c.fitness(c.meanMs + z * c.stdMs),
  }));
  for (const c of selection.candidates) {
    const band = z * c.stdMs;
    if (!Number.isFinite(band)) {
      chosen.set(c.hash, "near-front");
      continue;
    }
    if (limit !== undefined && Math.abs(c.meanMs - limit) <= band) {
      chosen.set(c.hash, "near-limit");
      continue;
    }
    const optimistic = c.fitness(Math.max(0, c.meanMs - band));
    if (optimistic.violation > 0) continue;
    const beaten =
      selection.front.some((f) => dominates(f, optimistic.objectives)) ||
      pessimistic.some((p) => p.hash !== c.hash && p.violation === 0 && dominates(p.objectives, optimistic.objectives));
    if (!beaten) chosen.set(c.hash, "near-front");
  }
  return chosen;
}
