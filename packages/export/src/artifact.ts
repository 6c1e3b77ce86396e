/**
 * Export entry points: a genome and its weights (or an export graph) in, an artifact out — the file bytes, their
 * sha256 and the metadata that identifies what they are. Everything is validated and encoded in memory before a
 * single byte reaches the disk, so a bad genome, a missing weight or an unsupported op never leaves a broken file;
 * `saveArtifact` then writes each file under a temporary name and renames it into place.
 *
 * Exports are deterministic: the same genome, weights and options give the same bytes (no timestamps, fixed field
 * order), so the sha256 can key the artifact store.
 */
import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { EXPORT_FORMATS, MfnasError, encodeGenome, genomeHash, type ExportFormat, type Genome } from "@mfnas/core";
import { buildExportGraph } from "./build-graph.ts";
import { sha256Hex } from "./bytes.ts";
import type { ExportGraph, ExportPrecision, InputSize } from "./export-graph.ts";
import { FLOAT16_MAX } from "./float16.ts";
import { checkExportGraph } from "./graph-check.ts";
import { nchw, writeOnnx } from "./onnx-writer.ts";
import { writeTfjs } from "./tfjs-writer.ts";
import { writeTflite } from "./tflite-writer.ts";
import type { WeightMap } from "./weights.ts";

/**
 * Version of the exporters; changes whenever any exported byte could change for the same input. mfnas-export/3:
 * the output skip is MATLAB bicubic (slices + concats, a constant conv, depth-to-space) instead of a bilinear resize.
 */
export const EXPORTER_VERSION = "mfnas-export/3";

export interface ExportOptions {
  format: ExportFormat;
  /** Weight precision. Default `float32`. */
  precision?: ExportPrecision;
}

export interface GeneratorExportOptions extends ExportOptions {
  /** LR input size the model is fixed to (every format here has static shapes). */
  input: InputSize;
}

/** One file of an artifact. */
export interface ArtifactFile {
  readonly name: string;
  readonly mediaType: string;
  readonly bytes: Uint8Array;
  /** Lower-case hex sha256 of `bytes`. */
  readonly sha256: string;
}

export interface ArtifactMetadata {
  readonly format: ExportFormat;
  readonly genomeHash: string;
  /** The genome in its canonical string encoding (`encodeGenome`). */
  readonly genome: string;
  readonly inputName: string;
  /** The input tensor's shape in the format's own layout. */
  readonly inputShape: readonly number[];
  readonly inputLayout: "NHWC" | "NCHW";
  readonly outputShape: readonly number[];
  readonly precision: ExportPrecision;
  readonly exporterVersion: string;
  /** Every file of the artifact, the main one first. */
  readonly files: readonly { readonly name: string; readonly sizeBytes: number; readonly sha256: string }[];
}

export interface ExportArtifact {
  /** The main file's bytes (model.tflite, model.onnx or model.json). */
  readonly bytes: Uint8Array;
  /** The main file's sha256. */
  readonly sha256: string;
  readonly metadata: ArtifactMetadata;
  /** The main file, then any others (TF.js: the weights file). */
  readonly files: readonly ArtifactFile[];
}

function file(name: string, mediaType: string, bytes: Uint8Array): ArtifactFile {
  return { name, mediaType, bytes, sha256: sha256Hex(bytes) };
}

/** fp16 cannot hold weights beyond ±65504; refuse rather than write infinities. */
function checkFloat16Range(graph: ExportGraph): void {
  for (const [name, { weight, bias }] of graph.params) {
    for (const [suffix, t] of [
      ["weight", weight],
      ["bias", bias],
    ] as const) {
      const i = t.data.findIndex((v) => Math.abs(v) > FLOAT16_MAX);
      if (i >= 0) {
        throw new MfnasError(
          "unsupported",
          `${name}.${suffix}: value ${t.data[i]} does not fit float16 (max ${FLOAT16_MAX})`,
          {
            tensor: `${name}.${suffix}`,
          },
        );
      }
    }
  }
}

