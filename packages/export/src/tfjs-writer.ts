/**
 * Writes an export graph as a TF.js GraphModel: `model.json` (format "graph-model", `modelTopology` a TensorFlow
 * GraphDef in protobuf-JSON form, `weightsManifest`) plus one weights file, as tfjs-converter's `loadGraphModel`
 * reads them. Convs are `_FusedConv2D` with BiasAdd (and LeakyRelu when the conv's only consumer is one), NHWC,
 * HWIO filters; a depth-to-space's conv has its channels reordered to TensorFlow's DepthToSpace order; the bicubic
 * skip's symmetric pad is Slices and ConcatV2s. The float16 variant stores weights as float16 with tfjs's weight
 * quantization entry, which tfjs widens to float32 on load; the skip's constant conv stays float32.
 */
import { float32Bytes, int32Bytes, uint16Bytes } from "./bytes.ts";
import type { ExportGraph, ExportNode, ExportPrecision, Nhwc } from "./export-graph.ts";
import { toFloat16Bits } from "./float16.ts";
import { checkExportGraph, depthToSpaceProducers } from "./graph-check.ts";
import { symmetricPadSteps } from "./symmetric-pad.ts";
import { pixelShuffleToDepthToSpace, type WeightTensor } from "./weights.ts";

export interface TfjsWriteOptions {
  /** Weight precision. Default `float32`. */
  precision?: ExportPrecision;
  /** Name of the weights file that model.json points at. Default `weights.bin`. */
  weightsFileName?: string;
  /** model.json `generatedBy` / `convertedBy`. Default "mfnas-export". */
  producer?: string;
  /** model.json `userDefinedMetadata`. Default none. */
  metadata?: Readonly<Record<string, unknown>>;
}

/** The two files of a GraphModel. */
export interface TfjsFiles {
  readonly modelJson: Uint8Array;
  readonly weights: Uint8Array;
}

type AttrValue = Record<string, unknown>;
interface NodeDef {
  name: string;
  op: string;
  input: string[];
  attr: Record<string, AttrValue>;
}
interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: "float32" | "int32";
  quantization?: { dtype: "float16"; original_dtype: "float32" };
}

// Protobuf-JSON spellings of AttrValue fields: bytes are base64, int64 are decimal strings.
const str = (s: string): AttrValue => ({ s: Buffer.from(s, "utf8").toString("base64") });
const ints = (values: readonly number[]): AttrValue => ({ list: { i: values.map(String) } });
const FLOAT: AttrValue = { type: "DT_FLOAT" };
const shapeOf = (dims: readonly number[]) => ({ dim: dims.map((d) => ({ size: String(d) })) });

class TfjsGraph {
  readonly nodes: NodeDef[] = [];
  readonly manifest: ManifestEntry[] = [];
  readonly chunks: Uint8Array[] = [];

  constructor(private readonly precision: ExportPrecision) {}

  #const(name: string, shape: readonly number[], dtype: "float32" | "int32", bytes: Uint8Array, half = false): string {
    const tfType = dtype === "float32" ? "DT_FLOAT" : "DT_INT32";
    this.nodes.push({
      name,
      op: "Const",
      input: [],
      attr: { value: { tensor: { dtype: tfType, tensorShape: shapeOf(shape) } }, dtype: { type: tfType } },
    });
    const entry: ManifestEntry = { name, shape: [...shape], dtype };
    if (half) entry.quantization = { dtype: "float16", original_dtype: "float32" };
    this.manifest.push(entry);
    this.chunks.push(bytes);
    return name;
  }

  int32(name: string, shape: readonly number[], values: readonly number[]): string {
    return this.#const(name, shape, "int32", int32Bytes(values));
  }

  float32(name: string, tensor: WeightTensor): string {
    return this.#const(name, tensor.shape, "float32", float32Bytes(tensor.data));
  }

  weight(name: string, tensor: WeightTensor): string {
    if (this.precision === "float32") return this.float32(name, tensor);
    return this.#const(name, tensor.shape, "float32", uint16Bytes(toFloat16Bits(tensor.data)), true);
  }

  op(name: string, op: string, input: string[], attr: Record<string, AttrValue> = {}): void {
    this.nodes.push({ name, op, input, attr: { T: FLOAT, ...attr } });
  }
}

/** Convs whose only consumer is a LeakyReLU: the pair becomes one _FusedConv2D. Maps conv -> its LeakyReLU. */
function fusableActivations(graph: ExportGraph): Map<string, ExportNode> {
  const fused = new Map<string, ExportNode>();
  for (const node of graph.nodes) {
    if (node.op !== "conv2d" || node.output === graph.output) continue;
    const consumers = graph.nodes.filter((m) => m.inputs.includes(node.output));
    const only = consumers[0];
    if (consumers.length === 1 && only?.op === "leakyRelu") fused.set(node.output, only);
  }
  return fused;
}

/** A symmetric pad as Slices of single rows/columns and ConcatV2s (symmetric-pad.ts). */
function lowerSymmetricPad(t: TfjsGraph, node: ExportNode & { op: "symmetricPad" }, input: Nhwc): void {
  let current = node.inputs[0] as string;
  symmetricPadSteps(input, node.pad).forEach((step, s) => {
    const pieces = step.pieces.map((piece, p) => {
      if (piece.index === undefined) return current;
      const name = `${node.output}/${step.axis === 1 ? "h" : "w"}${p}`;
      const begin = [0, 0, 0, 0];
      const size = [...step.input];
      begin[step.axis] = piece.index;
      size[step.axis] = 1;
      const beginConst = t.int32(`${name}/begin`, [4], begin);
      const sizeConst = t.int32(`${name}/size`, [4], size);
      t.op(name, "Slice", [current, beginConst, sizeConst], { Index: { type: "DT_INT32" } });
      return name;
    });
    const output = s === 1 ? node.output : `${node.output}/h`;
    const axis = t.int32(`${output}/axis`, [], [step.axis]);
    t.op(output, "ConcatV2", [...pieces, axis], { N: { i: String(pieces.length) }, Tidx: { type: "DT_INT32" } });
    current = output;
  });
}

