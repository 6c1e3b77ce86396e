import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MfnasError } from "../errors.ts";
import {
  DEFAULT_SEARCH_SPACE,
  branchSubsets,
  countGenomes,
  narrowSpace,
  parseSearchSpace,
  searchSpaceSchema,
  subspaceProblems,
  supernetWidths,
  type SearchSpace,
} from "./search-space.ts";

function errorOf(fn: () => unknown): MfnasError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MfnasError) return error;
    throw error;
  }
  throw new Error("expected an MfnasError");
}

describe("DEFAULT_SEARCH_SPACE", () => {
  it("equals default-space.json and is already in parsed (normalised) form", () => {
    const json: unknown = JSON.parse(readFileSync(new URL("./default-space.json", import.meta.url), "utf8"));
    expect(json).toEqual(DEFAULT_SEARCH_SPACE);
    expect(parseSearchSpace(json)).toEqual(DEFAULT_SEARCH_SPACE);
  });

  it("is frozen so no caller can change the shared default", () => {
    expect(Object.isFrozen(DEFAULT_SEARCH_SPACE)).toBe(true);
    expect(Object.isFrozen(DEFAULT_SEARCH_SPACE.trunkWidths)).toBe(true);
  });

  it("has the supernet widths 64 / 32 and 15 branch sets", () => {
    expect(supernetWidths(DEFAULT_SEARCH_SPACE)).toEqual({ trunk: 64, branch: 32 });
    expect(branchSubsets(DEFAULT_SEARCH_SPACE)).toHaveLength(15);
    expect(branchSubsets(DEFAULT_SEARCH_SPACE)[0]).toEqual(["conv3"]);
    expect(branchSubsets(DEFAULT_SEARCH_SPACE).at(-1)).toEqual(["conv3", "dil2", "down2", "down4"]);
  });

  it("counts its genomes exactly", () => {
    // 2 scales * 7 trunk widths * 2 upsamplers * sum_{d=1..8} (4 widths * 15 branch sets)^d
    let bodies = 0n;
    for (let d = 1n; d <= 8n; d++) bodies += 60n ** d;
    expect(countGenomes(DEFAULT_SEARCH_SPACE)).toBe(28n * bodies);
  });
});

describe("parseSearchSpace", () => {
  it("sorts sets into canonical order", () => {
    const parsed = parseSearchSpace({
      ...DEFAULT_SEARCH_SPACE,
      scales: [4, 2],
      trunkWidths: [64, 16],
      branchKinds: ["down4", "conv3"],
      upsamplers: ["pixel-shuffle", "nearest-conv"],
    });
    expect(parsed.scales).toEqual([2, 4]);
    expect(parsed.trunkWidths).toEqual([16, 64]);
    expect(parsed.branchKinds).toEqual(["conv3", "down4"]);
    expect(parsed.upsamplers).toEqual(["nearest-conv", "pixel-shuffle"]);
  });

  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ["empty set", { scales: [] }, /^search space scales: must not be empty/],
    ["unknown scale", { scales: [2, 3] }, /^search space scales\[1\]: unknown scale 3/],
    ["duplicate", { trunkWidths: [16, 16] }, /^search space trunkWidths\[1\]: duplicate 16/],
    ["odd width", { branchWidths: [8, 9] }, /^search space branchWidths\[1\]: width must be even/],
    ["zero width", { trunkWidths: [0] }, /^search space trunkWidths\[0\]: must be an integer in 2\.\.1024/],
    ["min > max", { depth: { min: 5, max: 2 } }, /^search space depth: min 5 exceeds max 2/],
    ["depth zero", { depth: { min: 0, max: 2 } }, /^search space depth\.min: must be an integer/],
    ["unknown branch", { branchKinds: ["conv3", "k9"] }, /^search space branchKinds\[1\]: unknown branch "k9"/],
    ["max branches", { maxBranchesPerBlock: 5 }, /^search space maxBranchesPerBlock: must be an integer in 1\.\.4/],
    ["upsampler", { upsamplers: ["bicubic"] }, /^search space upsamplers\[0\]: unknown upsampler "bicubic"/],
    ["unknown key", { extra: 1 }, /^search space extra: unknown key/],
  ];
  it.each(bad)("rejects %s naming the field", (_label, patch, message) => {
    const error = errorOf(() => parseSearchSpace({ ...DEFAULT_SEARCH_SPACE, ...patch }));
    expect(error.code).toBe("invalid_input");
    expect(error.message).toMatch(message);
  });

  it("rejects a missing field and a non-object", () => {
    const { scales: _omit, ...rest } = DEFAULT_SEARCH_SPACE;
    expect(errorOf(() => parseSearchSpace(rest)).message).toMatch(/^search space scales: missing/);
    expect(errorOf(() => parseSearchSpace([])).message).toMatch(/^search space: expected an object/);
  });
});

