/**
 * Exact hypervolume (minimisation): the measure of the region dominated by a point set and bounded by a reference
 * point. Points that do not strictly dominate the reference point contribute nothing.
 *
 * Two objectives use a sweep (O(n log n)); three a sweep over the third objective that keeps the 2-D staircase of the
 * points seen so far (O(n^2)); more use WFG (While, Bradstreet & Barone 2012), exact and exponential in the worst
 * case, fine for the small fronts of a search. The specialised versions are tested against WFG.
 */
import { MfnasError } from "../errors.ts";
import { nonDominatedIndices } from "./pareto.ts";

type Vector = readonly number[];

/**
 * The hypervolume of `points` with respect to `reference`. Every point must have the reference point's dimension and
 * every coordinate must be finite; otherwise `MfnasError("invalid_input")` names the offending value.
 */
export function hypervolume(points: readonly Vector[], reference: Vector): number {
  validate(points, reference);
  const inside = relevantPoints(points, reference);
  switch (reference.length) {
    case 1:
      return inside.reduce((best, p) => Math.max(best, (reference[0] as number) - (p[0] as number)), 0);
    case 2:
      return hypervolume2d(inside, reference);
    case 3:
      return hypervolume3d(inside, reference);
    default:
      return hypervolumeWfg(inside, reference);
  }
}

function validate(points: readonly Vector[], reference: Vector): void {
  if (!Array.isArray(reference) || reference.length === 0) {
    throw invalid("reference", "must be a non-empty array of numbers");
  }
  checkFinite(reference, "reference");
  if (!Array.isArray(points)) throw invalid("points", "must be an array of points");
  points.forEach((p, i) => {
    const path = `points[${i}]`;
    if (!Array.isArray(p)) throw invalid(path, "must be an array of numbers");
    if (p.length !== reference.length) {
      throw invalid(path, `has ${p.length} objectives, the reference point ${reference.length}`);
    }
    checkFinite(p, path);
  });
}

function checkFinite(v: Vector, path: string): void {
  v.forEach((x, k) => {
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw invalid(`${path}[${k}]`, `must be a finite number, got ${String(x)}`);
    }
  });
}

function invalid(path: string, problem: string): MfnasError {
  return new MfnasError("invalid_input", `hypervolume: ${path} ${problem}`, { path });
}

/** The distinct non-dominated points that strictly dominate the reference point (the others add no volume). */
function relevantPoints(points: readonly Vector[], reference: Vector): Vector[] {
  return distinctNonDominated(points.filter((p) => p.every((x, k) => x < (reference[k] as number))));
}

/** Non-dominated points with repeats removed (WFG's recursion is exponential in repeated points). */
function distinctNonDominated(points: readonly Vector[]): Vector[] {
  const seen = new Set<string>();
  return nonDominatedIndices(points)
    .map((i) => points[i] as Vector)
    .filter((p) => {
      const key = p.join(",");
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}

/** Two objectives, points already inside the reference box: sum of horizontal stripes in order of the first. */
export function hypervolume2d(points: readonly Vector[], reference: Vector): number {
  const sorted = [...points].sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
  return staircaseArea(sorted, reference);
}

/** Area of a staircase sorted by the first objective ascending (dominated steps are skipped). */
function staircaseArea(sorted: readonly Vector[], reference: Vector): number {
  const [rx, ry] = reference as [number, number];
  let area = 0;
  let ceiling = ry;
  for (const p of sorted) {
    const y = p[1] as number;
    if (y >= ceiling) continue;
    area += (rx - (p[0] as number)) * (ceiling - y);
    ceiling = y;
  }
  return area;
}

/**
 * Three objectives: sweep the points by the third objective; between consecutive third-objective values the dominated
 * cross-section is the 2-D area of the points seen so far, kept as a non-dominated staircase.
 */
export function hypervolume3d(points: readonly Vector[], reference: Vector): number {
  const sorted = [...points].sort((a, b) => (a[2] as number) - (b[2] as number));
  const staircase: Vector[] = [];
  let volume = 0;
  sorted.forEach((p, i) => {
    insertIntoStaircase(staircase, p);
    const top = (sorted[i + 1]?.[2] ?? reference[2]) as number;
    volume += staircaseArea(staircase, reference) * (top - (p[2] as number));
  });
  return volume;
}

/** Insert p into a staircase sorted by x ascending (y descending), dropping the steps it dominates. */
function insertIntoStaircase(staircase: Vector[], p: Vector): void {
  const [x, y] = p as [number, number];
  if (staircase.some((q) => (q[0] as number) <= x && (q[1] as number) <= y)) return;
  let at = staircase.findIndex((q) => (q[0] as number) >= x);
  if (at < 0) at = staircase.length;
  let end = at;
  while (end < staircase.length && ((staircase[end] as Vector)[1] as number) >= y) end++;
  staircase.splice(at, end - at, p);
}

/**
 * WFG for any number of objectives: the volume is the sum of each point's exclusive contribution, which is its box
 * minus the volume of the other points' boxes limited to it. Exact; used for four or more objectives.
 */
export function hypervolumeWfg(points: readonly Vector[], reference: Vector): number {
  // Sorting by the last objective, worst first, keeps the limited sets small (the WFG paper's ordering).
  const m = reference.length;
  const sorted = [...points].sort((a, b) => (b[m - 1] as number) - (a[m - 1] as number));
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i] as Vector;
    const limited = sorted.slice(i + 1).map((q) => q.map((x, k) => Math.max(x, p[k] as number)));
    volume += boxVolume(p, reference) - hypervolumeWfg(distinctNonDominated(limited), reference);
  }
  return volume;
}

function boxVolume(p: Vector, reference: Vector): number {
  return p.reduce((v, x, k) => v * ((reference[k] as number) - x), 1);
}
