/**
 * A compact, canonical, human-readable string for a genome, for logs, URLs, file names and database keys:
 *
 *     x<scale>-c<trunkWidth>-u:<nc|ps>-b[<branchWidth>:<branch>+<branch>...|<branchWidth>:<branch>...]
 *
 * e.g. `x4-c48-u:ps-b[16:conv3+down2|8:dil2]` = scale 4, trunk 48 channels, pixel-shuffle upsampler, two MFA blocks:
 * block 0 has branches conv3 and down2 of 16 channels each, block 1 a single dil2 branch of 8 channels.
 * `nc` = nearest-conv, `ps` = pixel-shuffle. Blocks are listed in execution order; branches within a block in
 * canonical order (conv3, dil2, down2, down4). Numbers are plain decimals without leading zeros.
 *
 * `encodeGenome` always emits the canonical string, so equal architectures give equal strings. `decodeGenome`
 * also accepts branches in any order (it returns the canonical genome) and validates against a search space.
 */
import { MfnasError } from "../errors.ts";
import { child, invalidAt } from "./invalid.ts";
import { validateGenome, validateGenomeStructure, type Genome } from "./genome.ts";
import type { SearchSpace, Upsampler } from "./search-space.ts";

const UPSAMPLER_CODES: Readonly<Record<Upsampler, string>> = { "nearest-conv": "nc", "pixel-shuffle": "ps" };
const GENOME_PATTERN = /^x([^-]*)-c([^-]*)-u:([^-]*)-b\[(.*)\]$/;
const BLOCK_PATTERN = /^([^:]*):(.*)$/;
const FORMAT = "x<scale>-c<trunkWidth>-u:<nc|ps>-b[<branchWidth>:<branch>+...|...]";

/** The canonical string of a (structurally valid) genome. */
export function encodeGenome(g: Genome): string {
  const c = validateGenomeStructure(g);
  const blocks = c.blocks.map((b) => `${b.branchWidth}:${b.branches.join("+")}`).join("|");
  return `x${c.scale}-c${c.trunkWidth}-u:${UPSAMPLER_CODES[c.upsampler]}-b[${blocks}]`;
}

function parseNumber(text: string, path: string): number {
  // Leading zeros and signs are refused so that each number has exactly one spelling.
  if (!/^[1-9][0-9]{0,8}$/.test(text)) throw invalidAt(path, `malformed number ${JSON.stringify(text)}`);
  return Number(text);
}

/** Parse a genome string and validate it against `space`; errors name the gene path. Returns the canonical genome. */
export function decodeGenome(text: string, space: SearchSpace): Genome {
  if (typeof text !== "string") throw new MfnasError("invalid_input", "genome string: expected a string");
  const m = GENOME_PATTERN.exec(text);
  if (!m) {
    throw invalidAt("", `expected ${FORMAT}, got ${JSON.stringify(text)}`, { value: text }, "genome string");
  }
  const [, scaleText = "", trunkText = "", upsamplerCode = "", body = ""] = m;
  const upsampler = (Object.keys(UPSAMPLER_CODES) as Upsampler[]).find((u) => UPSAMPLER_CODES[u] === upsamplerCode);
  if (upsampler === undefined) {
    throw invalidAt("upsampler", `unknown code ${JSON.stringify(upsamplerCode)} (known: nc, ps)`, {
      value: upsamplerCode,
    });
  }
  const blocks = (body === "" ? [] : body.split("|")).map((blockText, i) => {
    const path = child("blocks", i);
    const bm = BLOCK_PATTERN.exec(blockText);
    if (!bm) throw invalidAt(path, `malformed block ${JSON.stringify(blockText)}, expected <branchWidth>:<branch>+...`);
    const [, widthText = "", branchesText = ""] = bm;
    return {
      branchWidth: parseNumber(widthText, child(path, "branchWidth")),
      // Unknown names pass through so that validateGenome reports them with the same message as for JSON genomes.
      branches: branchesText === "" ? [] : branchesText.split("+"),
    };
  });
  return validateGenome(
    {
      scale: parseNumber(scaleText, "scale"),
      trunkWidth: parseNumber(trunkText, "trunkWidth"),
      blocks,
      upsampler,
    },
    space,
  );
}
