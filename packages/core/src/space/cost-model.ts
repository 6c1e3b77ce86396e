/**
 * Exact analytic cost of the MFA generator a genome describes, for one H x W RGB low-resolution input
 * (batch 1, float32). C = trunkWidth, Wb = a block's branchWidth, nb = its number of branches.
 *
 *   LR input 3xHxW
 *        |
 *   head: conv3x3 3->C ------------------------------------------------ f0 ----------.
 *        |                                                                           |
 *   MFA block (x N), input x (C ch) ------------------------------------.            |
 *        |-- conv3: conv3x3 C->Wb + LReLU                 (HxW)         |            |
 *        |-- dil2:  conv3x3 dil 2 C->Wb + LReLU           (HxW)         |            |
 *        |-- down2: avgpool2 -> conv3x3 C->Wb + LReLU -> nearest x2     |            |
 *        '-- down4: avgpool4 -> conv3x3 C->Wb + LReLU -> nearest x4     |            |
 *                 concat (nb*Wb ch) -> conv1x1 nb*Wb->C = fused         |            |
 *        out = x + 0.2 * fused  <---------------------------------------'            |
 *        |                                                                           |
 *   trunk: conv3x3 C->C  ->  + f0  <-------------------------------------------------'
 *        |
 *   upsampler, log2(scale) times:  nearest-conv:  nearest x2 -> conv3x3 C->C + LReLU
 *                                  pixel-shuffle: conv3x3 C->4C -> depth-to-space 2 -> LReLU
 *        |
 *   tail (HR): conv3x3 C->C + LReLU -> conv3x3 C->3 = residual
 *        |
 *   output skip: MATLAB bicubic x scale of the LR input = symmetric pad 2 -> fixed conv5x5 'valid' 3->3*s*s
 *                -> depth-to-space s; + residual  ->  SR output 3x(sH)x(sW)
 *
 * Every trained conv has a bias and 'same' padding; LReLU slope is 0.2. Branches of a block run in canonical order.
 * The network learns the residual over bicubic upsampling (a global skip, as mobile SR nets add an interpolated
 * input): an untrained generator (conv_last starts at zero) is exactly MATLAB's bicubic, the SR baseline, and
 * training starts from it. The skip's conv weights are constants (bicubic-skip.ts), counted in `constants`, not
 * `params`; its MACs count like any conv's. The skip runs last, so only the small LR input, not a 3x(sH)x(sW)
 * tensor, stays live through the network.
 * The counting and liveness rules are in cost-graph.ts and README.md.
 */
import { BICUBIC_SKIP_KERNEL, BICUBIC_SKIP_PAD } from "./bicubic-skip.ts";
import { CostGraph, type CostReport, type TensorId } from "./cost-graph.ts";
import { invalidAt } from "./invalid.ts";
import { validateGenomeStructure, type Genome } from "./genome.ts";
import type { BranchKind } from "./search-space.ts";

/**
 * Changes whenever any number this module or esrgan-cost.ts reports could change (architecture, counting or
 * liveness rules), so stored costs can be invalidated. mfa-cost-3: the output skip is MATLAB bicubic (pad, fixed
 * conv, depth-to-space) instead of a bilinear resize, and reports count its constants.
 */
export const COST_MODEL_VERSION = "mfa-cost-3";

/** Residual scaling of block outputs (out = x + 0.2 * fused); elementwise, so it has no conv MACs. */
export const RESIDUAL_SCALE = 0.2;

/** Spatial reduction of each branch kind (its pool and upsample factor); 1 = full resolution. */
export const BRANCH_DOWNSCALE: Readonly<Record<BranchKind, number>> = { conv3: 1, dil2: 1, down2: 2, down4: 4 };

/** Largest LR side the cost model accepts; keeps every count exact in a double. */
export const MAX_INPUT_SIDE = 8192;

/** Throws unless H and W are positive integers divisible by every branch's downscale factor in the genome. */
export function checkInputSize(genome: Genome, height: number, width: number): void {
  for (const [name, v] of [
    ["height", height],
    ["width", width],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_INPUT_SIDE) {
      throw invalidAt(name, `must be an integer in 1..${MAX_INPUT_SIDE}, got ${String(v)}`, { value: v }, "input");
    }
  }
  genome.blocks.forEach((block, i) => {
    for (const kind of block.branches) {
      const factor = BRANCH_DOWNSCALE[kind];
      if (height % factor !== 0 || width % factor !== 0) {
        throw invalidAt(
          `blocks[${i}].branches`,
          `branch ${kind} needs an input whose height and width are divisible by ${factor}, got ${height}x${width}`,
          { height, width, factor },
        );
      }
    }
  });
}

function branch(graph: CostGraph, name: string, x: TensorId, kind: BranchKind, width: number): TensorId {
  switch (kind) {
    case "conv3":
      return graph.conv(`${name}.conv`, x, width, 3, { lrelu: true });
    case "dil2":
      return graph.conv(`${name}.conv`, x, width, 3, { dilation: 2, lrelu: true });
    case "down2":
    case "down4": {
      const factor = BRANCH_DOWNSCALE[kind];
      const pooled = graph.avgPool(`${name}.pool`, x, factor);
      const conv = graph.conv(`${name}.conv`, pooled, width, 3, { lrelu: true });
      return graph.upsampleNearest(`${name}.upsample`, conv, factor);
    }
  }
}

/**
 * Params, MACs, peak activation memory and memory traffic of the generator for an H x W LR input, with one entry
 * per op in execution order. The genome is checked for structure only (any widths/depth), not against a space.
 */
export function genomeCost(genome: Genome, height: number, width: number): CostReport {
  const g = validateGenomeStructure(genome);
  checkInputSize(g, height, width);
  const c = g.trunkWidth;
  const graph = new CostGraph([3, height, width]);

  const f0 = graph.conv("head", graph.input, c, 3);
  let x = f0;
  g.blocks.forEach((block, i) => {
    const name = `blocks[${i}]`;
    const outs = block.branches.map((kind) => branch(graph, `${name}.${kind}`, x, kind, block.branchWidth));
    const joined = graph.concat(`${name}.concat`, outs);
    const fused = graph.conv(`${name}.fuse`, joined, c, 1);
    x = graph.residualAdd(`${name}.residual`, x, fused);
  });
  const trunk = graph.conv("trunk", x, c, 3);
  let y = graph.residualAdd("global-residual", f0, trunk);

  const stages = Math.log2(g.scale);
  for (let s = 0; s < stages; s++) {
    const name = `upsample[${s}]`;
    if (g.upsampler === "nearest-conv") {
      const up = graph.upsampleNearest(`${name}.nearest`, y, 2);
      y = graph.conv(`${name}.conv`, up, c, 3, { lrelu: true });
    } else {
      // LReLU commutes with the depth-to-space permutation, so it is fused into the conv like everywhere else.
      const conv = graph.conv(`${name}.conv`, y, 4 * c, 3, { lrelu: true });
      y = graph.depthToSpace(`${name}.shuffle`, conv, 2);
    }
  }
  const hr = graph.conv("tail.conv_hr", y, c, 3, { lrelu: true });
  const residual = graph.conv("tail.conv_last", hr, 3, 3);
  const padded = graph.padSymmetric("skip.pad", graph.input, BICUBIC_SKIP_PAD);
  const phases = graph.conv("skip.bicubic", padded, 3 * g.scale * g.scale, BICUBIC_SKIP_KERNEL, {
    padding: "valid",
    fixed: true,
  });
  const base = graph.depthToSpace("skip.shuffle", phases, g.scale);
  return graph.report(graph.residualAdd("skip.add", base, residual));
}
