/**
 * The files' structure, read back independently of the runtimes: the TFLite flatbuffer with the flatbuffers
 * library's reader against schema.fbs field ids, the TF.js manifest against its weights file, and the protobuf
 * wire format.
 */
import { ByteBuffer } from "flatbuffers";
import type { Genome } from "@mfnas/core";
import { describe, expect, it } from "vitest";
import { EXPORTER_VERSION, buildExportGraph, exportGenerator, writeTflite } from "./index.ts";
import { ProtoWriter } from "./protobuf.ts";
import { randomWeights } from "../../../tests/support/random-weights.ts";
import { BuiltinOperator, Padding, Schema, TensorType } from "./tflite-schema.ts";

const GENOME: Genome = {
  scale: 4,
  trunkWidth: 8,
  blocks: [{ branchWidth: 8, branches: ["conv3", "dil2", "down4"] }],
  upsampler: "pixel-shuffle",
};
const INPUT = { height: 8, width: 12 };
const CONVS = 1 + 3 + 1 + 1 + 2 + 2; // first, branches, fuse, body, 2 upsampler stages, hr, last

/** A minimal flatbuffer table reader: field `id` lives at vtable offset 4 + 2 * id. */
class Table {
  constructor(
    readonly bb: ByteBuffer,
    readonly pos: number,
  ) {}
  #offset(id: number): number {
    return this.bb.__offset(this.pos, 4 + 2 * id);
  }
  int(id: number, fallback = 0): number {
    const o = this.#offset(id);
    return o === 0 ? fallback : this.bb.readInt32(this.pos + o);
  }
  byte(id: number, fallback = 0): number {
    const o = this.#offset(id);
    return o === 0 ? fallback : this.bb.readInt8(this.pos + o);
  }
  string(id: number): string | null {
    const o = this.#offset(id);
    return o === 0 ? null : (this.bb.__string(this.pos + o) as string);
  }
  table(id: number): Table {
    return new Table(this.bb, this.bb.__indirect(this.pos + this.#offset(id)));
  }
  tables(id: number): Table[] {
    const o = this.#offset(id);
    if (o === 0) return [];
    const start = this.bb.__vector(this.pos + o);
    return Array.from(
      { length: this.bb.__vector_len(this.pos + o) },
      (_, i) => new Table(this.bb, this.bb.__indirect(start + 4 * i)),
    );
  }
  ints(id: number): number[] {
    const o = this.#offset(id);
    if (o === 0) return [];
    const start = this.bb.__vector(this.pos + o);
    return Array.from({ length: this.bb.__vector_len(this.pos + o) }, (_, i) => this.bb.readInt32(start + 4 * i));
  }
  /** Absolute start and length of a [ubyte] vector. */
  bytes(id: number): { start: number; length: number } {
    const o = this.#offset(id);
    return o === 0
      ? { start: 0, length: 0 }
      : { start: this.bb.__vector(this.pos + o), length: this.bb.__vector_len(this.pos + o) };
  }
}

function readModel(bytes: Uint8Array) {
  const bb = new ByteBuffer(bytes);
  expect(bb.__has_identifier("TFL3")).toBe(true);
  const model = new Table(bb, bb.readInt32(0));
  const M = Schema.Model;
  const [subgraph] = model.tables(M.subgraphs);
  const codes = model.tables(M.operator_codes);
  const tensors = (subgraph as Table).tables(Schema.SubGraph.tensors);
  const ops = (subgraph as Table).tables(Schema.SubGraph.operators).map((op) => ({
    code: (codes[op.int(Schema.Operator.opcode_index)] as Table).int(Schema.OperatorCode.builtin_code),
    inputs: op.ints(Schema.Operator.inputs),
    outputs: op.ints(Schema.Operator.outputs),
    options: op,
  }));
  return { model, subgraph: subgraph as Table, codes, tensors, ops };
}

describe("TFLite flatbuffer", () => {
  const weights = randomWeights(GENOME, 5);
  const fp32 = readModel(exportGenerator(GENOME, weights, { format: "tflite", input: INPUT }).bytes);
  const fp16 = readModel(
    exportGenerator(GENOME, weights, { format: "tflite", precision: "float16", input: INPUT }).bytes,
  );

  it("is a version-3 model whose buffer 0 is the empty sentinel and whose data is 16-aligned", () => {
    expect(fp32.model.int(Schema.Model.version)).toBe(3);
    expect(fp32.model.string(Schema.Model.description)).toContain("x4-c8-u:ps-b[8:conv3+dil2+down4]");
    const buffers = fp32.model.tables(Schema.Model.buffers);
    expect(buffers[0]?.bytes(Schema.Buffer.data).length).toBe(0);
    const data = buffers.slice(1).map((b) => b.bytes(Schema.Buffer.data));
    expect(data.length).toBeGreaterThanOrEqual(2 * CONVS);
    for (const d of data) expect(d.start % 16).toBe(0);
  });

  it("writes both builtin code fields and the ops of the graph in order", () => {
    for (const code of fp32.codes) {
      expect(code.byte(Schema.OperatorCode.deprecated_builtin_code)).toBe(code.int(Schema.OperatorCode.builtin_code));
    }
    const count = (code: number) => fp32.ops.filter((op) => op.code === code).length;
    // The skip adds a conv, a depth-to-space, and per padded axis 4 single-row slices and a concat.
    expect(count(BuiltinOperator.CONV_2D)).toBe(CONVS + 1);
    expect(count(BuiltinOperator.DEPTH_TO_SPACE)).toBe(2 + 1);
    expect(count(BuiltinOperator.AVERAGE_POOL_2D)).toBe(1);
    expect(count(BuiltinOperator.RESIZE_NEAREST_NEIGHBOR)).toBe(1);
    expect(count(BuiltinOperator.SLICE)).toBe(8);
    expect(count(BuiltinOperator.CONCATENATION)).toBe(1 + 2);
    expect(count(BuiltinOperator.DEQUANTIZE)).toBe(0);
    expect(fp32.ops[0]?.code).toBe(BuiltinOperator.CONV_2D);
    // The output skip, last: pad (slices, concat on H = axis 1, then W = axis 2), the constant 5x5 'valid' phase
    // conv, depth-to-space by 4, added to conv_last.
    const skip = fp32.ops.slice(-13).map((op) => op.code);
    const slices = [1, 2, 3, 4].map(() => BuiltinOperator.SLICE);
    const { CONCATENATION, CONV_2D, DEPTH_TO_SPACE, ADD } = BuiltinOperator;
    expect(skip).toEqual([...slices, CONCATENATION, ...slices, CONCATENATION, CONV_2D, DEPTH_TO_SPACE, ADD]);
    const [padH, padW] = fp32.ops.filter((op) => op.code === CONCATENATION).slice(-2);
    for (const [op, axis] of [
      [padH, 1],
      [padW, 2],
    ] as const) {
      const options = op?.options.table(Schema.Operator.builtin_options) as Table;
      expect(options.int(Schema.ConcatenationOptions.axis)).toBe(axis);
    }
    const conv = fp32.ops.at(-3);
    const convOptions = conv?.options.table(Schema.Operator.builtin_options) as Table;
    expect(convOptions.byte(Schema.Conv2DOptions.padding)).toBe(Padding.VALID);
    expect(fp32.tensors[conv?.inputs[1] as number]?.ints(Schema.Tensor.shape)).toEqual([48, 5, 5, 3]);
    const shuffle = fp32.ops.at(-2)?.options.table(Schema.Operator.builtin_options) as Table;
    expect(shuffle.int(Schema.DepthToSpaceOptions.block_size)).toBe(4);
    const sliceCode = fp32.codes.find((c) => c.int(Schema.OperatorCode.builtin_code) === BuiltinOperator.SLICE);
    expect(sliceCode?.int(Schema.OperatorCode.version, 1)).toBe(1);
  });

  it("has NHWC input and output, and OHWI filters with the dil2 conv dilated by 2", () => {
    const name = (i: number) => fp32.tensors[i]?.string(Schema.Tensor.name);
    const shape = (i: number) => fp32.tensors[i]?.ints(Schema.Tensor.shape);
    const [input] = fp32.subgraph.ints(Schema.SubGraph.inputs);
    const [output] = fp32.subgraph.ints(Schema.SubGraph.outputs);
    expect(shape(input as number)).toEqual([1, 8, 12, 3]);
    expect(shape(output as number)).toEqual([1, 32, 48, 3]);
    const dil = fp32.ops.find((op) => name(op.outputs[0] as number) === "body.0.dil2.conv");
    expect(shape(dil?.inputs[1] as number)).toEqual([8, 3, 3, 8]);
    const options = dil?.options.table(Schema.Operator.builtin_options) as Table;
    expect(options.int(Schema.Conv2DOptions.dilation_h_factor, 1)).toBe(2);
    expect(options.int(Schema.Conv2DOptions.dilation_w_factor, 1)).toBe(2);
  });

  it("float16: FLOAT16 weight tensors widened by DEQUANTIZE ops at the start", () => {
    const dequantize = fp16.ops.filter((op) => op.code === BuiltinOperator.DEQUANTIZE);
    expect(dequantize).toHaveLength(2 * CONVS);
    expect(fp16.ops.slice(0, 2 * CONVS).every((op) => op.code === BuiltinOperator.DEQUANTIZE)).toBe(true);
    for (const op of dequantize) {
      expect(fp16.tensors[op.inputs[0] as number]?.byte(Schema.Tensor.type)).toBe(TensorType.FLOAT16);
      expect(fp16.tensors[op.outputs[0] as number]?.byte(Schema.Tensor.type)).toBe(TensorType.FLOAT32);
    }
    // The bicubic skip's constants stay float32 constant tensors, read directly by its conv.
    const skipConv = fp16.ops.at(-3);
    for (const input of skipConv?.inputs.slice(1) ?? []) {
      const tensor = fp16.tensors[input];
      expect(tensor?.byte(Schema.Tensor.type)).toBe(TensorType.FLOAT32);
      expect(tensor?.int(Schema.Tensor.buffer)).toBeGreaterThan(0);
    }
  });

  it("writeTflite on a graph is the artifact's bytes", () => {
    const graph = buildExportGraph(GENOME, weights, INPUT);
    const description = `${EXPORTER_VERSION} x4-c8-u:ps-b[8:conv3+dil2+down4] float32`;
    expect(
      Buffer.from(writeTflite(graph, { description })).equals(
        Buffer.from(exportGenerator(GENOME, weights, { format: "tflite", input: INPUT }).bytes),
      ),
    ).toBe(true);
  });
});

describe("TF.js GraphModel files", () => {
  const weights = randomWeights(GENOME, 5);
  const parse = (bytes: Uint8Array) =>
    JSON.parse(new TextDecoder().decode(bytes)) as {
      format: string;
      modelTopology: { node: { name: string; op: string; input: string[] }[] };
      weightsManifest: {
        paths: string[];
        weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }[];
      }[];
    };

  it.each(["float32", "float16"] as const)("%s: the manifest describes the weights file byte for byte", (precision) => {
    const artifact = exportGenerator(GENOME, weights, { format: "tfjs", precision, input: INPUT });
    const json = parse(artifact.bytes);
    expect(json.format).toBe("graph-model");
    const [group] = json.weightsManifest;
    expect(group?.paths).toEqual(["weights.bin"]);
    const bytes = (group?.weights ?? []).reduce(
      (n, w) => n + w.shape.reduce((a, b) => a * b, 1) * (w.quantization?.dtype === "float16" ? 2 : 4),
      0,
    );
    expect(bytes).toBe(artifact.files[1]?.bytes.length);
    const ops = json.modelTopology.node.map((n) => n.op);
    expect(ops.filter((op) => op === "_FusedConv2D")).toHaveLength(CONVS + 1);
    expect(ops.filter((op) => op === "Slice")).toHaveLength(8);
    expect(new Set(ops)).toEqual(
      new Set([
        "Placeholder",
        "Const",
        "_FusedConv2D",
        "AvgPool",
        "ResizeNearestNeighbor",
        "Slice",
        "ConcatV2",
        "Mul",
        "AddV2",
        "DepthToSpace",
        "LeakyRelu",
      ]),
    );
    const names = new Set(json.modelTopology.node.map((n) => n.name));
    for (const node of json.modelTopology.node)
      for (const input of node.input) expect(names.has(input), input).toBe(true);
  });
});

describe("protobuf encoding", () => {
  it("writes varints, fixed32 floats and length-delimited fields on the wire", () => {
    const bytes = new ProtoWriter()
      .varint(1, 300)
      .float(2, 1)
      .string(3, "hi")
      .message(4, (m) => m.varint(1, 0))
      .finish();
    expect([...bytes]).toEqual([
      0x08, 0xac, 0x02, 0x15, 0x00, 0x00, 0x80, 0x3f, 0x1a, 0x02, 0x68, 0x69, 0x22, 0x02, 0x08, 0x00,
    ]);
  });

  it("starts an ONNX model with ir_version 8", () => {
    const bytes = exportGenerator(GENOME, randomWeights(GENOME, 5), { format: "onnx", input: INPUT }).bytes;
    expect([...bytes.slice(0, 2)]).toEqual([0x08, 0x08]);
  });
});
