/**
 * Writes an export graph as a TensorFlow Lite flatbuffer (schema in tflite-schema.ts): one subgraph, NHWC float32
 * activations, OHWI conv filters, buffer 0 the empty sentinel. The float16 variant is TFLite's standard fp16
 * pattern: FLOAT16 constant tensors, each widened by a DEQUANTIZE op at the start of the graph (the bicubic skip's
 * constant conv stays float32). A symmetric pad becomes SLICEs and CONCATENATIONs.
 */
import { Builder } from "flatbuffers";
import { float32Bytes, int32Bytes, uint16Bytes } from "./bytes.ts";
import type { ExportGraph, ExportNode, ExportPrecision, Nhwc } from "./export-graph.ts";
import { offsetVector, table, int32Vector } from "./flatbuffer-util.ts";
import { toFloat16Bits } from "./float16.ts";
import { checkExportGraph, depthToSpaceProducers } from "./graph-check.ts";
import {
  ActivationFunctionType,
  BUFFER_ALIGNMENT,
  BuiltinOperator,
  BuiltinOptions,
  OP_VERSIONS,
  PLACEHOLDER_FOR_GREATER_OP_CODES,
  Padding,
  Schema,
  TFLITE_FILE_IDENTIFIER,
  TFLITE_SCHEMA_VERSION,
  TensorType,
  type BuiltinOperatorCode,
} from "./tflite-schema.ts";
import { symmetricPadSteps } from "./symmetric-pad.ts";
import { hwioToOhwi, pixelShuffleToDepthToSpace, type WeightTensor } from "./weights.ts";

export interface TfliteWriteOptions {
  /** Weight precision. Default `float32`. */
  precision?: ExportPrecision;
  /** Model.description. Default: none. */
  description?: string;
}

interface TensorSpec {
  name: string;
  shape: readonly number[];
  type: number;
  /** Index into Model.buffers; 0 (the empty sentinel) for activations. */
  buffer: number;
}

type OptionsWriter = (b: Builder) => number;

interface OperatorSpec {
  code: BuiltinOperatorCode;
  inputs: number[];
  outputs: number[];
  optionsType: number;
  options: OptionsWriter;
}

/** Collects tensors, buffers and operators in graph order before anything is serialized. */
class TfliteModel {
  readonly tensors: TensorSpec[] = [];
  readonly buffers: Uint8Array[] = [new Uint8Array(0)];
  readonly dequantizeOps: OperatorSpec[] = [];
  readonly ops: OperatorSpec[] = [];
  readonly #byName = new Map<string, number>();

  constructor(private readonly precision: ExportPrecision) {}

  activation(name: string, shape: readonly number[]): number {
    this.tensors.push({ name, shape, type: TensorType.FLOAT32, buffer: 0 });
    this.#byName.set(name, this.tensors.length - 1);
    return this.tensors.length - 1;
  }

  index(name: string): number {
    return this.#byName.get(name) as number;
  }

  #constant(name: string, shape: readonly number[], type: number, data: Uint8Array): number {
    this.buffers.push(data);
    this.tensors.push({ name, shape, type, buffer: this.buffers.length - 1 });
    return this.tensors.length - 1;
  }

  int32Constant(name: string, values: readonly number[]): number {
    return this.#constant(name, [values.length], TensorType.INT32, int32Bytes(values));
  }

  float32Constant(name: string, tensor: WeightTensor): number {
    return this.#constant(name, tensor.shape, TensorType.FLOAT32, float32Bytes(tensor.data));
  }

  /** A weight; in float16 mode a FLOAT16 tensor plus the DEQUANTIZE that widens it. */
  weight(name: string, tensor: WeightTensor): number {
    if (this.precision === "float32") return this.float32Constant(name, tensor);
    const half = this.#constant(
      `${name}_fp16`,
      tensor.shape,
      TensorType.FLOAT16,
      uint16Bytes(toFloat16Bits(tensor.data)),
    );
    const wide = this.activation(name, tensor.shape);
    const options = (b: Builder) => table(b, Schema.DequantizeOptions.fields, () => undefined);
    this.dequantizeOps.push({
      code: BuiltinOperator.DEQUANTIZE,
      inputs: [half],
      outputs: [wide],
      optionsType: BuiltinOptions.DequantizeOptions,
      options,
    });
    return wide;
  }
}

