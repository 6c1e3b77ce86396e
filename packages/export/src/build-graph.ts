/**
 * Builds the export graph of a genome, describing exactly the computation of `mfaForward` in @mfnas/model, op for
 * op:
 *
 * conv_first -> per block: per branch [avgPool] -> conv -> LReLU -> [nearest resize]; concat; fuse conv; x0.2; add
 * -> conv_body -> add f0 -> per upsampler stage (nearest x2 -> conv -> LReLU | conv -> depth-to-space -> LReLU)
 * -> conv_hr -> LReLU -> conv_last -> add the output skip (MATLAB bicubic of the input: symmetric pad 2 -> constant
 * 5x5 'valid' conv to 3*s*s phases -> depth-to-space s), last, as the cost model orders it.
 */
import {
  BICUBIC_SKIP_PAD,
  BRANCH_DOWNSCALE,
  MfnasError,
  RESIDUAL_SCALE,
  bicubicSkipWeights,
  checkInputSize,
  convLayerSpecs,
  upsamplerParamName,
  validateGenomeStructure,
  type Genome,
} from "@mfnas/core";
import { LEAKY_ALPHA, type ExportGraph, type ExportNode, type InputSize, type Nhwc } from "./export-graph.ts";
import { checkExportGraph } from "./graph-check.ts";
import { checkWeight, weightEntries, type ConvParams, type WeightMap } from "./weights.ts";

/** Checks presence, shape and values of every weight the genome needs, and that there are no others. */
function checkWeights(genome: Genome, weights: WeightMap): Map<string, ConvParams> {
  const given = weightEntries(weights);
  const params = new Map<string, ConvParams>();
  for (const s of convLayerSpecs(genome)) {
    const weight = checkWeight(`${s.name}.weight`, given.get(`${s.name}.weight`), [s.kernel, s.kernel, s.cin, s.cout]);
    const bias = checkWeight(`${s.name}.bias`, given.get(`${s.name}.bias`), [s.cout]);
    params.set(s.name, { weight, bias });
  }
  for (const name of given.keys()) {
    const prefix = name.replace(/\.(weight|bias)$/, "");
    if (!params.has(prefix) || prefix === name) {
      throw new MfnasError("invalid_input", `${name}: not a parameter of this genome`, { tensor: name });
    }
  }
  return params;
}

/** An export node without its shape (the builder computes it); distributes over the node union. */
type UnshapedNode = ExportNode extends infer N ? (N extends ExportNode ? Omit<N, "shape"> : never) : never;

/** Appends nodes while tracking tensor shapes, so every node records the shape the checker will recompute. */
class GraphBuilder {
  readonly nodes: ExportNode[] = [];
  readonly #shapes = new Map<string, Nhwc>();

  constructor(
    input: string,
    shape: Nhwc,
    private readonly params: Map<string, ConvParams>,
  ) {
    this.#shapes.set(input, shape);
  }

  shape(name: string): Nhwc {
    return this.#shapes.get(name) as Nhwc;
  }