/** An artifact from a checked export graph (built by `buildExportGraph`, or by hand). */
export function exportGraph(graph: ExportGraph, options: ExportOptions): ExportArtifact {
  if (!EXPORT_FORMATS.includes(options.format)) {
    throw new MfnasError(
      "unsupported",
      `format: ${JSON.stringify(options.format)} is not one of ${EXPORT_FORMATS.join(", ")}`,
    );
  }
  const precision = options.precision ?? "float32";
  if (precision !== "float32" && precision !== "float16") {
    throw new MfnasError("unsupported", `precision: ${JSON.stringify(precision)} is not float32 or float16`);
  }
  checkExportGraph(graph);
  if (precision === "float16") checkFloat16Range(graph);
  const genome = encodeGenome(graph.genome);
  const hash = genomeHash(graph.genome);
  const description = `${EXPORTER_VERSION} ${genome} ${precision}`;
  const outputShape = graph.nodes.find((n) => n.output === graph.output)?.shape ?? [];
  let files: ArtifactFile[];
  switch (options.format) {
    case "tflite":
      files = [file("model.tflite", "application/vnd.tflite", writeTflite(graph, { precision, description }))];
      break;
    case "onnx": {
      const metadata = [
        ["genome", genome],
        ["genomeHash", hash],
        ["precision", precision],
      ] as const;
      const bytes = writeOnnx(graph, {
        precision,
        producerVersion: EXPORTER_VERSION,
        docString: description,
        metadata,
      });
      files = [file("model.onnx", "application/onnx", bytes)];
      break;
    }
    case "tfjs": {
      const metadata = { genome, genomeHash: hash, precision };
      const out = writeTfjs(graph, { precision, producer: EXPORTER_VERSION, weightsFileName: "weights.bin", metadata });
      files = [
        file("model.json", "application/json", out.modelJson),
        file("weights.bin", "application/octet-stream", out.weights),
      ];
      break;
    }
  }
  const nchwLayout = options.format === "onnx";
  const main = files[0] as ArtifactFile;
  return {
    bytes: main.bytes,
    sha256: main.sha256,
    files,
    metadata: {
      format: options.format,
      genomeHash: hash,
      genome,
      inputName: graph.input.name,
      inputShape: nchwLayout ? nchw(graph.input.shape) : [...graph.input.shape],
      inputLayout: nchwLayout ? "NCHW" : "NHWC",
      outputShape: nchwLayout && outputShape.length === 4 ? nchw(outputShape) : [...outputShape],
      precision,
      exporterVersion: EXPORTER_VERSION,
      files: files.map((f) => ({ name: f.name, sizeBytes: f.bytes.length, sha256: f.sha256 })),
    },
  };
}

/**
 * Exports a SubGenerator: validates the genome, the input size and every weight (`invalid_input`), the ops
 * (`unsupported`), then encodes. Weights are the SubGenerator's ParamStore tensors by name, kernels HWIO.
 */
export function exportGenerator(genome: Genome, weights: WeightMap, options: GeneratorExportOptions): ExportArtifact {
  return exportGraph(buildExportGraph(genome, weights, options.input), options);
}

/**
 * Writes an artifact's files and `metadata.json` into `dir` (created if needed); each file goes to a temporary
 * name first and is renamed into place, so a crash never leaves a truncated model under its real name. Returns
 * the paths written, the main file first.
 */
export async function saveArtifact(artifact: ExportArtifact, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const entries: [string, Uint8Array][] = [
    ...artifact.files.map((f): [string, Uint8Array] => [f.name, f.bytes]),
    ["metadata.json", new TextEncoder().encode(`${JSON.stringify(artifact.metadata, null, 2)}\n`)],
  ];
  const written: string[] = [];
  for (const [name, bytes] of entries) {
    const target = path.join(dir, name);
    const temp = `${target}.${process.pid}.tmp`;
    await writeFile(temp, bytes);
    await rename(temp, target);
    written.push(target);
  }
  return written;
}

/** `exportGenerator` then `saveArtifact`: nothing is written unless the whole export succeeded. */
export async function exportToDirectory(
  genome: Genome,
  weights: WeightMap,
  options: GeneratorExportOptions,
  dir: string,
): Promise<ExportArtifact> {
  const artifact = exportGenerator(genome, weights, options);
  await saveArtifact(artifact, dir);
  return artifact;
}
