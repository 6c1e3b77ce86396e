/**
 * The genome of one SubGenerator: upscale factor, trunk width, a list of MFA blocks (each with a branch width and a
 * set of multi-scale branches) and the upsampler kind. See README.md in this folder for the architecture it encodes.
 *
 * Canonical form: keys in the order scale, trunkWidth, blocks[{branchWidth, branches}], upsampler, and each block's
 * branches in BRANCH_KINDS order. Every function that returns a genome returns it canonical, so deep equality,
 * `encodeGenome` and `genomeHash` agree on what "the same architecture" means.
 */
import { createHash } from "node:crypto";
import { child, describe, expectArray, expectInteger, expectRecord, invalidAt } from "./invalid.ts";
import {
  BRANCH_KINDS,
  MAX_DEPTH,
  MAX_WIDTH,
  SCALES,
  UPSAMPLERS,
  effectiveMaxBranches,
  type BranchKind,
  type Scale,
  type SearchSpace,
  type Upsampler,
} from "./search-space.ts";

export interface BlockGene {
  /** Output channels of every branch in the block. */
  branchWidth: number;
  /** The block's multi-scale branches; a non-empty set. */
  branches: BranchKind[];
}

export interface Genome {
  scale: Scale;
  trunkWidth: number;
  blocks: BlockGene[];
  upsampler: Upsampler;
}

const GENOME_KEYS = ["scale", "trunkWidth", "blocks", "upsampler"] as const;
const BLOCK_KEYS = ["branchWidth", "branches"] as const;

function branchRank(kind: BranchKind): number {
  return BRANCH_KINDS.indexOf(kind);
}

function notInSpace(path: string, value: unknown, allowed: readonly unknown[]): never {
  throw invalidAt(path, `${describe(value)} is outside the search space (allowed: ${allowed.join(", ")})`, {
    value,
    allowed,
  });
}

function checkBranches(value: unknown, path: string, space: SearchSpace | undefined): BranchKind[] {
  const items = expectArray(value, path);
  if (items.length === 0) throw invalidAt(path, "must contain at least one branch");
  const seen: BranchKind[] = [];
  for (const item of items) {
    if (!BRANCH_KINDS.includes(item as BranchKind)) {
      throw invalidAt(path, `unknown branch ${describe(item)} (known: ${BRANCH_KINDS.join(", ")})`, { value: item });
    }
    const kind = item as BranchKind;
    if (seen.includes(kind)) throw invalidAt(path, `duplicate branch ${describe(kind)}`, { value: kind });
    if (space && !space.branchKinds.includes(kind)) {
      throw invalidAt(
        path,
        `branch ${describe(kind)} is outside the search space (allowed: ${space.branchKinds.join(", ")})`,
        {
          value: kind,
        },
      );
    }
    seen.push(kind);
  }
  if (space && seen.length > effectiveMaxBranches(space)) {
    throw invalidAt(path, `${seen.length} branches exceed the space's maximum of ${effectiveMaxBranches(space)}`);
  }
  return seen.sort((a, b) => branchRank(a) - branchRank(b));
}

function checkBlock(value: unknown, path: string, space: SearchSpace | undefined): BlockGene {
  const r = expectRecord(value, path, BLOCK_KEYS, BLOCK_KEYS);
  const widthPath = child(path, "branchWidth");
  const branchWidth = expectInteger(r.branchWidth, widthPath, 1, MAX_WIDTH);
  if (space && !space.branchWidths.includes(branchWidth)) notInSpace(widthPath, branchWidth, space.branchWidths);
  return { branchWidth, branches: checkBranches(r.branches, child(path, "branches"), space) };
}

