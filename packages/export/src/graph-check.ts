/**
 * The exportable op set and the check every writer runs before it encodes a byte: each node's op and attributes
 * must be in the set that all three formats (and the runtimes they are verified with) express exactly, its inputs
 * must exist, and its recorded output shape must be what the op computes. A graph that passes can be written by
 * any writer without a partial or inconsistent file.
 */
import { MfnasError } from "@mfnas/core";
import type { ExportGraph, ExportNode, Nhwc } from "./export-graph.ts";

/** The op kinds of the export graph, and what each writer lowers them to. */
export const EXPORT_OPS = [
  "conv2d",
  "leakyRelu",
  "avgPool",
  "resizeNearest",
  "symmetricPad",
  "concat",
  "add",
  "mulScalar",
  "depthToSpace",
] as const;

/** Kernel sizes, dilations, pool sizes, resize factors and depth-to-space blocks the writers support. */
export const SUPPORTED_ATTRIBUTES = {
  convKernels: [1, 3, 5],
  convDilations: [1, 2],
  poolSizes: [2, 4],
  resizeFactors: [2, 4],
  depthToSpaceBlocks: [2, 4],
  symmetricPads: [2],
} as const;

function unsupported(node: ExportNode, why: string): never {
  throw new MfnasError("unsupported", `${node.output}: ${why}`, { node: node.output, op: node.op });
}

function invalid(node: ExportNode, why: string): never {
  throw new MfnasError("invalid_input", `${node.output}: ${why}`, { node: node.output, op: node.op });
}

function oneOf(node: ExportNode, what: string, value: number, allowed: readonly number[]): void {
  if (!allowed.includes(value))
    unsupported(node, `${what} ${value} is not exportable (supported: ${allowed.join(", ")})`);
}

function inputShape(node: ExportNode, index: number, shapes: ReadonlyMap<string, Nhwc>): Nhwc {
  const name = node.inputs[index];
  const shape = name === undefined ? undefined : shapes.get(name);
  if (shape === undefined) invalid(node, `input ${index} (${String(name)}) is not produced before this node`);
  return shape;
}

/** The NHWC output shape of `node` from its input shapes; throws for unsupported ops or attributes. */
function nodeOutputShape(node: ExportNode, shapes: ReadonlyMap<string, Nhwc>, graph: ExportGraph): Nhwc {
  const [n, h, w, c] = inputShape(node, 0, shapes);
  switch (node.op) {
    case "conv2d": {
      oneOf(node, "kernel size", node.kernel, SUPPORTED_ATTRIBUTES.convKernels);
      oneOf(node, "dilation", node.dilation, SUPPORTED_ATTRIBUTES.convDilations);
      const params = graph.params.get(node.param);
      if (params === undefined) invalid(node, `no weights for conv ${node.param}`);
      const [kh, kw, cin, cout] = params.weight.shape as [number, number, number, number];
      if (kh !== node.kernel || kw !== node.kernel || cin !== c) {
        invalid(
          node,
          `weights [${params.weight.shape.join(", ")}] do not fit a ${node.kernel}x${node.kernel} conv of ${c} channels`,
        );
      }
      if (node.padding === undefined) return [n, h, w, cout];
      if (node.padding !== "valid") unsupported(node, `padding ${JSON.stringify(node.padding)} is not exportable`);
      if (node.dilation !== 1) unsupported(node, "a 'valid' conv must not be dilated");
      if (h < node.kernel || w < node.kernel)
        invalid(node, `a 'valid' ${node.kernel}x${node.kernel} conv on ${h}x${w}`);
      return [n, h - node.kernel + 1, w - node.kernel + 1, cout];
    }
    case "symmetricPad":
      oneOf(node, "symmetric pad", node.pad, SUPPORTED_ATTRIBUTES.symmetricPads);
      return [n, h + 2 * node.pad, w + 2 * node.pad, c];
    case "leakyRelu":
      if (!Number.isFinite(node.alpha)) invalid(node, `alpha must be finite, got ${node.alpha}`);
      return [n, h, w, c];
    case "mulScalar":
      if (!Number.isFinite(node.scalar)) invalid(node, `scalar must be finite, got ${node.scalar}`);
      return [n, h, w, c];
    case "avgPool":
      oneOf(node, "pool size", node.size, SUPPORTED_ATTRIBUTES.poolSizes);
      if (h % node.size !== 0 || w % node.size !== 0) invalid(node, `${h}x${w} does not divide by ${node.size}`);
      return [n, h / node.size, w / node.size, c];
    case "resizeNearest":
      oneOf(node, "resize factor", node.factor, SUPPORTED_ATTRIBUTES.resizeFactors);
      return [n, h * node.factor, w * node.factor, c];
    case "depthToSpace": {
      oneOf(node, "block size", node.blockSize, SUPPORTED_ATTRIBUTES.depthToSpaceBlocks);
      const r2 = node.blockSize * node.blockSize;
      if (c % r2 !== 0) invalid(node, `${c} channels do not divide by ${r2}`);
      return [n, h * node.blockSize, w * node.blockSize, c / r2];
    }
    case "concat": {
      let channels = 0;
      node.inputs.forEach((_, i) => {
        const s = inputShape(node, i, shapes);
        if (s[0] !== n || s[1] !== h || s[2] !== w)
          invalid(node, `input ${i} [${s.join(", ")}] does not match [${n}, ${h}, ${w}, *]`);
        channels += s[3];
      });
      return [n, h, w, channels];
    }
    case "add": {
      const other = inputShape(node, 1, shapes);
      if (node.inputs.length !== 2 || other.join() !== [n, h, w, c].join())
        invalid(node, "add needs two inputs of one shape");
      return [n, h, w, c];
    }
    default:
      return unsupported(
        node,
        `op ${JSON.stringify((node as { op: unknown }).op)} is not exportable (supported: ${EXPORT_OPS.join(", ")})`,
      );
  }
}

/**
 * A depth-to-space in TensorFlow's channel order (TFLite, TF.js) needs its producing conv's output channels
 * reordered; that is only sound when the conv feeds nothing else. Returns those convs' names with the block size.
 */
export function depthToSpaceProducers(graph: ExportGraph): Map<string, number> {
  const producers = new Map<string, number>();
  for (const node of graph.nodes) {
    if (node.op !== "depthToSpace") continue;
    const source = graph.nodes.find((m) => m.output === node.inputs[0]);
    const consumers = graph.nodes.filter((m) => m.inputs.includes(node.inputs[0] ?? ""));
    if (source?.op !== "conv2d" || consumers.length !== 1 || node.inputs[0] === graph.output) {
      unsupported(node, "depth-to-space must directly follow a conv that feeds nothing else");
    }
    producers.set(source.output, node.blockSize);
  }
  return producers;
}

/** Validates the whole graph (ops, attributes, wiring, shapes); throws the first problem found. */
export function checkExportGraph(graph: ExportGraph): void {
  const shapes = new Map<string, Nhwc>([[graph.input.name, graph.input.shape]]);
  for (const node of graph.nodes) {
    if (shapes.has(node.output)) invalid(node, "tensor name is produced twice");
    const shape = nodeOutputShape(node, shapes, graph);
    if (shape.join() !== node.shape.join()) {
      invalid(node, `recorded shape [${node.shape.join(", ")}] differs from the computed [${shape.join(", ")}]`);
    }
    shapes.set(node.output, shape);
  }
  if (!shapes.has(graph.output)) throw new MfnasError("invalid_input", `output ${graph.output} is never produced`);
  depthToSpaceProducers(graph);
}
