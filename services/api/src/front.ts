/**
 * The first Pareto front of points on two objectives: quality up, latency down. A point is on the front when no
 * other point is at least as good on both and better on one. O(n log n): sort by latency, keep each point that
 * beats the best quality seen so far.
 */
export function paretoFront<T>(points: readonly T[], quality: (p: T) => number, latency: (p: T) => number): T[] {
  const sorted = [...points].sort((a, b) => latency(a) - latency(b) || quality(b) - quality(a));
  const front: T[] = [];
  let best = -Infinity;
  for (const point of sorted) {
    if (quality(point) > best) {
      front.push(point);
      best = quality(point);
    }
  }
  return front;
}

/** Which latency a front ranks by. `measured-else-predicted` labels every point with the figure it used. */
export type LatencyBasis = "measured" | "predicted" | "measured-else-predicted";

export function latencyFor(
  row: { measuredMs: number | null; predictedMs: number | null },
  basis: LatencyBasis,
): { ms: number; basis: "measured" | "predicted" } | null {
  switch (basis) {
    case "measured":
      return row.measuredMs === null ? null : { ms: row.measuredMs, basis: "measured" };
    case "predicted":
      return row.predictedMs === null ? null : { ms: row.predictedMs, basis: "predicted" };
    case "measured-else-predicted":
      if (row.measuredMs !== null) return { ms: row.measuredMs, basis: "measured" };
      return row.predictedMs === null ? null : { ms: row.predictedMs, basis: "predicted" };
  }
}
