/**
 * The export graph: a SubGenerator written down as a flat list of ops over named NHWC tensors, with its validated
 * HWIO weights. Every writer (TFLite, ONNX, TF.js) lowers this one graph, so the formats cannot drift apart.
 * `buildExportGraph` (build-graph.ts) makes it from a genome; `checkExportGraph` (graph-check.ts) validates it.
 *
 * Depth-to-space nodes have PyTorch `PixelShuffle` semantics (ONNX DepthToSpace mode CRD); writers for
 * TensorFlow-order runtimes reorder the producing conv's output channels instead. A symmetric pad is one node here;
 * each writer lowers it to slices and concats, since ONNX Pad has no symmetric mode and slices run everywhere.
 */
import type { Genome } from "@mfnas/core";
import type { ConvParams } from "./weights.ts";

/** A tensor shape in NHWC order: [batch, height, width, channels]. */
export type Nhwc = readonly [number, number, number, number];

/** Slope of every LeakyReLU of the generator (the model's LEAKY_SLOPE). */
export const LEAKY_ALPHA = 0.2;

interface NodeBase {
  /** Tensor names read, in the op's argument order. */
  readonly inputs: readonly string[];
  /** The tensor written; also the node's name. */
  readonly output: string;
  readonly shape: Nhwc;
}

/** One op of the export graph; `EXPORT_OPS` lists the kinds. */
export type ExportNode =
  | (NodeBase & {
      readonly op: "conv2d";
      readonly param: string;
      readonly kernel: number;
      readonly dilation: number;
      /** 'valid' (no padding; the input was padded before) or, when absent, 'same'. */
      readonly padding?: "valid";
      /**
       * Its weights are constants of the architecture (the bicubic skip's), not trained parameters: written as
       * float32 in every precision, since float16 would move the skip off MATLAB's bicubic by ~1e-3.
       */
      readonly constant?: true;
    })
  /** Pads H and W by `pad` per side with MATLAB's symmetric boundary (edge repeated), as `symmetricPadIndices`. */
  | (NodeBase & { readonly op: "symmetricPad"; readonly pad: number })
  | (NodeBase & { readonly op: "leakyRelu"; readonly alpha: number })
  | (NodeBase & { readonly op: "avgPool"; readonly size: number })
  | (NodeBase & { readonly op: "resizeNearest"; readonly factor: number })
  | (NodeBase & { readonly op: "concat" })
  | (NodeBase & { readonly op: "add" })
  | (NodeBase & { readonly op: "mulScalar"; readonly scalar: number })
  | (NodeBase & { readonly op: "depthToSpace"; readonly blockSize: number });

export interface ExportGraph {
  /** The canonical genome the graph was built from. */
  readonly genome: Genome;
  /** The LR input, NHWC [1, H, W, 3]. */
  readonly input: { readonly name: string; readonly shape: Nhwc };
  /** Name of the SR output tensor, NHWC [1, scale*H, scale*W, 3]. */
  readonly output: string;
  readonly nodes: readonly ExportNode[];
  /**
   * Conv weights by layer name (`conv_first`, `body.0.dil2`, ..., and the skip's constant `skip.bicubic`), in
   * execution order.
   */
  readonly params: ReadonlyMap<string, ConvParams>;
}

/** LR input size of an export. */
export interface InputSize {
  readonly height: number;
  readonly width: number;
}

/**
 * Weight precision of an export: `float32`, or `float16` weights and biases that the model widens to float32 as
 * its first ops (TFLite DEQUANTIZE, ONNX Cast, TF.js float16 weight quantization), so compute stays float32.
 */
export type ExportPrecision = "float32" | "float16";
