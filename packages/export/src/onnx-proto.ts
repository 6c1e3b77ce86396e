/**
 * The ONNX messages the ONNX writer needs, encoded with the field numbers of onnx/onnx.proto (IR version 8, the
 * one that goes with opset 17): ModelProto, OperatorSetIdProto, StringStringEntryProto, GraphProto, NodeProto,
 * AttributeProto, TensorProto, ValueInfoProto, TypeProto(.Tensor), TensorShapeProto(.Dimension).
 */
import { ProtoWriter } from "./protobuf.ts";

/** IR version 8: ONNX 1.10+, required for opset 17's operators to be read as such. */
const ONNX_IR_VERSION = 8;

/** `TensorProto.DataType` values used here. */
export const OnnxDataType = { FLOAT: 1, INT64: 7, FLOAT16: 10 } as const;

/** `AttributeProto.AttributeType` values used here. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

const F = {
  Model: {
    ir_version: 1,
    producer_name: 2,
    producer_version: 3,
    domain: 4,
    model_version: 5,
    doc_string: 6,
    graph: 7,
    opset_import: 8,
    metadata_props: 14,
  },
  OperatorSetId: { domain: 1, version: 2 },
  StringStringEntry: { key: 1, value: 2 },
  Graph: { node: 1, name: 2, initializer: 5, doc_string: 10, input: 11, output: 12 },
  Node: { input: 1, output: 2, name: 3, op_type: 4, attribute: 5, doc_string: 6, domain: 7 },
  Attribute: { name: 1, f: 2, i: 3, s: 4, ints: 8, type: 20 },
  Tensor: { dims: 1, data_type: 2, name: 8, raw_data: 9 },
  ValueInfo: { name: 1, type: 2 },
  Type: { tensor_type: 1 },
  TypeTensor: { elem_type: 1, shape: 2 },
  TensorShape: { dim: 1 },
  Dimension: { dim_value: 1 },
} as const;

/** An attribute value: a number is INT unless `float` is set; arrays are INTS. */
type OnnxAttribute =
  | { readonly name: string; readonly int: number }
  | { readonly name: string; readonly float: number }
  | { readonly name: string; readonly string: string }
  | { readonly name: string; readonly ints: readonly number[] };

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  /** "" marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes?: readonly OnnxAttribute[];
}

/** A constant tensor, stored as little-endian raw_data. */
export interface OnnxInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: number;
  readonly raw: Uint8Array;
}

interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: number;
  readonly dims: readonly number[];
}

export interface OnnxModel {
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: readonly (readonly [string, string])[];
  readonly graphName: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: readonly OnnxInitializer[];
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

function writeAttribute(w: ProtoWriter, a: OnnxAttribute): void {
  w.string(F.Attribute.name, a.name);
  if ("float" in a) w.float(F.Attribute.f, a.float).varint(F.Attribute.type, AttributeType.FLOAT);
  else if ("int" in a) w.varint(F.Attribute.i, a.int).varint(F.Attribute.type, AttributeType.INT);
  else if ("string" in a) w.string(F.Attribute.s, a.string).varint(F.Attribute.type, AttributeType.STRING);
  else {
    for (const v of a.ints) w.varint(F.Attribute.ints, v);
    w.varint(F.Attribute.type, AttributeType.INTS);
  }
}

function writeNode(w: ProtoWriter, node: OnnxNode): void {
  for (const input of node.inputs) w.string(F.Node.input, input);
  for (const output of node.outputs) w.string(F.Node.output, output);
  w.string(F.Node.name, node.name).string(F.Node.op_type, node.opType);
  for (const a of node.attributes ?? []) w.message(F.Node.attribute, (m) => writeAttribute(m, a));
}

function writeInitializer(w: ProtoWriter, t: OnnxInitializer): void {
  for (const d of t.dims) w.varint(F.Tensor.dims, d);
  w.varint(F.Tensor.data_type, t.dataType).string(F.Tensor.name, t.name).bytes(F.Tensor.raw_data, t.raw);
}

function writeValueInfo(w: ProtoWriter, v: OnnxValueInfo): void {
  w.string(F.ValueInfo.name, v.name);
  w.message(F.ValueInfo.type, (type) =>
    type.message(F.Type.tensor_type, (tensor) => {
      tensor.varint(F.TypeTensor.elem_type, v.elemType);
      tensor.message(F.TypeTensor.shape, (shape) => {
        for (const d of v.dims) shape.message(F.TensorShape.dim, (dim) => dim.varint(F.Dimension.dim_value, d));
      });
    }),
  );
}

/** The ModelProto bytes of `model`, with one opset import (the default ai.onnx domain). */
export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  const w = new ProtoWriter();
  w.varint(F.Model.ir_version, ONNX_IR_VERSION);
  w.string(F.Model.producer_name, model.producerName).string(F.Model.producer_version, model.producerVersion);
  w.string(F.Model.doc_string, model.docString);
  w.message(F.Model.graph, (g) => {
    for (const node of model.nodes) g.message(F.Graph.node, (m) => writeNode(m, node));
    g.string(F.Graph.name, model.graphName);
    for (const t of model.initializers) g.message(F.Graph.initializer, (m) => writeInitializer(m, t));
    for (const v of model.inputs) g.message(F.Graph.input, (m) => writeValueInfo(m, v));
    for (const v of model.outputs) g.message(F.Graph.output, (m) => writeValueInfo(m, v));
  });
  // Empty domain = the default "ai.onnx" operator set.
  w.message(F.Model.opset_import, (o) =>
    o.string(F.OperatorSetId.domain, "").varint(F.OperatorSetId.version, model.opsetVersion),
  );
  for (const [key, value] of model.metadata) {
    w.message(F.Model.metadata_props, (m) =>
      m.string(F.StringStringEntry.key, key).string(F.StringStringEntry.value, value),
    );
  }
  return w.finish();
}