  #push(node: UnshapedNode, shape: Nhwc): string {
    this.nodes.push({ ...node, shape });
    this.#shapes.set(node.output, shape);
    return node.output;
  }

  conv(output: string, input: string, param: string, dilation = 1): string {
    const [kh, , , cout] = (this.params.get(param) as ConvParams).weight.shape as [number, number, number, number];
    const [n, h, w] = this.shape(input);
    return this.#push({ op: "conv2d", inputs: [input], output, param, kernel: kh, dilation }, [n, h, w, cout]);
  }

  /** A 'valid' conv whose weights are architecture constants, added to the graph's weights as `param`. */
  constantConv(output: string, input: string, param: string, weights: ConvParams): string {
    this.params.set(param, weights);
    const [kh, , , cout] = weights.weight.shape as [number, number, number, number];
    const [n, h, w] = this.shape(input);
    const node = { op: "conv2d", inputs: [input], output, param, kernel: kh, dilation: 1 } as const;
    return this.#push({ ...node, padding: "valid", constant: true }, [n, h - kh + 1, w - kh + 1, cout]);
  }

  symmetricPad(output: string, input: string, pad: number): string {
    const [n, h, w, c] = this.shape(input);
    return this.#push({ op: "symmetricPad", inputs: [input], output, pad }, [n, h + 2 * pad, w + 2 * pad, c]);
  }

  leakyRelu(output: string, input: string): string {
    return this.#push({ op: "leakyRelu", inputs: [input], output, alpha: LEAKY_ALPHA }, this.shape(input));
  }

  avgPool(output: string, input: string, size: number): string {
    const [n, h, w, c] = this.shape(input);
    return this.#push({ op: "avgPool", inputs: [input], output, size }, [n, h / size, w / size, c]);
  }

  resizeNearest(output: string, input: string, factor: number): string {
    const [n, h, w, c] = this.shape(input);
    return this.#push({ op: "resizeNearest", inputs: [input], output, factor }, [n, h * factor, w * factor, c]);
  }

  concat(output: string, inputs: readonly string[]): string {
    const [n, h, w] = this.shape(inputs[0] as string);
    const c = inputs.reduce((sum, name) => sum + this.shape(name)[3], 0);
    return this.#push({ op: "concat", inputs, output }, [n, h, w, c]);
  }

  add(output: string, a: string, b: string): string {
    return this.#push({ op: "add", inputs: [a, b], output }, this.shape(a));
  }

  mulScalar(output: string, input: string, scalar: number): string {
    return this.#push({ op: "mulScalar", inputs: [input], output, scalar }, this.shape(input));
  }

  depthToSpace(output: string, input: string, blockSize: number): string {
    const [n, h, w, c] = this.shape(input);
    const shape: Nhwc = [n, h * blockSize, w * blockSize, c / (blockSize * blockSize)];
    return this.#push({ op: "depthToSpace", inputs: [input], output, blockSize }, shape);
  }
}

/**
 * The export graph of a SubGenerator: validates the genome's structure, the LR input size for it, and every
 * weight's presence, shape and values, before anything is encoded. Errors are `MfnasError("invalid_input")` naming
 * the gene path, the input side or the tensor.
 */
export function buildExportGraph(genome: Genome, weights: WeightMap, input: InputSize): ExportGraph {
  const g = validateGenomeStructure(genome);
  checkInputSize(g, input.height, input.width);
  const params = checkWeights(g, weights);
  const b = new GraphBuilder("lr", [1, input.height, input.width, 3], params);

  const f0 = b.conv("conv_first", "lr", "conv_first");
  let x = f0;
  g.blocks.forEach((block, i) => {
    const outs = block.branches.map((kind) => {
      const name = `body.${i}.${kind}`;
      const factor = BRANCH_DOWNSCALE[kind];
      let t = factor > 1 ? b.avgPool(`${name}.pool`, x, factor) : x;
      t = b.leakyRelu(`${name}.lrelu`, b.conv(`${name}.conv`, t, name, kind === "dil2" ? 2 : 1));
      return factor > 1 ? b.resizeNearest(`${name}.up`, t, factor) : t;
    });
    const joined = outs.length === 1 ? (outs[0] as string) : b.concat(`body.${i}.concat`, outs);
    const fused = b.conv(`body.${i}.fuse`, joined, `body.${i}.fuse`);
    x = b.add(`body.${i}.out`, x, b.mulScalar(`body.${i}.scaled`, fused, RESIDUAL_SCALE));
  });
  let y = b.add("trunk.out", f0, b.conv("conv_body", x, "conv_body"));
  for (let s = 0; s < Math.log2(g.scale); s++) {
    const param = upsamplerParamName(g.upsampler, s);
    if (g.upsampler === "nearest-conv") {
      y = b.leakyRelu(`${param}.lrelu`, b.conv(`${param}.conv`, b.resizeNearest(`${param}.up`, y, 2), param));
    } else {
      y = b.leakyRelu(`${param}.lrelu`, b.depthToSpace(`${param}.shuffle`, b.conv(`${param}.conv`, y, param), 2));
    }
  }
  const hr = b.leakyRelu("conv_hr.lrelu", b.conv("conv_hr", y, "conv_hr"));
  const residual = b.conv("conv_last", hr, "conv_last");
  // The output skip: MATLAB bicubic of the input (pad, constant phase conv, depth-to-space), as the cost model has it.
  const padded = b.symmetricPad("skip.pad", "lr", BICUBIC_SKIP_PAD);
  const phases = b.constantConv("skip.bicubic", padded, "skip.bicubic", bicubicSkipWeights(g.scale));
  const output = b.add("sr", b.depthToSpace("skip.shuffle", phases, g.scale), residual);

  const graph: ExportGraph = { genome: g, input: { name: "lr", shape: b.shape("lr") }, output, nodes: b.nodes, params };
  checkExportGraph(graph);
  return graph;
}
