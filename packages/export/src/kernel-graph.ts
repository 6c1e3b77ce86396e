import { createHash } from "node:crypto";
import {
  BICUBIC_SKIP_KERNEL,
  BICUBIC_SKIP_PAD,
  BRANCH_DOWNSCALE,
  RESIDUAL_SCALE,
  bicubicSkipWeights,
  createRng,
  kernelKey,
  type Genome,
  type KernelSpec,
} from "@mfnas/core";
import { LEAKY_ALPHA, type ExportGraph, type ExportNode, type Nhwc } from "./export-graph.ts";
import type { ConvParams } from "./weights.ts";

/**
 * Version of the kernel models' layout; part of the kernels' architecture rows and hashes, so measurements of an
 * older layout are never reused. mfnas-kernel/2: the skip kernel is the bicubic skip (was a bilinear resize).
 */
export const KERNEL_GRAPH_VERSION = "mfnas-kernel/2";

/** Hash of a kernel as an architecture: what its Measurement rows are keyed by. */
export function kernelHash(kernel: KernelSpec): string {
  return createHash("sha256")
    .update(`${KERNEL_GRAPH_VERSION}\u0000${kernelKey(kernel)}`)
    .digest("hex");
}

/** An export node without its shape (the builder computes it); distributes over the node union. */
type UnshapedNode = ExportNode extends infer N ? (N extends ExportNode ? Omit<N, "shape"> : never) : never;

/** The output shape of an op on a kernel graph (the export checker verifies it again). */
function outputShape(node: UnshapedNode, shapes: ReadonlyMap<string, Nhwc>, params: ReadonlyMap<string, ConvParams>) {
  const [n, h, w, c] = shapes.get(node.inputs[0] as string) as Nhwc;
  const scaled = (f: number, channels = c): Nhwc => [n, h * f, w * f, channels];
  switch (node.op) {
    case "conv2d": {
      const [k, , , cout] = (params.get(node.param) as ConvParams).weight.shape as [number, number, number, number];
      return node.padding === "valid" ? ([n, h - k + 1, w - k + 1, cout] as const) : scaled(1, cout);
    }
    case "symmetricPad":
      return [n, h + 2 * node.pad, w + 2 * node.pad, c] as const;
    case "avgPool":
      return scaled(1 / node.size);
    case "resizeNearest":
      return scaled(node.factor);
    case "depthToSpace":
      return scaled(node.blockSize, c / node.blockSize ** 2);
    case "concat":
      return scaled(
        1,
        node.inputs.reduce((sum, name) => sum + (shapes.get(name)?.[3] ?? 0), 0),
      );
    case "leakyRelu":
    case "add":
    case "mulScalar":
      return scaled(1);
  }
}

/** Collects shaped nodes and seeded conv weights (He-scaled, ordinary magnitudes, like the latency probes). */
class KernelBuilder {
  readonly nodes: ExportNode[] = [];
  readonly params = new Map<string, ConvParams>();
  readonly shapes = new Map<string, Nhwc>();
  readonly #rng = createRng(1);

  constructor(shape: Nhwc) {
    this.shapes.set("x", shape);
  }

  op(node: UnshapedNode): string {
    const shape = outputShape(node, this.shapes, this.params);
    this.nodes.push({ ...node, shape });
    this.shapes.set(node.output, shape);
    return node.output;
  }

