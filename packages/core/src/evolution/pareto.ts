/**
 * Pareto utilities under the minimisation convention: dominance, Deb's constraint domination, fast non-dominated
 * sorting (Deb et al. 2002, NSGA-II) and crowding distance.
 */
import type { Fitness } from "./types.ts";

/** Whether `a` Pareto-dominates `b`: no worse in every objective and better in at least one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (x > y) return false;
    if (x < y) better = true;
  }
  return better;
}

/**
 * Deb's constraint domination: a feasible point beats an infeasible one; of two infeasible points the one with the
 * smaller total violation wins; two feasible points compare by Pareto dominance.
 */
export function constrainedDominates(a: Fitness, b: Fitness): boolean {
  const aFeasible = a.violation <= 0;
  const bFeasible = b.violation <= 0;
  if (aFeasible && bFeasible) return dominates(a.objectives, b.objectives);
  if (aFeasible !== bFeasible) return aFeasible;
  return a.violation < b.violation;
}

/**
 * The non-dominated rank of each point under constraint domination (0 = first front), by Deb's fast non-dominated
 * sort: O(m n^2) comparisons for n points of m objectives.
 */
export function nonDominatedRanks(points: readonly Fitness[]): number[] {
  const n = points.length;
  const dominatedBy = new Array<number>(n).fill(0);
  const beats: number[][] = Array.from({ length: n }, () => []);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const p = points[i] as Fitness;
      const q = points[j] as Fitness;
      if (constrainedDominates(p, q)) {
        (beats[i] as number[]).push(j);
        dominatedBy[j] = (dominatedBy[j] as number) + 1;
      } else if (constrainedDominates(q, p)) {
        (beats[j] as number[]).push(i);
        dominatedBy[i] = (dominatedBy[i] as number) + 1;
      }
    }
  }
  const ranks = new Array<number>(n).fill(-1);
  let front = dominatedBy.flatMap((count, i) => (count === 0 ? [i] : []));
  for (let rank = 0; front.length > 0; rank++) {
    const next: number[] = [];
    for (const i of front) {
      ranks[i] = rank;
      for (const j of beats[i] as number[]) {
        dominatedBy[j] = (dominatedBy[j] as number) - 1;
        if (dominatedBy[j] === 0) next.push(j);
      }
    }
    front = next;
  }
  return ranks;
}

/** Indices grouped by rank: `fronts[r]` lists the points of rank r in index order. */
export function frontsOf(ranks: readonly number[]): number[][] {
  const fronts: number[][] = [];
  ranks.forEach((rank, i) => (fronts[rank] ??= []).push(i));
  return fronts;
}

/**
 * Crowding distance of each point within one front (Deb et al. 2002): per objective, the normalised gap between its
 * two neighbours, summed; the extremes of every objective get Infinity. An objective that is constant across the
 * front adds nothing.
 */
export function crowdingDistances(objectives: readonly (readonly number[])[]): number[] {
  const n = objectives.length;
  const distance = new Array<number>(n).fill(0);
  const m = objectives[0]?.length ?? 0;
  for (let k = 0; k < m; k++) {
    const value = (i: number): number => (objectives[i] as readonly number[])[k] as number;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => value(a) - value(b) || a - b);
    const first = order[0] as number;
    const last = order[n - 1] as number;
    const span = value(last) - value(first);
    distance[first] = Infinity;
    distance[last] = Infinity;
    if (span === 0) continue;
    for (let r = 1; r < n - 1; r++) {
      const i = order[r] as number;
      distance[i] = (distance[i] as number) + (value(order[r + 1] as number) - value(order[r - 1] as number)) / span;
    }
  }
  return distance;
}

/**
 * Indices, in ascending order, of the vectors that no other vector dominates (equal vectors are all kept). Sorting
 * lexicographically first means a vector can only be dominated by one before it, so each is checked against the
 * non-dominated set found so far: O(n log n + n f) for a final set of f.
 */
export function nonDominatedIndices(vectors: readonly (readonly number[])[]): number[] {
  const order = vectors.map((_, i) => i).sort((a, b) => compareLexicographic(vectors[a], vectors[b]) || a - b);
  const isKept = vectors[0]?.length === 2 ? keptIn2d(vectors) : keptInGeneral(vectors);
  return order.filter(isKept).sort((a, b) => a - b);
}

/** Visiting in lexicographic order, whether each vector is dominated by none of the vectors kept before it. */
function keptInGeneral(vectors: readonly (readonly number[])[]): (i: number) => boolean {
  const kept: (readonly number[])[] = [];
  return (i) => {
    const v = vectors[i] as readonly number[];
    if (kept.some((k) => dominates(k, v))) return false;
    kept.push(v);
    return true;
  };
}

/** The same for two objectives in O(1) per vector: kept when below every kept one, or equal to the last kept. */
function keptIn2d(vectors: readonly (readonly number[])[]): (i: number) => boolean {
  let last: readonly number[] | undefined;
  return (i) => {
    const v = vectors[i] as readonly number[];
    const keep = !last || (v[1] as number) < (last[1] as number) || compareLexicographic(v, last) === 0;
    if (keep) last = v;
    return keep;
  };
}

function compareLexicographic(a: readonly number[] | undefined, b: readonly number[] | undefined): number {
  const x = a ?? [];
  const y = b ?? [];
  for (let k = 0; k < x.length; k++) {
    const d = (x[k] as number) - (y[k] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** The feasible points that no other feasible point dominates, in input order (duplicates are all kept). */
export function paretoFront<P extends Fitness>(points: readonly P[]): P[] {
  const feasible = points.filter((p) => p.violation <= 0);
  return nonDominatedIndices(feasible.map((p) => p.objectives)).map((i) => feasible[i] as P);
}