/** A symmetric pad as SLICEs of single rows/columns and CONCATENATIONs (symmetric-pad.ts). */
function lowerSymmetricPad(model: TfliteModel, node: ExportNode & { op: "symmetricPad" }): OperatorSpec[] {
  const ops: OperatorSpec[] = [];
  let current = model.index(node.inputs[0] as string);
  const shape = model.tensors[current]?.shape as Nhwc;
  symmetricPadSteps(shape, node.pad).forEach((step, s) => {
    const last = s === 1;
    const pieces = step.pieces.map((piece, p) => {
      if (piece.index === undefined) return current;
      const name = `${node.output}.${step.axis === 1 ? "h" : "w"}${p}`;
      const begin = [0, 0, 0, 0];
      const size = [...step.input];
      begin[step.axis] = piece.index;
      size[step.axis] = 1;
      const output = model.activation(name, size);
      ops.push({
        code: BuiltinOperator.SLICE,
        inputs: [current, model.int32Constant(`${name}.begin`, begin), model.int32Constant(`${name}.size`, size)],
        outputs: [output],
        optionsType: BuiltinOptions.SliceOptions,
        options: (b) => table(b, Schema.SliceOptions.fields, () => undefined),
      });
      return output;
    });
    const output = model.activation(last ? node.output : `${node.output}.h`, step.output);
    const C = Schema.ConcatenationOptions;
    ops.push({
      code: BuiltinOperator.CONCATENATION,
      inputs: pieces,
      outputs: [output],
      optionsType: BuiltinOptions.ConcatenationOptions,
      options: (b) => table(b, C.fields, () => b.addFieldInt32(C.axis, step.axis, 0)),
    });
    current = output;
  });
  return ops;
}