describe("narrowSpace", () => {
  it("replaces only the given fields, and depth bounds one at a time", () => {
    const narrowed = narrowSpace(DEFAULT_SEARCH_SPACE, {
      scales: [4],
      depth: { max: 4 },
      trunkWidths: [32, 48],
      branchKinds: ["down2", "conv3"],
    });
    const expected: SearchSpace = {
      ...DEFAULT_SEARCH_SPACE,
      scales: [4],
      depth: { min: 1, max: 4 },
      trunkWidths: [32, 48],
      branchKinds: ["conv3", "down2"],
    };
    expect(narrowed).toEqual(expected);
    // maxBranchesPerBlock 4 stays valid; it is capped by the two allowed kinds.
    expect(branchSubsets(narrowed)).toEqual([["conv3"], ["down2"], ["conv3", "down2"]]);
  });

  it("can widen beyond the default", () => {
    const widened = narrowSpace(DEFAULT_SEARCH_SPACE, { trunkWidths: [64, 96, 128], depth: { max: 16 } });
    expect(supernetWidths(widened).trunk).toBe(128);
    expect(widened.depth).toEqual({ min: 1, max: 16 });
  });

  it("validates the result and the override", () => {
    expect(errorOf(() => narrowSpace(DEFAULT_SEARCH_SPACE, { depth: { min: 9 } })).message).toMatch(
      /^search space depth: min 9 exceeds max 8/,
    );
    expect(errorOf(() => narrowSpace(DEFAULT_SEARCH_SPACE, { bogus: 1 } as never)).message).toMatch(
      /^search space override bogus: unknown key/,
    );
    expect(errorOf(() => narrowSpace(DEFAULT_SEARCH_SPACE, { upsamplers: [] })).message).toMatch(
      /^search space upsamplers: must not be empty/,
    );
  });

  it("limits branch sets by maxBranchesPerBlock", () => {
    const space = narrowSpace(DEFAULT_SEARCH_SPACE, { maxBranchesPerBlock: 2 });
    expect(branchSubsets(space)).toHaveLength(4 + 6);
    expect(branchSubsets(space).every((s) => s.length <= 2)).toBe(true);
  });
});

describe("searchSpaceSchema", () => {
  it("parses like parseSearchSpace and reports the field path as a zod issue", () => {
    expect(searchSpaceSchema.parse({ ...DEFAULT_SEARCH_SPACE, scales: [4, 2] })).toEqual(DEFAULT_SEARCH_SPACE);
    const result = searchSpaceSchema.safeParse({ ...DEFAULT_SEARCH_SPACE, trunkWidths: [16, 17] });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(["trunkWidths", 1]);
    expect(result.error?.issues[0]?.message).toMatch(/^search space trunkWidths\[1\]: width must be even/);
    const depth = searchSpaceSchema.safeParse({ ...DEFAULT_SEARCH_SPACE, depth: { min: 0, max: 1 } });
    expect(depth.error?.issues[0]?.path).toEqual(["depth", "min"]);
  });
});

describe("subspaces", () => {
  it("names every field of a space that leaves another", () => {
    const outer = narrowSpace(DEFAULT_SEARCH_SPACE, { trunkWidths: [8, 16], depth: { min: 1, max: 2 } });
    expect(subspaceProblems(narrowSpace(outer, { trunkWidths: [16] }), outer)).toEqual([]);
    expect(subspaceProblems(narrowSpace(outer, { trunkWidths: [16, 32], depth: { max: 4 } }), outer)).toEqual([
      "trunkWidths: 32 not in [8, 16]",
      "depth: 1..4 outside 1..2",
    ]);
  });
});
