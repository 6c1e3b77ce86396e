/**
 * Kernel decomposition of a SubGenerator: the fused blocks a mobile runtime executes one after the other, each
 * small enough to export as its own model and measure on a phone (nn-Meter's idea, with the operators SR
 * generators add: multi-scale branches, depth-to-space, nearest upsampling, the bicubic output skip).
 *
 * head (conv3x3 3->C) | branch (avgpool -> conv3x3 [dilated] + LReLU -> nearest up) | fuse (concat -> conv1x1 ->
 * x0.2 -> residual add) | trunk (conv3x3 C->C + add f0) | upsample stage (nearest x2 -> conv + LReLU, or
 * conv C->4C -> depth-to-space -> LReLU) | tail (conv_hr + LReLU -> conv_last C->3, at HR) | skip (MATLAB bicubic
 * x s of the LR input: symmetric pad -> constant 5x5 conv to 3*s*s phases -> depth-to-space; + add).
 *
 * The list follows the export graph op for op (packages/export build-graph.ts), so every op of a model belongs to
 * exactly one kernel.
 */
import { BICUBIC_SKIP_KERNEL, BICUBIC_SKIP_PAD, bicubicSkipConstants } from "./bicubic-skip.ts";
import { BRANCH_DOWNSCALE, checkInputSize } from "./cost-model.ts";
import { validateGenomeStructure, type Genome } from "./genome.ts";
import type { BranchKind, SearchSpace, Upsampler } from "./search-space.ts";

interface Spatial {
  /** Height and width of the kernel's input tensor. */
  readonly h: number;
  readonly w: number;
}

export type KernelSpec =
  | (Spatial & { readonly kind: "head"; readonly c: number })
  | (Spatial & { readonly kind: "branch"; readonly branch: BranchKind; readonly c: number; readonly bw: number })
  | (Spatial & { readonly kind: "fuse"; readonly n: number; readonly bw: number; readonly c: number })
  | (Spatial & { readonly kind: "trunk"; readonly c: number })
  | (Spatial & { readonly kind: "upsample"; readonly upsampler: Upsampler; readonly c: number })
  | (Spatial & { readonly kind: "tail"; readonly c: number })
  | (Spatial & { readonly kind: "skip"; readonly scale: number });

export type KernelKind = KernelSpec["kind"];
export const KERNEL_KINDS: readonly KernelKind[] = ["head", "branch", "fuse", "trunk", "upsample", "tail", "skip"];

/** A stable, readable key: equal kernels, equal keys (e.g. `branch.down2.c32.b16.16x16`). */
export function kernelKey(k: KernelSpec): string {
  const at = `${k.h}x${k.w}`;
  switch (k.kind) {
    case "head":
    case "trunk":
    case "tail":
      return `${k.kind}.c${k.c}.${at}`;
    case "branch":
      return `branch.${k.branch}.c${k.c}.b${k.bw}.${at}`;
    case "fuse":
      return `fuse.n${k.n}.b${k.bw}.c${k.c}.${at}`;
    case "upsample":
      return `upsample.${k.upsampler}.c${k.c}.${at}`;
    case "skip":
      return `skip.x${k.scale}.${at}`;
  }
}

/** The kernels of a genome's generator for an H x W LR input, in execution order. */
export function kernelsOf(genome: Genome, height: number, width: number): KernelSpec[] {
  const g = validateGenomeStructure(genome);
  checkInputSize(g, height, width);
  const c = g.trunkWidth;
  const at = { h: height, w: width };
  const kernels: KernelSpec[] = [{ kind: "head", c, ...at }];
  for (const block of g.blocks) {
    for (const branch of block.branches) kernels.push({ kind: "branch", branch, c, bw: block.branchWidth, ...at });
    kernels.push({ kind: "fuse", n: block.branches.length, bw: block.branchWidth, c, ...at });
  }
  kernels.push({ kind: "trunk", c, ...at });
  let side = 1;
  for (let s = 0; s < Math.log2(g.scale); s++, side *= 2) {
    kernels.push({ kind: "upsample", upsampler: g.upsampler, c, h: height * side, w: width * side });
  }
  kernels.push({ kind: "tail", c, h: height * g.scale, w: width * g.scale });
  kernels.push({ kind: "skip", scale: g.scale, ...at });
  return kernels;
}

