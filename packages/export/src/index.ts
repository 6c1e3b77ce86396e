/**
 * Exporters of mfnas SubGenerators to deployable formats: TensorFlow Lite (phones, benchmark_model), ONNX (ONNX
 * Runtime) and TF.js GraphModel, each in float32 or float16 weights, from a genome and its ParamStore weights.
 * Every export validates before it encodes, is byte-for-byte deterministic, and comes with its sha256 and metadata.
 */
export {
  EXPORTER_VERSION,
  exportGenerator,
  exportGraph,
  exportToDirectory,
  saveArtifact,
  type ArtifactFile,
  type ArtifactMetadata,
  type ExportArtifact,
  type ExportOptions,
  type GeneratorExportOptions,
} from "./artifact.ts";
export { buildExportGraph } from "./build-graph.ts";
export {
  LEAKY_ALPHA,
  type ExportGraph,
  type ExportNode,
  type ExportPrecision,
  type InputSize,
  type Nhwc,
} from "./export-graph.ts";
export { KERNEL_GRAPH_VERSION, kernelGraph, kernelHash } from "./kernel-graph.ts";
export { FLOAT16_MAX, float16Bits, float16Value, roundToFloat16, toFloat16Bits } from "./float16.ts";
export { EXPORT_OPS, SUPPORTED_ATTRIBUTES, checkExportGraph } from "./graph-check.ts";
export { ONNX_OPSET, writeOnnx, type OnnxWriteOptions } from "./onnx-writer.ts";
export { writeTfjs, type TfjsFiles, type TfjsWriteOptions } from "./tfjs-writer.ts";
export { writeTflite, type TfliteWriteOptions } from "./tflite-writer.ts";
export { type ConvParams, type WeightMap, type WeightTensor } from "./weights.ts";