function lowerGraph(t: TfjsGraph, graph: ExportGraph): void {
  const reorder = depthToSpaceProducers(graph);
  const shapes = new Map<string, Nhwc>([
    [graph.input.name, graph.input.shape],
    ...graph.nodes.map((n) => [n.output, n.shape] as const),
  ]);
  const fused = fusableActivations(graph);
  const skipped = new Set([...fused.values()].map((n) => n.output));
  const renamed = new Map([...fused].map(([conv, act]) => [conv, act.output]));
  const nhwc = str("NHWC");
  for (const node of graph.nodes) {
    if (skipped.has(node.output)) continue;
    const x = node.inputs[0] as string;
    switch (node.op) {
      case "conv2d": {
        const params = graph.params.get(node.param);
        if (params === undefined) throw new Error(`unreachable: ${node.param} checked by checkExportGraph`);
        const block = reorder.get(node.output);
        const toTf = (w: WeightTensor) => (block === undefined ? w : pixelShuffleToDepthToSpace(w, block));
        // The skip's constants stay float32 in both precisions (float16 would move it off MATLAB's bicubic).
        const store = (name: string, w: WeightTensor) => (node.constant ? t.float32(name, w) : t.weight(name, w));
        const filter = store(`${node.param}.weight`, toTf(params.weight));
        const bias = store(`${node.param}.bias`, toTf(params.bias));
        const act = fused.get(node.output);
        const fusedOps = act?.op === "leakyRelu" ? ["BiasAdd", "LeakyRelu"] : ["BiasAdd"];
        t.op(renamed.get(node.output) ?? node.output, "_FusedConv2D", [x, filter, bias], {
          data_format: nhwc,
          dilations: ints([1, node.dilation, node.dilation, 1]),
          epsilon: { f: 0 },
          explicit_paddings: { list: {} },
          fused_ops: { list: { s: fusedOps.map((op) => str(op).s) } },
          leakyrelu_alpha: { f: act?.op === "leakyRelu" ? act.alpha : 0.2 },
          num_args: { i: "1" },
          padding: str(node.padding === "valid" ? "VALID" : "SAME"),
          strides: ints([1, 1, 1, 1]),
          use_cudnn_on_gpu: { b: true },
        });
        break;
      }
      case "leakyRelu":
        t.op(node.output, "LeakyRelu", [x], { alpha: { f: node.alpha } });
        break;
      case "avgPool":
        t.op(node.output, "AvgPool", [x], {
          data_format: nhwc,
          ksize: ints([1, node.size, node.size, 1]),
          padding: str("VALID"),
          strides: ints([1, node.size, node.size, 1]),
        });
        break;
      case "resizeNearest": {
        const size = t.int32(`${node.output}/size`, [2], [node.shape[1], node.shape[2]]);
        t.op(node.output, "ResizeNearestNeighbor", [x, size], {
          align_corners: { b: false },
          half_pixel_centers: { b: false },
        });
        break;
      }
      case "symmetricPad":
        lowerSymmetricPad(t, node, shapes.get(x) as Nhwc);
        break;
      case "concat": {
        const axis = t.int32(`${node.output}/axis`, [], [3]);
        t.op(node.output, "ConcatV2", [...node.inputs, axis], {
          N: { i: String(node.inputs.length) },
          Tidx: { type: "DT_INT32" },
        });
        break;
      }
      case "add":
        t.op(node.output, "AddV2", [...node.inputs]);
        break;
      case "mulScalar": {
        // Not a weight: float32 in both precisions (0.2 in float16 would be 0.19995).
        const scalar = t.float32(`${node.output}/scalar`, { shape: [], data: Float32Array.of(node.scalar) });
        t.op(node.output, "Mul", [x, scalar]);
        break;
      }
      case "depthToSpace":
        t.op(node.output, "DepthToSpace", [x], { block_size: { i: String(node.blockSize) }, data_format: nhwc });
        break;
    }
  }
}

/** model.json and weights of a (checked) export graph: input `lr` NHWC [1, H, W, 3], output NHWC [1, sH, sW, 3]. */
export function writeTfjs(graph: ExportGraph, options: TfjsWriteOptions = {}): TfjsFiles {
  checkExportGraph(graph);
  const t = new TfjsGraph(options.precision ?? "float32");
  t.nodes.push({
    name: graph.input.name,
    op: "Placeholder",
    input: [],
    attr: { dtype: FLOAT, shape: { shape: shapeOf(graph.input.shape) } },
  });
  lowerGraph(t, graph);
  const weightsFileName = options.weightsFileName ?? "weights.bin";
  const producer = options.producer ?? "mfnas-export";
  const model = {
    format: "graph-model",
    generatedBy: producer,
    convertedBy: producer,
    modelTopology: { node: t.nodes, library: {}, versions: {} },
    weightsManifest: [{ paths: [weightsFileName], weights: t.manifest }],
    ...(options.metadata === undefined ? {} : { userDefinedMetadata: options.metadata }),
  };
  const weights = new Uint8Array(t.chunks.reduce((sum, c) => sum + c.length, 0));
  let offset = 0;
  for (const chunk of t.chunks) {
    weights.set(chunk, offset);
    offset += chunk.length;
  }
  return { modelJson: new TextEncoder().encode(JSON.stringify(model)), weights };
}