/** Analytic figures of a kernel: conv MACs and float32 bytes of the tensors and weights it touches. */
export interface KernelFigures {
  readonly macs: number;
  readonly bytes: number;
}

const conv = (k: number, cin: number, cout: number, pixels: number) => ({
  macs: k * k * cin * cout * pixels,
  bytes: 4 * (cin * pixels + cout * pixels + k * k * cin * cout + cout),
});

export function kernelFigures(k: KernelSpec): KernelFigures {
  const px = k.h * k.w;
  switch (k.kind) {
    case "head":
      return conv(3, 3, k.c, px);
    case "trunk": {
      const f = conv(3, k.c, k.c, px);
      return { macs: f.macs, bytes: f.bytes + 3 * 4 * k.c * px };
    }
    case "branch": {
      const down = BRANCH_DOWNSCALE[k.branch];
      const f = conv(3, k.c, k.bw, px / (down * down));
      const extra = down > 1 ? 4 * (k.c * px + k.c * (px / (down * down)) + 2 * k.bw * px) : 0;
      return { macs: f.macs, bytes: f.bytes + extra };
    }
    case "fuse": {
      const f = conv(1, k.n * k.bw, k.c, px);
      const concat = k.n > 1 ? 2 * 4 * k.n * k.bw * px : 0;
      return { macs: f.macs, bytes: f.bytes + concat + 5 * 4 * k.c * px };
    }
    case "upsample":
      if (k.upsampler === "nearest-conv") {
        const f = conv(3, k.c, k.c, 4 * px);
        return { macs: f.macs, bytes: f.bytes + 4 * k.c * px };
      } else {
        const f = conv(3, k.c, 4 * k.c, px);
        return { macs: f.macs, bytes: f.bytes + 2 * 4 * 4 * k.c * px };
      }
    case "tail": {
      const hr = conv(3, k.c, k.c, px);
      const last = conv(3, k.c, 3, px);
      return { macs: hr.macs + last.macs, bytes: hr.bytes + last.bytes };
    }
    case "skip": {
      // Symmetric pad, the constant phase conv 3 -> 3*s*s ('valid', on the padded input), depth-to-space, add.
      const phases = 3 * k.scale * k.scale;
      const padded = 3 * (k.h + 2 * BICUBIC_SKIP_PAD) * (k.w + 2 * BICUBIC_SKIP_PAD);
      const macs = BICUBIC_SKIP_KERNEL * BICUBIC_SKIP_KERNEL * 3 * phases * px;
      const bytes = 4 * (3 * px + 2 * padded + bicubicSkipConstants(k.scale) + phases * px * (1 + 2 + 3));
      return { macs, bytes };
    }
  }
}

/**
 * Every kernel the space can produce at an LR input size, each once, in a fixed order: what a complete profile of
 * a device class measures. (The default space has a few hundred; `profilingPlan` picks a subset.)
 */
export function spaceKernels(space: SearchSpace, height: number, width: number): KernelSpec[] {
  const at = { h: height, w: width };
  const out = new Map<string, KernelSpec>();
  const add = (k: KernelSpec) => out.set(kernelKey(k), k);
  const maxBranches = Math.min(space.maxBranchesPerBlock, space.branchKinds.length);
  for (const c of space.trunkWidths) {
    add({ kind: "head", c, ...at });
    add({ kind: "trunk", c, ...at });
    for (const bw of space.branchWidths) {
      for (const branch of space.branchKinds) {
        const down = BRANCH_DOWNSCALE[branch];
        if (height % down === 0 && width % down === 0) add({ kind: "branch", branch, c, bw, ...at });
      }
      for (let n = 1; n <= maxBranches; n++) add({ kind: "fuse", n, bw, c, ...at });
    }
    for (const scale of space.scales) {
      for (const upsampler of space.upsamplers) {
        for (let side = 1; side < scale; side *= 2) {
          add({ kind: "upsample", upsampler, c, h: height * side, w: width * side });
        }
      }
      add({ kind: "tail", c, h: height * scale, w: width * scale });
    }
  }
  for (const scale of space.scales) add({ kind: "skip", scale, ...at });
  return [...out.values()];
}