function lowerNode(
  model: TfliteModel,
  graph: ExportGraph,
  node: Exclude<ExportNode, { op: "symmetricPad" }>,
  reorder: ReadonlyMap<string, number>,
): OperatorSpec {
  const input = model.index(node.inputs[0] as string);
  const out = (code: BuiltinOperatorCode, inputs: number[], optionsType: number, options: OptionsWriter) => ({
    code,
    inputs,
    outputs: [model.activation(node.output, node.shape)],
    optionsType,
    options,
  });
  switch (node.op) {
    case "conv2d": {
      const params = graph.params.get(node.param);
      if (params === undefined) throw new Error(`unreachable: ${node.param} checked by checkExportGraph`);
      const block = reorder.get(node.output);
      const toTf = (t: WeightTensor) => (block === undefined ? t : pixelShuffleToDepthToSpace(t, block));
      // The skip's constants stay float32 in both precisions (float16 would move it off MATLAB's bicubic).
      const store = (name: string, t: WeightTensor) =>
        node.constant ? model.float32Constant(name, t) : model.weight(name, t);
      const filter = store(`${node.param}.weight`, hwioToOhwi(toTf(params.weight)));
      const bias = store(`${node.param}.bias`, toTf(params.bias));
      const S = Schema.Conv2DOptions;
      const padding = node.padding === "valid" ? Padding.VALID : Padding.SAME;
      return out(BuiltinOperator.CONV_2D, [input, filter, bias], BuiltinOptions.Conv2DOptions, (b) =>
        table(b, S.fields, () => {
          b.addFieldInt8(S.padding, padding, Padding.SAME);
          b.addFieldInt32(S.stride_w, 1, 0);
          b.addFieldInt32(S.stride_h, 1, 0);
          b.addFieldInt8(S.fused_activation_function, ActivationFunctionType.NONE, ActivationFunctionType.NONE);
          b.addFieldInt32(S.dilation_w_factor, node.dilation, 1);
          b.addFieldInt32(S.dilation_h_factor, node.dilation, 1);
        }),
      );
    }
    case "leakyRelu":
      return out(BuiltinOperator.LEAKY_RELU, [input], BuiltinOptions.LeakyReluOptions, (b) =>
        table(b, Schema.LeakyReluOptions.fields, () => b.addFieldFloat32(Schema.LeakyReluOptions.alpha, node.alpha, 0)),
      );
    case "avgPool": {
      const S = Schema.Pool2DOptions;
      return out(BuiltinOperator.AVERAGE_POOL_2D, [input], BuiltinOptions.Pool2DOptions, (b) =>
        table(b, S.fields, () => {
          b.addFieldInt8(S.padding, Padding.VALID, Padding.SAME);
          b.addFieldInt32(S.stride_w, node.size, 0);
          b.addFieldInt32(S.stride_h, node.size, 0);
          b.addFieldInt32(S.filter_width, node.size, 0);
          b.addFieldInt32(S.filter_height, node.size, 0);
        }),
      );
    }
    case "resizeNearest": {
      const size = model.int32Constant(`${node.output}.size`, [node.shape[1], node.shape[2]]);
      // align_corners and half_pixel_centers false (their defaults): out pixel y reads floor(y / factor).
      return out(
        BuiltinOperator.RESIZE_NEAREST_NEIGHBOR,
        [input, size],
        BuiltinOptions.ResizeNearestNeighborOptions,
        (b) => table(b, Schema.ResizeNearestNeighborOptions.fields, () => undefined),
      );
    }
    case "concat": {
      const inputs = node.inputs.map((name) => model.index(name));
      return out(BuiltinOperator.CONCATENATION, inputs, BuiltinOptions.ConcatenationOptions, (b) =>
        table(b, Schema.ConcatenationOptions.fields, () => b.addFieldInt32(Schema.ConcatenationOptions.axis, 3, 0)),
      );
    }
    case "add":
      return out(BuiltinOperator.ADD, [input, model.index(node.inputs[1] as string)], BuiltinOptions.AddOptions, (b) =>
        table(b, Schema.AddOptions.fields, () => undefined),
      );
    case "mulScalar": {
      // Shape [1] rather than a scalar []: every runtime broadcasts it, ArmNN's parser included. Not a weight, so
      // float32 in both precisions (0.2 in float16 would be 0.19995).
      const scalar = model.float32Constant(`${node.output}.scalar`, { shape: [1], data: Float32Array.of(node.scalar) });
      return out(BuiltinOperator.MUL, [input, scalar], BuiltinOptions.MulOptions, (b) =>
        table(b, Schema.MulOptions.fields, () => undefined),
      );
    }
    case "depthToSpace":
      return out(BuiltinOperator.DEPTH_TO_SPACE, [input], BuiltinOptions.DepthToSpaceOptions, (b) =>
        table(b, Schema.DepthToSpaceOptions.fields, () =>
          b.addFieldInt32(Schema.DepthToSpaceOptions.block_size, node.blockSize, 0),
        ),
      );
  }
}

