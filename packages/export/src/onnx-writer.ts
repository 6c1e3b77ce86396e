/**
 * Writes an export graph as an ONNX model (opset 17, NCHW): Conv with OIHW weights and explicit pads, LeakyRelu,
 * AveragePool, Resize (nearest, asymmetric, floor: output pixel y reads floor(y / factor), exactly the tfjs
 * resizeNearestNeighbor without align-corners or half-pixel centers), Concat on channels, Add, Mul by a scalar,
 * DepthToSpace in CRD mode, which is PyTorch's PixelShuffle order, so no weight reordering is needed, and the
 * symmetric pad of the bicubic skip as Slices and Concats on H and W (ONNX Pad has no symmetric mode). The float16
 * variant stores FLOAT16 initializers and widens each with a Cast to float at the start of the graph; the skip's
 * constant conv stays float32.
 */
import { float32Bytes, int64Bytes, uint16Bytes } from "./bytes.ts";
import type { ExportGraph, ExportNode, ExportPrecision, Nhwc } from "./export-graph.ts";
import { toFloat16Bits } from "./float16.ts";
import { checkExportGraph } from "./graph-check.ts";
import { OnnxDataType, encodeOnnxModel, type OnnxInitializer, type OnnxNode } from "./onnx-proto.ts";
import { symmetricPadSteps } from "./symmetric-pad.ts";
import { hwioToOihw, type WeightTensor } from "./weights.ts";

/** The ai.onnx operator set written. */
export const ONNX_OPSET = 17;

export interface OnnxWriteOptions {
  /** Weight precision. Default `float32`. */
  precision?: ExportPrecision;
  /** ModelProto.producer_version. Default "". */
  producerVersion?: string;
  /** ModelProto.doc_string. Default "". */
  docString?: string;
  /** ModelProto.metadata_props, in this order. Default none. */
  metadata?: readonly (readonly [string, string])[];
}

/** NHWC -> NCHW dims. */
export function nchw(shape: Nhwc): [number, number, number, number] {
  return [shape[0], shape[3], shape[1], shape[2]];
}

class OnnxGraph {
  readonly casts: OnnxNode[] = [];
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxInitializer[] = [];

  constructor(private readonly precision: ExportPrecision) {}

  float32(name: string, tensor: WeightTensor): string {
    this.initializers.push({ name, dims: tensor.shape, dataType: OnnxDataType.FLOAT, raw: float32Bytes(tensor.data) });
    return name;
  }

  int64(name: string, values: readonly number[]): string {
    this.initializers.push({ name, dims: [values.length], dataType: OnnxDataType.INT64, raw: int64Bytes(values) });
    return name;
  }

  /** A weight; in float16 mode a FLOAT16 initializer and the Cast that widens it. */
  weight(name: string, tensor: WeightTensor): string {
    if (this.precision === "float32") return this.float32(name, tensor);
    const half = `${name}_fp16`;
    const raw = uint16Bytes(toFloat16Bits(tensor.data));
    this.initializers.push({ name: half, dims: tensor.shape, dataType: OnnxDataType.FLOAT16, raw });
    this.casts.push({
      name: `${name}.cast`,
      opType: "Cast",
      inputs: [half],
      outputs: [name],
      attributes: [{ name: "to", int: OnnxDataType.FLOAT }],
    });
    return name;
  }
}

/** A symmetric pad as Slices of single rows/columns and Concats (symmetric-pad.ts), on NCHW axes 2 and 3. */
function lowerSymmetricPad(g: OnnxGraph, node: ExportNode & { op: "symmetricPad" }, input: Nhwc): OnnxNode[] {
  const nodes: OnnxNode[] = [];
  let current = node.inputs[0] as string;
  symmetricPadSteps(input, node.pad).forEach((step, s) => {
    const axis = step.axis === 1 ? 2 : 3;
    const pieces = step.pieces.map((piece, p) => {
      if (piece.index === undefined) return current;
      const name = `${node.output}.${step.axis === 1 ? "h" : "w"}${p}`;
      const starts = g.int64(`${name}.starts`, [piece.index]);
      const ends = g.int64(`${name}.ends`, [piece.index + 1]);
      const axes = g.int64(`${name}.axes`, [axis]);
      nodes.push({ name, opType: "Slice", inputs: [current, starts, ends, axes], outputs: [name] });
      return name;
    });
    const output = s === 1 ? node.output : `${node.output}.h`;
    nodes.push({
      name: output,
      opType: "Concat",
      inputs: pieces,
      outputs: [output],
      attributes: [{ name: "axis", int: axis }],
    });
    current = output;
  });
  return nodes;
}

