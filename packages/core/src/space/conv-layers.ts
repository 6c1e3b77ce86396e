import type { Genome } from "./genome.ts";
import type { Upsampler } from "./search-space.ts";

/**
 * The weight layout of a SubGenerator: its conv layers by parameter name prefix (BasicSR style, each with
 * `.weight` in HWIO and `.bias`) and sizes, in execution order (the order of `genomeCost(...).layers` convs).
 * The tfjs networks, the exporters and checkpoints all name weights this way.
 */
export interface ConvLayerSpec {
  readonly name: string;
  readonly kernel: number;
  readonly cin: number;
  readonly cout: number;
}

/** Parameter name prefix of an upsampler stage's conv. */
export function upsamplerParamName(kind: Upsampler, stage: number): string {
  return kind === "nearest-conv" ? `upsample_nc.${stage}` : `upsample_ps.${stage}`;
}

/** Output channels of an upsampler stage's conv: pixel-shuffle makes 4C channels for its depth-to-space. */
export function upsamplerChannels(kind: Upsampler, trunk: number): number {
  return kind === "nearest-conv" ? trunk : 4 * trunk;
}

/** The conv layers of a (structurally valid) genome's generator, in execution order. */
export function convLayerSpecs(genome: Genome): ConvLayerSpec[] {
  const c = genome.trunkWidth;
  const specs: ConvLayerSpec[] = [{ name: "conv_first", kernel: 3, cin: 3, cout: c }];
  genome.blocks.forEach((block, i) => {
    for (const kind of block.branches)
      specs.push({ name: `body.${i}.${kind}`, kernel: 3, cin: c, cout: block.branchWidth });
    specs.push({ name: `body.${i}.fuse`, kernel: 1, cin: block.branches.length * block.branchWidth, cout: c });
  });
  specs.push({ name: "conv_body", kernel: 3, cin: c, cout: c });
  for (let s = 0; s < Math.log2(genome.scale); s++) {
    specs.push({
      name: upsamplerParamName(genome.upsampler, s),
      kernel: 3,
      cin: c,
      cout: upsamplerChannels(genome.upsampler, c),
    });
  }
  specs.push({ name: "conv_hr", kernel: 3, cin: c, cout: c });
  specs.push({ name: "conv_last", kernel: 3, cin: c, cout: 3 });
  return specs;
}