function serialize(model: TfliteModel, graph: ExportGraph, description: string | undefined): Uint8Array {
  const dataBytes = model.buffers.reduce((sum, d) => sum + d.length + BUFFER_ALIGNMENT, 0);
  const b = new Builder(dataBytes + 64 * 1024);
  const buffers = model.buffers.map((data) => {
    if (data.length === 0) return table(b, Schema.Buffer.fields, () => undefined);
    b.prep(BUFFER_ALIGNMENT, data.length); // so the vector's first byte lands 16-aligned (force_align: 16)
    const vector = b.createByteVector(data);
    return table(b, Schema.Buffer.fields, () => b.addFieldOffset(Schema.Buffer.data, vector, 0));
  });
  const tensors = model.tensors.map((t) => {
    const name = b.createString(t.name);
    const shape = int32Vector(b, t.shape);
    const T = Schema.Tensor;
    return table(b, T.fields, () => {
      b.addFieldOffset(T.shape, shape, 0);
      b.addFieldInt8(T.type, t.type, TensorType.FLOAT32);
      b.addFieldInt32(T.buffer, t.buffer, 0);
      b.addFieldOffset(T.name, name, 0);
    });
  });
  const allOps = [...model.dequantizeOps, ...model.ops];
  const codes = [...new Set(allOps.map((op) => op.code))];
  const operators = allOps.map((op) => {
    const inputs = int32Vector(b, op.inputs);
    const outputs = int32Vector(b, op.outputs);
    const options = op.options(b);
    const O = Schema.Operator;
    return table(b, O.fields, () => {
      b.addFieldInt32(O.opcode_index, codes.indexOf(op.code), 0);
      b.addFieldOffset(O.inputs, inputs, 0);
      b.addFieldOffset(O.outputs, outputs, 0);
      b.addFieldInt8(O.builtin_options_type, op.optionsType, BuiltinOptions.NONE);
      b.addFieldOffset(O.builtin_options, options, 0);
    });
  });
  const operatorCodes = codes.map((code) =>
    table(b, Schema.OperatorCode.fields, () => {
      const C = Schema.OperatorCode;
      // Old readers (ArmNN's parser among them) only know the byte field; new ones prefer the int32 one.
      b.addFieldInt8(C.deprecated_builtin_code, Math.min(code, PLACEHOLDER_FOR_GREATER_OP_CODES), 0);
      b.addFieldInt32(C.version, OP_VERSIONS[code], 1);
      b.addFieldInt32(C.builtin_code, code, 0);
    }),
  );
  const inputIndex = model.index(graph.input.name);
  const outputIndex = model.index(graph.output);
  const subgraphName = b.createString("main");
  const G = Schema.SubGraph;
  const tensorsVector = offsetVector(b, tensors);
  const inputsVector = int32Vector(b, [inputIndex]);
  const outputsVector = int32Vector(b, [outputIndex]);
  const operatorsVector = offsetVector(b, operators);
  const subgraph = table(b, G.fields, () => {
    b.addFieldOffset(G.tensors, tensorsVector, 0);
    b.addFieldOffset(G.inputs, inputsVector, 0);
    b.addFieldOffset(G.outputs, outputsVector, 0);
    b.addFieldOffset(G.operators, operatorsVector, 0);
    b.addFieldOffset(G.name, subgraphName, 0);
  });
  const tensorMap = (name: string, index: number) => {
    const n = b.createString(name);
    return table(b, Schema.TensorMap.fields, () => {
      b.addFieldOffset(Schema.TensorMap.name, n, 0);
      b.addFieldInt32(Schema.TensorMap.tensor_index, index, 0);
    });
  };
  const sigInputs = offsetVector(b, [tensorMap(graph.input.name, inputIndex)]);
  const sigOutputs = offsetVector(b, [tensorMap(graph.output, outputIndex)]);
  const sigKey = b.createString("serving_default");
  const S = Schema.SignatureDef;
  const signature = table(b, S.fields, () => {
    b.addFieldOffset(S.inputs, sigInputs, 0);
    b.addFieldOffset(S.outputs, sigOutputs, 0);
    b.addFieldOffset(S.signature_key, sigKey, 0);
    b.addFieldInt32(S.subgraph_index, 0, 0);
  });
  const M = Schema.Model;
  const codesVector = offsetVector(b, operatorCodes);
  const subgraphsVector = offsetVector(b, [subgraph]);
  const descriptionString = description === undefined ? 0 : b.createString(description);
  const buffersVector = offsetVector(b, buffers);
  const signaturesVector = offsetVector(b, [signature]);
  const root = table(b, M.fields, () => {
    b.addFieldInt32(M.version, TFLITE_SCHEMA_VERSION, 0);
    b.addFieldOffset(M.operator_codes, codesVector, 0);
    b.addFieldOffset(M.subgraphs, subgraphsVector, 0);
    b.addFieldOffset(M.description, descriptionString, 0);
    b.addFieldOffset(M.buffers, buffersVector, 0);
    b.addFieldOffset(M.signature_defs, signaturesVector, 0);
  });
  b.finish(root, TFLITE_FILE_IDENTIFIER);
  return b.asUint8Array().slice(); // a copy that owns exactly the file's bytes
}

/** The .tflite bytes of a (checked) export graph: input `lr` NHWC [1, H, W, 3], output NHWC [1, sH, sW, 3]. */
export function writeTflite(graph: ExportGraph, options: TfliteWriteOptions = {}): Uint8Array {
  checkExportGraph(graph);
  const model = new TfliteModel(options.precision ?? "float32");
  const reorder = depthToSpaceProducers(graph);
  model.activation(graph.input.name, graph.input.shape);
  for (const node of graph.nodes) {
    if (node.op === "symmetricPad") model.ops.push(...lowerSymmetricPad(model, node));
    else model.ops.push(lowerNode(model, graph, node, reorder));
  }
  return serialize(model, graph, options.description);
}
