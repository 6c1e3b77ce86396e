/**
 * Gradient-boosted regression trees (squared loss), small and exact: trees of a few levels grown on every split of
 * every feature, shrunk by a learning rate. Written here because the data sets are tiny (tens to a few thousand
 * rows) and the model must serialise to plain JSON.
 */
import type { Rng } from "@mfnas/core";

/** A tree as parallel arrays; node 0 is the root, a leaf has feature -1. */
export interface Tree {
  readonly feature: number[];
  readonly threshold: number[];
  readonly left: number[];
  readonly right: number[];
  readonly value: number[];
}

export interface BoostedModel {
  readonly base: number;
  readonly learningRate: number;
  readonly trees: Tree[];
}

export interface BoostOptions {
  /** Boosting rounds. Default 80. */
  readonly rounds?: number;
  /** Depth of each tree. Default 2. */
  readonly depth?: number;
  /** Shrinkage. Default 0.1. */
  readonly learningRate?: number;
  /** Fewest rows in a leaf. Default 4. */
  readonly minLeaf?: number;
}

function predictTree(tree: Tree, x: readonly number[]): number {
  let node = 0;
  while ((tree.feature[node] ?? -1) >= 0) {
    const f = tree.feature[node] as number;
    node = (x[f] ?? 0) <= (tree.threshold[node] as number) ? (tree.left[node] as number) : (tree.right[node] as number);
  }
  return tree.value[node] ?? 0;
}

export function predictBoosted(model: BoostedModel, x: readonly number[]): number {
  let y = model.base;
  for (const tree of model.trees) y += model.learningRate * predictTree(tree, x);
  return y;
}

const mean = (ys: readonly number[], rows: readonly number[]) =>
  rows.length === 0 ? 0 : rows.reduce((s, i) => s + (ys[i] as number), 0) / rows.length;

/** The split of `rows` that most reduces the squared error, or null when no split leaves minLeaf rows a side. */
function bestSplit(
  xs: readonly (readonly number[])[],
  ys: readonly number[],
  rows: readonly number[],
  minLeaf: number,
): { feature: number; threshold: number; left: number[]; right: number[] } | null {
  const features = xs[rows[0] as number]?.length ?? 0;
  let total = 0;
  for (const i of rows) total += ys[i] as number;
  const n = rows.length;
  let best: { gain: number; feature: number; threshold: number } | null = null;
  for (let f = 0; f < features; f++) {
    const sorted = [...rows].sort((a, b) => (xs[a]?.[f] ?? 0) - (xs[b]?.[f] ?? 0));
    let leftSum = 0;
    for (let k = 0; k < n - 1; k++) {
      const i = sorted[k] as number;
      leftSum += ys[i] as number;
      const here = xs[i]?.[f] ?? 0;
      const next = xs[sorted[k + 1] as number]?.[f] ?? 0;
      if (here === next || k + 1 < minLeaf || n - k - 1 < minLeaf) continue;
      const nl = k + 1;
      const nr = n - nl;
      // SSE reduction = sum_l^2/n_l + sum_r^2/n_r - total^2/n.
      const gain = (leftSum * leftSum) / nl + ((total - leftSum) * (total - leftSum)) / nr - (total * total) / n;
      if (!best || gain > best.gain + 1e-12) best = { gain, feature: f, threshold: (here + next) / 2 };
    }
  }
  if (!best) return null;
  const { feature, threshold } = best;
  const left = rows.filter((i) => (xs[i]?.[feature] ?? 0) <= threshold);
  const right = rows.filter((i) => (xs[i]?.[feature] ?? 0) > threshold);
  return { feature, threshold, left, right };
}

function growTree(
  xs: readonly (readonly number[])[],
  ys: readonly number[],
  rows: readonly number[],
  depth: number,
  minLeaf: number,
): Tree {
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const grow = (subset: readonly number[], level: number): number => {
    const node = tree.feature.length;
    tree.feature.push(-1);
    tree.threshold.push(0);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(mean(ys, subset));
    const split = level < depth && subset.length >= 2 * minLeaf ? bestSplit(xs, ys, subset, minLeaf) : null;
    if (split) {
      tree.feature[node] = split.feature;
      tree.threshold[node] = split.threshold;
      tree.left[node] = grow(split.left, level + 1);
      tree.right[node] = grow(split.right, level + 1);
    }
    return node;
  };
  grow(rows, 0);
  return tree;
}

/** Fits a boosted model to rows `xs` (equal-length feature vectors) and targets `ys`. */
export function fitBoosted(
  xs: readonly (readonly number[])[],
  ys: readonly number[],
  options: BoostOptions = {},
): BoostedModel {
  const rounds = options.rounds ?? 80;
  const depth = options.depth ?? 2;
  const learningRate = options.learningRate ?? 0.1;
  const minLeaf = options.minLeaf ?? 4;
  const rows = ys.map((_, i) => i);
  const base = mean(ys, rows);
  const current = ys.map(() => base);
  const trees: Tree[] = [];
  for (let r = 0; r < rounds; r++) {
    const residual = ys.map((y, i) => y - (current[i] as number));
    const tree = growTree(xs, residual, rows, depth, minLeaf);
    if (tree.feature.length === 1) break;
    trees.push(tree);
    for (const i of rows) current[i] = (current[i] as number) + learningRate * predictTree(tree, xs[i] ?? []);
  }
  return { base, learningRate, trees };
}

export interface Ensemble {
  readonly members: BoostedModel[];
  /** Standard deviation of out-of-bag residuals: the noise the members cannot explain. */
  readonly residualStd: number;
}

/**
 * Bagged boosting: each member is fitted to a bootstrap resample; their spread estimates the model's uncertainty
 * and the out-of-bag residuals estimate the noise. Deterministic for a given `rng` state.
 */
export function fitEnsemble(
  xs: readonly (readonly number[])[],
  ys: readonly number[],
  rng: Rng,
  options: BoostOptions & { members?: number } = {},
): Ensemble {
  const count = options.members ?? 8;
  const n = ys.length;
  const members: BoostedModel[] = [];
  const oob: number[][] = ys.map(() => []);
  for (let m = 0; m < count; m++) {
    const picked = Array.from({ length: n }, () => rng.int(0, n - 1));
    const inBag = new Set(picked);
    const model = fitBoosted(
      picked.map((i) => xs[i] ?? []),
      picked.map((i) => ys[i] ?? 0),
      options,
    );
    members.push(model);
    for (let i = 0; i < n; i++) if (!inBag.has(i)) oob[i]?.push(predictBoosted(model, xs[i] ?? []));
  }
  const residuals = oob.flatMap((ps, i) =>
    ps.length > 0 ? [(ys[i] as number) - ps.reduce((s, p) => s + p, 0) / ps.length] : [],
  );
  const residualStd =
    residuals.length > 1 ? Math.sqrt(residuals.reduce((s, r) => s + r * r, 0) / (residuals.length - 1)) : 0;
  return { members, residualStd };
}

/** Mean and spread of the members' predictions. */
export function predictEnsemble(ensemble: Ensemble, x: readonly number[]): { mean: number; std: number } {
  const ps = ensemble.members.map((m) => predictBoosted(m, x));
  if (ps.length === 0) return { mean: 0, std: 0 };
  const mu = ps.reduce((s, p) => s + p, 0) / ps.length;
  const variance = ps.length > 1 ? ps.reduce((s, p) => s + (p - mu) ** 2, 0) / (ps.length - 1) : 0;
  return { mean: mu, std: Math.sqrt(variance) };
}
