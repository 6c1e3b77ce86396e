/**
 * The search space as data: which values each gene of a SubGenerator genome may take. A search narrows or widens
 * it (`narrowSpace`) instead of editing code, and the supernet is sized from it (its widest trunk and branch widths).
 *
 * Validation is hand-written (one source of truth with precise, path-first messages); `searchSpaceSchema` wraps it
 * for embedding in zod schemas such as a search spec.
 * A parsed space is normalised: every set is de-duplicated-checked and sorted (numbers ascending, names in their
 * canonical order), so two equal spaces are also deep-equal and serialise identically.
 */
import { z } from "zod";
import { MfnasError } from "../errors.ts";
import { child, describe, expectArray, expectInteger, expectRecord, invalidAt } from "./invalid.ts";

export const SCALES = [2, 4] as const;
export type Scale = (typeof SCALES)[number];

/**
 * Multi-scale branches of an MFA block, in canonical order (also descending cost for equal widths):
 * conv3 = 3x3 conv at full resolution; dil2 = 3x3 conv with dilation 2 at full resolution;
 * down2 = 2x2 avg-pool stride 2 -> 3x3 conv -> nearest upsample x2; down4 = the same at a quarter resolution.
 */
export const BRANCH_KINDS = ["conv3", "dil2", "down2", "down4"] as const;
export type BranchKind = (typeof BRANCH_KINDS)[number];

export const UPSAMPLERS = ["nearest-conv", "pixel-shuffle"] as const;
export type Upsampler = (typeof UPSAMPLERS)[number];

/** Sanity limits: far above anything a phone runs, low enough to catch typos (640 for 64, say) early. */
export const MAX_DEPTH = 64;
export const MAX_WIDTH = 1024;

export interface SearchSpace {
  /** Allowed upscale factors. */
  readonly scales: readonly Scale[];
  /** Allowed number of MFA blocks, inclusive. */
  readonly depth: { readonly min: number; readonly max: number };
  /** Allowed trunk channel counts; the largest is the supernet's trunk width. */
  readonly trunkWidths: readonly number[];
  /** Allowed per-block branch channel counts; the largest is the supernet's branch width. */
  readonly branchWidths: readonly number[];
  /** Allowed branch kinds. */
  readonly branchKinds: readonly BranchKind[];
  /** At most this many branches per block (capped in effect by the number of allowed kinds). */
  readonly maxBranchesPerBlock: number;
  /** Allowed upsampler kinds. */
  readonly upsamplers: readonly Upsampler[];
}

/** Replacement values for some fields of a space; `depth` may set just `min` or `max`. */
export type SearchSpaceOverride = Partial<Omit<SearchSpace, "depth">> & {
  readonly depth?: Partial<SearchSpace["depth"]>;
};

const SPACE_KEYS = [
  "scales",
  "depth",
  "trunkWidths",
  "branchWidths",
  "branchKinds",
  "maxBranchesPerBlock",
  "upsamplers",
] as const;
const SUBJECT = "search space";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The paper-sized default; `default-space.json` mirrors it (a test keeps them equal). */
export const DEFAULT_SEARCH_SPACE: SearchSpace = deepFreeze({
  scales: [2, 4],
  depth: { min: 1, max: 8 },
  trunkWidths: [16, 24, 32, 40, 48, 56, 64],
  branchWidths: [8, 16, 24, 32],
  branchKinds: ["conv3", "dil2", "down2", "down4"],
  maxBranchesPerBlock: 4,
  upsamplers: ["nearest-conv", "pixel-shuffle"],
});

/** A non-empty array without duplicates whose items pass `item`, returned sorted by `rank`. */
function parseSet<T>(value: unknown, path: string, item: (v: unknown, p: string) => T, rank: (v: T) => number): T[] {
  const items = expectArray(value, path, SUBJECT);
  if (items.length === 0) throw invalidAt(path, "must not be empty", {}, SUBJECT);
  const out: T[] = [];
  items.forEach((raw, i) => {
    const parsed = item(raw, child(path, i));
    if (out.includes(parsed)) throw invalidAt(child(path, i), `duplicate ${describe(raw)}`, {}, SUBJECT);
    out.push(parsed);
  });
  return out.sort((a, b) => rank(a) - rank(b));
}

function oneOf<T extends string | number>(allowed: readonly T[], what: string) {
  return (v: unknown, p: string): T => {
    if (!allowed.includes(v as T)) {
      throw invalidAt(p, `unknown ${what} ${describe(v)} (allowed: ${allowed.join(", ")})`, { value: v }, SUBJECT);
    }
    return v as T;
  };
}

function evenWidth(v: unknown, p: string): number {
  const w = expectInteger(v, p, 2, MAX_WIDTH, SUBJECT);
  if (w % 2 !== 0) throw invalidAt(p, `width must be even, got ${w}`, { value: w }, SUBJECT);
  return w;
}

