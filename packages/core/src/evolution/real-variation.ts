/**
 * Real-coded variation for box-bounded vectors: simulated binary crossover (SBX, Deb & Agrawal 1995) and polynomial
 * mutation, both in the bounded forms of Deb's NSGA-II reference code. Used by the benchmark problems.
 */
import { MfnasError } from "../errors.ts";
import type { Rng } from "../random.ts";
import type { Variation } from "./types.ts";

export type Bounds = readonly (readonly [lower: number, upper: number])[];

export interface RealVariationOptions {
  /** SBX distribution index: larger keeps children closer to their parents. Default 15. */
  crossoverEta?: number;
  /** Chance that SBX recombines each variable (else children copy it). Default 0.5. */
  crossoverVariableProbability?: number;
  /** Polynomial mutation distribution index. Default 20. */
  mutationEta?: number;
}

/** Variation of vectors within `bounds` (one [lower, upper] per variable, lower < upper). */
export function realVariation(bounds: Bounds, options: RealVariationOptions = {}): Variation<number[]> {
  checkBounds(bounds);
  const etaC = options.crossoverEta ?? 15;
  const perVariable = options.crossoverVariableProbability ?? 0.5;
  const etaM = options.mutationEta ?? 20;
  return {
    sample: (rng) => bounds.map(([lo, hi]) => lo + rng.nextFloat() * (hi - lo)),
    mutate: (parent, rng, probability) =>
      polynomialMutation(parent, bounds, etaM, probability ?? 1 / bounds.length, rng),
    crossover: (a, b, rng) => {
      const children = sbx(a, b, bounds, etaC, perVariable, rng);
      return rng.bernoulli(0.5) ? children[0] : children[1];
    },
    // The bits of the doubles, base64: exact identity, and several times cheaper than printing 30 decimals.
    key: (x) => Buffer.from(Float64Array.from(x).buffer).toString("base64"),
  };
}

function checkBounds(bounds: Bounds): void {
  if (!Array.isArray(bounds) || bounds.length === 0) {
    throw new MfnasError("invalid_input", "bounds: must list [lower, upper] for at least one variable");
  }
  bounds.forEach(([lo, hi], i) => {
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
      throw new MfnasError("invalid_input", `bounds[${i}]: need finite lower < upper, got [${lo}, ${hi}]`, {
        path: `bounds[${i}]`,
      });
    }
  });
}

/** SBX on every variable with chance `perVariable`; the two children's values are swapped with chance 1/2. */
export function sbx(
  a: readonly number[],
  b: readonly number[],
  bounds: Bounds,
  eta: number,
  perVariable: number,
  rng: Rng,
): [number[], number[]] {
  const c1 = [...a];
  const c2 = [...b];
  bounds.forEach(([lo, hi], i) => {
    const x = a[i] as number;
    const y = b[i] as number;
    if (!rng.bernoulli(perVariable) || Math.abs(x - y) <= 1e-14) return;
    const [low, high] = x < y ? [x, y] : [y, x];
    const u = rng.nextFloat();
    const left = clamp(
      0.5 * (low + high - sbxSpread(u, 1 + (2 * (low - lo)) / (high - low), eta) * (high - low)),
      lo,
      hi,
    );
    const right = clamp(
      0.5 * (low + high + sbxSpread(u, 1 + (2 * (hi - high)) / (high - low), eta) * (high - low)),
      lo,
      hi,
    );
    const swap = rng.bernoulli(0.5);
    c1[i] = swap ? right : left;
    c2[i] = swap ? left : right;
  });
  return [c1, c2];
}

/** The spread factor for uniform draw `u` when the bound leaves room `beta` (>= 1) on that side. */
function sbxSpread(u: number, beta: number, eta: number): number {
  const alpha = 2 - beta ** -(eta + 1);
  return u <= 1 / alpha ? (u * alpha) ** (1 / (eta + 1)) : (1 / (2 - u * alpha)) ** (1 / (eta + 1));
}

/** Polynomial mutation of each variable with chance `probability`, perturbations scaled to its range. */
export function polynomialMutation(
  x: readonly number[],
  bounds: Bounds,
  eta: number,
  probability: number,
  rng: Rng,
): number[] {
  return x.map((value, i) => {
    if (!rng.bernoulli(probability)) return value;
    const [lo, hi] = bounds[i] as readonly [number, number];
    const u = rng.nextFloat();
    const power = 1 / (eta + 1);
    let delta: number;
    if (u < 0.5) {
      const slack = 1 - (value - lo) / (hi - lo);
      delta = (2 * u + (1 - 2 * u) * slack ** (eta + 1)) ** power - 1;
    } else {
      const slack = 1 - (hi - value) / (hi - lo);
      delta = 1 - (2 * (1 - u) + 2 * (u - 0.5) * slack ** (eta + 1)) ** power;
    }
    return clamp(value + delta * (hi - lo), lo, hi);
  });
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