  conv(output: string, input: string, cout: number, kernel: number, dilation = 1): string {
    const cin = (this.shapes.get(input) as Nhwc)[3];
    const fanIn = kernel * kernel * cin;
    const bound = Math.sqrt(6 / fanIn) * 0.1;
    const data = new Float32Array(fanIn * cout);
    for (let i = 0; i < data.length; i++) data[i] = (this.#rng.nextFloat() * 2 - 1) * bound;
    this.params.set(output, {
      weight: { shape: [kernel, kernel, cin, cout], data },
      bias: { shape: [cout], data: new Float32Array(cout).fill(0.01) },
    });
    return this.op({ op: "conv2d", inputs: [input], output, param: output, kernel, dilation });
  }

  lrelu(output: string, input: string): string {
    return this.op({ op: "leakyRelu", inputs: [input], output, alpha: LEAKY_ALPHA });
  }
}

function inputChannels(k: KernelSpec): number {
  switch (k.kind) {
    case "head":
    case "skip":
      return 3;
    case "fuse":
      return k.bw;
    case "branch":
    case "trunk":
    case "upsample":
    case "tail":
      return k.c;
  }
}

/**
 * The export graph of one kernel alone: the same ops as in a SubGenerator's export graph (build-graph.ts), on a
 * single input of the kernel's shape. Where the generator's op reads a second tensor (a residual add, a concat of
 * branches), the kernel reads its own input again: same shapes, same work.
 */
export function kernelGraph(kernel: KernelSpec): ExportGraph {
  const b = new KernelBuilder([1, kernel.h, kernel.w, inputChannels(kernel)]);
  let out: string;
  switch (kernel.kind) {
    case "head":
      out = b.conv("conv", "x", kernel.c, 3);
      break;
    case "branch": {
      const factor = BRANCH_DOWNSCALE[kernel.branch];
      const pooled = factor > 1 ? b.op({ op: "avgPool", inputs: ["x"], output: "pool", size: factor }) : "x";
      const conv = b.lrelu("lrelu", b.conv("conv", pooled, kernel.bw, 3, kernel.branch === "dil2" ? 2 : 1));
      out = factor > 1 ? b.op({ op: "resizeNearest", inputs: [conv], output: "up", factor }) : conv;
      break;
    }
    case "fuse": {
      const joined =
        kernel.n > 1
          ? b.op({ op: "concat", inputs: Array.from({ length: kernel.n }, () => "x"), output: "concat" })
          : "x";
      const fused = b.conv("fuse", joined, kernel.c, 1);
      const scaled = b.op({ op: "mulScalar", inputs: [fused], output: "scaled", scalar: RESIDUAL_SCALE });
      out = b.op({ op: "add", inputs: [fused, scaled], output: "out" });
      break;
    }
    case "trunk":
      out = b.op({ op: "add", inputs: ["x", b.conv("conv", "x", kernel.c, 3)], output: "out" });
      break;
    case "upsample":
      out =
        kernel.upsampler === "nearest-conv"
          ? b.lrelu(
              "lrelu",
              b.conv("conv", b.op({ op: "resizeNearest", inputs: ["x"], output: "up", factor: 2 }), kernel.c, 3),
            )
          : b.lrelu(
              "lrelu",
              b.op({
                op: "depthToSpace",
                inputs: [b.conv("conv", "x", 4 * kernel.c, 3)],
                output: "shuffle",
                blockSize: 2,
              }),
            );
      break;
    case "tail":
      out = b.conv("conv_last", b.lrelu("lrelu", b.conv("conv_hr", "x", kernel.c, 3)), 3, 3);
      break;
    case "skip": {
      // The generator's bicubic skip (build-graph.ts): symmetric pad, constant phase conv, depth-to-space, add.
      const padded = b.op({ op: "symmetricPad", inputs: ["x"], output: "pad", pad: BICUBIC_SKIP_PAD });
      b.params.set("bicubic", bicubicSkipWeights(kernel.scale));
      const phases = b.op({
        ...{ op: "conv2d", inputs: [padded], output: "bicubic", param: "bicubic" },
        ...{ kernel: BICUBIC_SKIP_KERNEL, dilation: 1, padding: "valid", constant: true },
      });
      const up = b.op({ op: "depthToSpace", inputs: [phases], output: "shuffle", blockSize: kernel.scale });
      out = b.op({ op: "add", inputs: [up, up], output: "out" });
      break;
    }
  }
  // The writers record a genome in the file's description; a kernel has none, so a minimal placeholder stands in.
  const genome: Genome = {
    scale: 2,
    trunkWidth: 16,
    blocks: [{ branchWidth: 8, branches: ["conv3"] }],
    upsampler: "nearest-conv",
  };
  return {
    genome,
    input: { name: "x", shape: b.shapes.get("x") as Nhwc },
    output: out,
    nodes: b.nodes,
    params: b.params,
  };
}