/** Validate and normalise an untrusted search space (a request body, a JSON file). */
export function parseSearchSpace(value: unknown): SearchSpace {
  const r = expectRecord(value, "", SPACE_KEYS, SPACE_KEYS, SUBJECT);
  const depthRecord = expectRecord(r.depth, "depth", ["min", "max"], ["min", "max"], SUBJECT);
  const min = expectInteger(depthRecord.min, "depth.min", 1, MAX_DEPTH, SUBJECT);
  const max = expectInteger(depthRecord.max, "depth.max", 1, MAX_DEPTH, SUBJECT);
  if (min > max) throw invalidAt("depth", `min ${min} exceeds max ${max}`, { min, max }, SUBJECT);
  const space: SearchSpace = {
    scales: parseSet(r.scales, "scales", oneOf(SCALES, "scale"), (s) => s),
    depth: { min, max },
    trunkWidths: parseSet(r.trunkWidths, "trunkWidths", evenWidth, (w) => w),
    branchWidths: parseSet(r.branchWidths, "branchWidths", evenWidth, (w) => w),
    branchKinds: parseSet(r.branchKinds, "branchKinds", oneOf(BRANCH_KINDS, "branch"), (k) => BRANCH_KINDS.indexOf(k)),
    maxBranchesPerBlock: expectInteger(r.maxBranchesPerBlock, "maxBranchesPerBlock", 1, BRANCH_KINDS.length, SUBJECT),
    upsamplers: parseSet(r.upsamplers, "upsamplers", oneOf(UPSAMPLERS, "upsampler"), (u) => UPSAMPLERS.indexOf(u)),
  };
  return space;
}

/**
 * `base` with some fields replaced (narrowed or widened), validated as a whole. `override` is checked as untrusted:
 * unknown keys and bad values fail with the field's path.
 */
export function narrowSpace(base: SearchSpace, override: SearchSpaceOverride): SearchSpace {
  const o = expectRecord(override, "", SPACE_KEYS, [], `${SUBJECT} override`);
  const depth =
    o.depth === undefined
      ? base.depth
      : { ...base.depth, ...expectRecord(o.depth, "depth", ["min", "max"], [], `${SUBJECT} override`) };
  return parseSearchSpace({ ...base, ...o, depth });
}

/** The most branches a block can have in this space. */
export function effectiveMaxBranches(space: SearchSpace): number {
  return Math.min(space.maxBranchesPerBlock, space.branchKinds.length);
}

/** Every allowed branch set (non-empty, within the max size), each in canonical order; sorted by size, then order. */
export function branchSubsets(space: SearchSpace): BranchKind[][] {
  const kinds = space.branchKinds;
  const max = effectiveMaxBranches(space);
  const subsets: BranchKind[][] = [];
  for (let mask = 1; mask < 1 << kinds.length; mask++) {
    const subset = kinds.filter((_, i) => (mask & (1 << i)) !== 0);
    if (subset.length <= max) subsets.push(subset);
  }
  const key = (s: BranchKind[]): string => s.map((k) => BRANCH_KINDS.indexOf(k)).join(",");
  return subsets.sort((a, b) => a.length - b.length || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Number of distinct canonical genomes in the space (exact, as a bigint: the default space has ~4.8e15). */
export function countGenomes(space: SearchSpace): bigint {
  const perBlock = BigInt(space.branchWidths.length * branchSubsets(space).length);
  let bodies = 0n;
  for (let d = space.depth.min; d <= space.depth.max; d++) bodies += perBlock ** BigInt(d);
  return BigInt(space.scales.length * space.trunkWidths.length * space.upsamplers.length) * bodies;
}

/** Channel widths the weight-sharing supernet must have to contain every SubGenerator of the space. */
export function supernetWidths(space: SearchSpace): { trunk: number; branch: number } {
  if (space.trunkWidths.length === 0 || space.branchWidths.length === 0) {
    // Unreachable for a parsed space; guards hand-built objects that skipped parseSearchSpace.
    throw new MfnasError("invalid_input", "search space: width sets must not be empty");
  }
  return { trunk: Math.max(...space.trunkWidths), branch: Math.max(...space.branchWidths) };
}

/** `"depth.min"` -> ["depth", "min"], `"trunkWidths[1]"` -> ["trunkWidths", 1], for zod issue paths. */
function zodPath(path: string): (string | number)[] {
  return [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : (m[1] ?? "")));
}

/** A zod schema that parses with `parseSearchSpace`; each failure becomes one issue at the offending field. */
export const searchSpaceSchema = z.unknown().transform((value, ctx): SearchSpace => {
  try {
    return parseSearchSpace(value);
  } catch (error) {
    if (!(error instanceof MfnasError)) throw error;
    const path = error.details?.path;
    ctx.addIssue({ code: "custom", message: error.message, path: typeof path === "string" ? zodPath(path) : [] });
    return z.NEVER;
  }
});

/**
 * Why `inner` is not a subspace of `outer` (every allowed value of `inner` allowed by `outer`), one entry per
 * field; empty when it is. A search narrows its supernet's space and may never leave it.
 */
export function subspaceProblems(inner: SearchSpace, outer: SearchSpace): string[] {
  const problems: string[] = [];
  const lists = ["scales", "trunkWidths", "branchWidths", "branchKinds", "upsamplers"] as const;
  for (const key of lists) {
    const allowed = new Set<unknown>(outer[key]);
    const outside = (inner[key] as readonly unknown[]).filter((v) => !allowed.has(v));
    if (outside.length > 0)
      problems.push(`${key}: ${outside.map(String).join(", ")} not in [${outer[key].join(", ")}]`);
  }
  if (inner.depth.min < outer.depth.min || inner.depth.max > outer.depth.max) {
    problems.push(`depth: ${inner.depth.min}..${inner.depth.max} outside ${outer.depth.min}..${outer.depth.max}`);
  }
  if (inner.maxBranchesPerBlock > outer.maxBranchesPerBlock) {
    problems.push(`maxBranchesPerBlock: ${inner.maxBranchesPerBlock} exceeds ${outer.maxBranchesPerBlock}`);
  }
  return problems;
}