function lowerNode(g: OnnxGraph, graph: ExportGraph, node: Exclude<ExportNode, { op: "symmetricPad" }>): OnnxNode {
  const base = { name: node.output, outputs: [node.output] };
  switch (node.op) {
    case "conv2d": {
      const params = graph.params.get(node.param);
      if (params === undefined) throw new Error(`unreachable: ${node.param} checked by checkExportGraph`);
      // The skip's constants stay float32 in both precisions (float16 would move it off MATLAB's bicubic).
      const store = (name: string, t: WeightTensor) => (node.constant ? g.float32(name, t) : g.weight(name, t));
      const weight = store(`${node.param}.weight`, hwioToOihw(params.weight));
      const bias = store(`${node.param}.bias`, params.bias);
      // 'same' for odd kernels, stride 1; 'valid' pads nothing.
      const pad = node.padding === "valid" ? 0 : (node.dilation * (node.kernel - 1)) / 2;
      return {
        ...base,
        opType: "Conv",
        inputs: [node.inputs[0] as string, weight, bias],
        attributes: [
          { name: "dilations", ints: [node.dilation, node.dilation] },
          { name: "group", int: 1 },
          { name: "kernel_shape", ints: [node.kernel, node.kernel] },
          { name: "pads", ints: [pad, pad, pad, pad] },
          { name: "strides", ints: [1, 1] },
        ],
      };
    }
    case "leakyRelu":
      return { ...base, opType: "LeakyRelu", inputs: node.inputs, attributes: [{ name: "alpha", float: node.alpha }] };
    case "avgPool":
      return {
        ...base,
        opType: "AveragePool",
        inputs: node.inputs,
        attributes: [
          { name: "kernel_shape", ints: [node.size, node.size] },
          { name: "strides", ints: [node.size, node.size] },
        ],
      };
    case "resizeNearest": {
      const scales = g.float32(`${node.output}.scales`, {
        shape: [4],
        data: Float32Array.of(1, 1, node.factor, node.factor),
      });
      return {
        ...base,
        opType: "Resize",
        inputs: [node.inputs[0] as string, "", scales], // no roi
        attributes: [
          { name: "coordinate_transformation_mode", string: "asymmetric" },
          { name: "mode", string: "nearest" },
          { name: "nearest_mode", string: "floor" },
        ],
      };
    }
    case "concat":
      return { ...base, opType: "Concat", inputs: node.inputs, attributes: [{ name: "axis", int: 1 }] };
    case "add":
      return { ...base, opType: "Add", inputs: node.inputs };
    case "mulScalar": {
      // Not a weight: float32 in both precisions (0.2 in float16 would be 0.19995).
      const scalar = g.float32(`${node.output}.scalar`, { shape: [], data: Float32Array.of(node.scalar) });
      return { ...base, opType: "Mul", inputs: [node.inputs[0] as string, scalar] };
    }
    case "depthToSpace":
      return {
        ...base,
        opType: "DepthToSpace",
        inputs: node.inputs,
        attributes: [
          { name: "blocksize", int: node.blockSize },
          { name: "mode", string: "CRD" },
        ],
      };
  }
}

/** The .onnx bytes of a (checked) export graph: input `lr` NCHW [1, 3, H, W], output NCHW [1, 3, sH, sW]. */
export function writeOnnx(graph: ExportGraph, options: OnnxWriteOptions = {}): Uint8Array {
  checkExportGraph(graph);
  const g = new OnnxGraph(options.precision ?? "float32");
  const shapes = new Map<string, Nhwc>([[graph.input.name, graph.input.shape]]);
  for (const node of graph.nodes) {
    if (node.op === "symmetricPad")
      g.nodes.push(...lowerSymmetricPad(g, node, shapes.get(node.inputs[0] as string) as Nhwc));
    else g.nodes.push(lowerNode(g, graph, node));
    shapes.set(node.output, node.shape);
  }
  const output = graph.nodes.find((n) => n.output === graph.output) as ExportNode;
  return encodeOnnxModel({
    opsetVersion: ONNX_OPSET,
    producerName: "mfnas-export",
    producerVersion: options.producerVersion ?? "",
    docString: options.docString ?? "",
    metadata: options.metadata ?? [],
    graphName: "mfa_generator",
    nodes: [...g.casts, ...g.nodes],
    initializers: g.initializers,
    inputs: [{ name: graph.input.name, elemType: OnnxDataType.FLOAT, dims: nchw(graph.input.shape) }],
    outputs: [{ name: graph.output, elemType: OnnxDataType.FLOAT, dims: nchw(output.shape) }],
  });
}