/** Shared by both validators; `space` undefined checks structure only. Returns the canonical genome. */
function checkGenome(value: unknown, space: SearchSpace | undefined): Genome {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidAt("", `expected an object, got ${describe(value)}`, {}, "genome");
  }
  // No subject here: field errors read as bare gene paths ("blocks[2].branches: ...").
  const r = expectRecord(value, "", GENOME_KEYS, GENOME_KEYS);

  if (!SCALES.includes(r.scale as Scale)) {
    throw invalidAt("scale", `unknown scale ${describe(r.scale)} (known: ${SCALES.join(", ")})`, { value: r.scale });
  }
  const scale = r.scale as Scale;
  if (space && !space.scales.includes(scale)) notInSpace("scale", scale, space.scales);

  const trunkWidth = expectInteger(r.trunkWidth, "trunkWidth", 1, MAX_WIDTH);
  if (space && !space.trunkWidths.includes(trunkWidth)) notInSpace("trunkWidth", trunkWidth, space.trunkWidths);

  const rawBlocks = expectArray(r.blocks, "blocks");
  const [minDepth, maxDepth] = space ? [space.depth.min, space.depth.max] : [1, MAX_DEPTH];
  if (rawBlocks.length < minDepth || rawBlocks.length > maxDepth) {
    throw invalidAt("blocks", `depth ${rawBlocks.length} is outside ${minDepth}..${maxDepth}`, {
      value: rawBlocks.length,
    });
  }
  const blocks = rawBlocks.map((b, i) => checkBlock(b, child("blocks", i), space));

  if (!UPSAMPLERS.includes(r.upsampler as Upsampler)) {
    throw invalidAt("upsampler", `unknown upsampler ${describe(r.upsampler)} (known: ${UPSAMPLERS.join(", ")})`, {
      value: r.upsampler,
    });
  }
  const upsampler = r.upsampler as Upsampler;
  if (space && !space.upsamplers.includes(upsampler)) notInSpace("upsampler", upsampler, space.upsamplers);

  return { scale, trunkWidth, blocks, upsampler };
}

/**
 * Check an untrusted value as a genome of `space` and return it canonical. Errors name the gene path,
 * e.g. `blocks[2].branches: unknown branch "k9"`; unknown keys are rejected.
 */
export function validateGenome(value: unknown, space: SearchSpace): Genome {
  return checkGenome(value, space);
}

/**
 * Check only that a value is a well-formed genome (known kinds, positive widths, non-empty duplicate-free branch
 * sets, 1..MAX_DEPTH blocks), whatever the search space; for code such as the cost model that must handle any
 * architecture. Returns it canonical.
 */
export function validateGenomeStructure(value: unknown): Genome {
  return checkGenome(value, undefined);
}

/** A canonical copy: fixed key order, branches in BRANCH_KINDS order. Does not validate. */
export function canonicalGenome(g: Genome): Genome {
  return {
    scale: g.scale,
    trunkWidth: g.trunkWidth,
    blocks: g.blocks.map((b) => ({
      branchWidth: b.branchWidth,
      branches: [...b.branches].sort((x, y) => branchRank(x) - branchRank(y)),
    })),
    upsampler: g.upsampler,
  };
}

/** Canonical JSON of a (structurally valid) genome; the input to `genomeHash`. */
export function canonicalGenomeJson(g: Genome): string {
  return JSON.stringify(validateGenomeStructure(g));
}

/** sha256 hex of the canonical JSON: equal for genomes that differ only in key or branch order. */
export function genomeHash(g: Genome): string {
  return createHash("sha256").update(canonicalGenomeJson(g), "utf8").digest("hex");
}

function requireScale(space: SearchSpace, scale: Scale): void {
  if (!space.scales.includes(scale)) notInSpace("scale", scale, space.scales);
}

/**
 * The costliest genome of the space: deepest, widest, with the most branches (conv3 and dil2 run at full
 * resolution, so they are kept first when the max branch count is below the number of kinds), and pixel-shuffle
 * when allowed (same MACs as nearest-conv, 4x the upsampler weights).
 */
export function largestGenome(space: SearchSpace, scale: Scale): Genome {
  requireScale(space, scale);
  const byCost = [...space.branchKinds].sort((a, b) => branchRank(a) - branchRank(b));
  const branches = byCost.slice(0, effectiveMaxBranches(space));
  const branchWidth = Math.max(...space.branchWidths);
  return canonicalGenome({
    scale,
    trunkWidth: Math.max(...space.trunkWidths),
    blocks: Array.from({ length: space.depth.max }, () => ({ branchWidth, branches: [...branches] })),
    upsampler: space.upsamplers.includes("pixel-shuffle") ? "pixel-shuffle" : "nearest-conv",
  });
}

/** The cheapest genome: shallowest, narrowest, one branch of the cheapest allowed kind, nearest-conv when allowed. */
export function smallestGenome(space: SearchSpace, scale: Scale): Genome {
  requireScale(space, scale);
  const cheapest = [...space.branchKinds].sort((a, b) => branchRank(b) - branchRank(a))[0] as BranchKind;
  const branchWidth = Math.min(...space.branchWidths);
  return canonicalGenome({
    scale,
    trunkWidth: Math.min(...space.trunkWidths),
    blocks: Array.from({ length: space.depth.min }, () => ({ branchWidth, branches: [cheapest] })),
    upsampler: space.upsamplers.includes("nearest-conv") ? "nearest-conv" : "pixel-shuffle",
  });
}
