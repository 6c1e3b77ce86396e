import { describe, expect, it } from "vitest";
import { MfnasError } from "../errors.ts";
import { createRng } from "../random.ts";
import {
  canonicalGenome,
  genomeHash,
  largestGenome,
  smallestGenome,
  validateGenome,
  validateGenomeStructure,
  type Genome,
} from "./genome.ts";
import { decodeGenome, encodeGenome } from "./genome-codec.ts";
import { sampleGenome } from "./genome-ops.ts";
import { DEFAULT_SEARCH_SPACE, narrowSpace } from "./search-space.ts";

const space = DEFAULT_SEARCH_SPACE;

const example: Genome = {
  scale: 4,
  trunkWidth: 48,
  blocks: [
    { branchWidth: 16, branches: ["down2", "conv3"] },
    { branchWidth: 8, branches: ["dil2"] },
  ],
  upsampler: "pixel-shuffle",
};

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(MfnasError);
    expect((error as MfnasError).code).toBe("invalid_input");
    return (error as MfnasError).message;
  }
  throw new Error("expected an MfnasError");
}

function withBlock(index: number, block: unknown): unknown {
  const blocks: unknown[] = [...example.blocks];
  blocks[index] = block;
  return { ...example, blocks };
}

describe("validateGenome", () => {
  it("returns the canonical genome", () => {
    const g = validateGenome(example, space);
    expect(g.blocks[0]?.branches).toEqual(["conv3", "down2"]);
    expect(Object.keys(g)).toEqual(["scale", "trunkWidth", "blocks", "upsampler"]);
  });

  const cases: Array<[string, unknown, string]> = [
    ["non-object", 7, "genome: expected an object, got 7"],
    ["unknown key", { ...example, extra: true }, "extra: unknown key"],
    ["missing key", { ...example, upsampler: undefined }, "upsampler: missing"],
    ["unknown scale", { ...example, scale: 3 }, "scale: unknown scale 3"],
    ["trunk width outside the space", { ...example, trunkWidth: 50 }, "trunkWidth: 50 is outside the search space"],
    ["depth", { ...example, blocks: [] }, "blocks: depth 0 is outside 1..8"],
    ["unknown branch", withBlock(1, { branchWidth: 8, branches: ["k9"] }), 'blocks[1].branches: unknown branch "k9"'],
    ["empty branches", withBlock(0, { branchWidth: 8, branches: [] }), "blocks[0].branches: must contain at least one"],
    [
      "duplicate branch",
      withBlock(0, { branchWidth: 8, branches: ["conv3", "conv3"] }),
      'blocks[0].branches: duplicate branch "conv3"',
    ],
    ["branch width", withBlock(1, { branchWidth: 12, branches: ["dil2"] }), "blocks[1].branchWidth: 12 is outside"],
    ["block key", withBlock(1, { branchWidth: 8, branches: ["dil2"], k: 3 }), "blocks[1].k: unknown key"],
    ["block type", withBlock(1, "x"), 'blocks[1]: expected an object, got "x"'],
    ["upsampler", { ...example, upsampler: "bicubic" }, 'upsampler: unknown upsampler "bicubic"'],
  ];
  it.each(cases)("rejects %s with the gene path", (_label, value, start) => {
    expect(messageOf(() => validateGenome(value, space))).toMatch(new RegExp(`^${escape(start)}`));
  });

  it("checks membership in a narrowed space", () => {
    const narrow = narrowSpace(space, { branchKinds: ["conv3", "dil2"], maxBranchesPerBlock: 1, scales: [2] });
    expect(messageOf(() => validateGenome({ ...example, scale: 2 }, narrow))).toMatch(
      /^blocks\[0\]\.branches: branch "down2" is outside the search space/,
    );
    const twoBranches = { ...example, scale: 2, blocks: [{ branchWidth: 8, branches: ["conv3", "dil2"] }] };
    expect(messageOf(() => validateGenome(twoBranches, narrow))).toMatch(
      /^blocks\[0\]\.branches: 2 branches exceed the space's maximum of 1/,
    );
    expect(messageOf(() => validateGenome(example, narrow))).toMatch(/^scale: 4 is outside the search space/);
  });

  it("validateGenomeStructure accepts any widths and depth but not malformed genes", () => {
    const wide = { ...example, trunkWidth: 100, blocks: Array(20).fill({ branchWidth: 3, branches: ["conv3"] }) };
    expect(validateGenomeStructure(wide).trunkWidth).toBe(100);
    expect(messageOf(() => validateGenomeStructure({ ...example, trunkWidth: 0 }))).toMatch(/^trunkWidth: must be/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

describe("canonical form and hash", () => {
  it("is invariant under key order and branch order", () => {
    const permuted = {
      upsampler: "pixel-shuffle",
      blocks: [
        { branches: ["conv3", "down2"], branchWidth: 16 },
        { branches: ["dil2"], branchWidth: 8 },
      ],
      trunkWidth: 48,
      scale: 4,
    } as Genome;
    expect(genomeHash(permuted)).toBe(genomeHash(example));
    expect(genomeHash(example)).toMatch(/^[0-9a-f]{64}$/);
    expect(canonicalGenome(permuted)).toEqual(canonicalGenome(example));
    expect(JSON.stringify(canonicalGenome(permuted))).toBe(JSON.stringify(canonicalGenome(example)));
  });

  it("differs when any gene differs, including block order", () => {
    const swapped = { ...example, blocks: [example.blocks[1]!, example.blocks[0]!] };
    expect(genomeHash(swapped)).not.toBe(genomeHash(example));
    expect(genomeHash({ ...example, upsampler: "nearest-conv" })).not.toBe(genomeHash(example));
  });

  it("is stable across random branch permutations of sampled genomes", () => {
    const rng = createRng(11);
    for (let i = 0; i < 200; i++) {
      const g = sampleGenome(space, rng);
      const shuffled = { ...g, blocks: g.blocks.map((b) => ({ ...b, branches: rng.shuffle(b.branches) })) };
      expect(genomeHash(shuffled)).toBe(genomeHash(g));
    }
  });
});

describe("encodeGenome / decodeGenome", () => {
  it("encodes the documented example", () => {
    expect(encodeGenome(example)).toBe("x4-c48-u:ps-b[16:conv3+down2|8:dil2]");
    expect(decodeGenome("x4-c48-u:ps-b[16:down2+conv3|8:dil2]", space)).toEqual(canonicalGenome(example));
  });

  it("round-trips seeded random genomes", () => {
    const rng = createRng(2024);
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const g = sampleGenome(space, rng);
      const text = encodeGenome(g);
      expect(decodeGenome(text, space)).toEqual(g);
      expect(encodeGenome(decodeGenome(text, space))).toBe(text);
      seen.add(text);
    }
    expect(seen.size).toBeGreaterThan(490);
  });

  const bad: Array<[string, RegExp]> = [
    ["x4-c48-ps-b[16:conv3]", /^genome string: expected x<scale>/],
    ["x4-c048-u:ps-b[16:conv3]", /^trunkWidth: malformed number "048"/],
    ["x4-c48-u:zz-b[16:conv3]", /^upsampler: unknown code "zz"/],
    ["x4-c48-u:ps-b[16:conv3|8dil2]", /^blocks\[1\]: malformed block "8dil2"/],
    ["x4-c48-u:ps-b[16:conv3|8:k9]", /^blocks\[1\]\.branches: unknown branch "k9"/],
    ["x4-c48-u:ps-b[16:conv3|8:]", /^blocks\[1\]\.branches: must contain at least one/],
    ["x4-c48-u:ps-b[]", /^blocks: depth 0 is outside 1\.\.8/],
    ["x3-c48-u:ps-b[16:conv3]", /^scale: unknown scale 3/],
  ];
  it.each(bad)("rejects %s naming the gene", (text, message) => {
    expect(messageOf(() => decodeGenome(text, space))).toMatch(message);
  });
});

describe("largestGenome / smallestGenome", () => {
  it("takes the extremes of every gene", () => {
    expect(encodeGenome(smallestGenome(space, 2))).toBe("x2-c16-u:nc-b[8:down4]");
    const largest = largestGenome(space, 4);
    expect(largest.blocks).toHaveLength(8);
    expect(encodeGenome({ ...largest, blocks: largest.blocks.slice(0, 1) })).toBe(
      "x4-c64-u:ps-b[32:conv3+dil2+down2+down4]",
    );
    expect(validateGenome(largest, space)).toEqual(largest);
  });

  it("keeps the full-resolution branches when the branch count is capped", () => {
    const capped = narrowSpace(space, { maxBranchesPerBlock: 2, upsamplers: ["nearest-conv"] });
    expect(largestGenome(capped, 2).blocks[0]?.branches).toEqual(["conv3", "dil2"]);
    expect(largestGenome(capped, 2).upsampler).toBe("nearest-conv");
    expect(messageOf(() => largestGenome(narrowSpace(space, { scales: [2] }), 4))).toMatch(/^scale: 4 is outside/);
  });
});
