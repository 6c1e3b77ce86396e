/** Artifacts: deterministic bytes, sha256 and metadata, and saving them. */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import {
  DEFAULT_SEARCH_SPACE,
  EXPORT_FORMATS,
  createRng,
  encodeGenome,
  genomeHash,
  sampleGenome,
  type Genome,
} from "@mfnas/core";
import { describe, expect, it } from "vitest";
import { EXPORTER_VERSION, exportGenerator, saveArtifact, type ExportPrecision } from "./index.ts";
import { randomWeights } from "../../../tests/support/random-weights.ts";
import { tempDir } from "./test-support.ts";

const INPUT = { height: 16, width: 12 };
const PRECISIONS: ExportPrecision[] = ["float32", "float16"];
const GENOMES: Genome[] = (() => {
  const rng = createRng(7);
  return Array.from({ length: 4 }, () => sampleGenome(DEFAULT_SEARCH_SPACE, rng));
})();

describe("determinism", () => {
  it("exports the same genome and weights to identical bytes, every format and precision", () => {
    for (const [i, genome] of GENOMES.entries()) {
      const weights = randomWeights(genome, i);
      const copy = Object.fromEntries(
        [...weights].map(([name, t]) => [name, { shape: [...t.shape], data: t.data.slice() }]),
      );
      for (const format of EXPORT_FORMATS) {
        for (const precision of PRECISIONS) {
          // Separately built inputs: a Map once, a plain object with the genome's keys and branches reordered once.
          const a = exportGenerator(genome, weights, { format, precision, input: INPUT });
          const shuffled = {
            upsampler: genome.upsampler,
            blocks: genome.blocks.map((b) => ({ branches: [...b.branches].reverse(), branchWidth: b.branchWidth })),
            trunkWidth: genome.trunkWidth,
            scale: genome.scale,
          };
          const b = exportGenerator(shuffled, copy, { format, precision, input: INPUT });
          expect(b.files.map((f) => f.sha256)).toEqual(a.files.map((f) => f.sha256));
          expect(Buffer.from(b.bytes).equals(Buffer.from(a.bytes))).toBe(true);
        }
      }
    }
  });

  it("changes the bytes when a weight changes", () => {
    const genome = GENOMES[0] as Genome;
    const weights = randomWeights(genome, 0);
    const a = exportGenerator(genome, weights, { format: "tflite", input: INPUT });
    (weights.get("conv_last.bias")?.data as Float32Array)[0] = 42;
    expect(exportGenerator(genome, weights, { format: "tflite", input: INPUT }).sha256).not.toBe(a.sha256);
  });
});

describe("metadata", () => {
  const genome = GENOMES[1] as Genome;

  it.each(EXPORT_FORMATS)("%s: sha256, genome, shapes, precision and version", (format) => {
    const artifact = exportGenerator(genome, randomWeights(genome, 3), { format, precision: "float16", input: INPUT });
    expect(artifact.sha256).toBe(createHash("sha256").update(artifact.bytes).digest("hex"));
    expect(artifact.files[0]?.bytes).toBe(artifact.bytes);
    const s = genome.scale;
    expect(artifact.metadata).toMatchObject({
      format,
      genomeHash: genomeHash(genome),
      genome: encodeGenome(genome),
      inputName: "lr",
      inputShape: format === "onnx" ? [1, 3, 16, 12] : [1, 16, 12, 3],
      inputLayout: format === "onnx" ? "NCHW" : "NHWC",
      outputShape: format === "onnx" ? [1, 3, 16 * s, 12 * s] : [1, 16 * s, 12 * s, 3],
      precision: "float16",
      exporterVersion: EXPORTER_VERSION,
    });
    expect(artifact.metadata.files).toEqual(
      artifact.files.map((f) => ({ name: f.name, sizeBytes: f.bytes.length, sha256: f.sha256 })),
    );
  });

  it("float16 weights make files about half the size", () => {
    const weights = randomWeights(genome, 3);
    for (const format of EXPORT_FORMATS) {
      const size = (precision: ExportPrecision) =>
        exportGenerator(genome, weights, { format, precision, input: INPUT }).files.reduce(
          (n, f) => n + f.bytes.length,
          0,
        );
      expect(size("float16") / size("float32")).toBeLessThan(0.6);
    }
  });

  it("saveArtifact writes every file and metadata.json", async () => {
    const dir = path.join(await tempDir(), "artifact");
    const artifact = exportGenerator(genome, randomWeights(genome, 3), { format: "tfjs", input: INPUT });
    const written = await saveArtifact(artifact, dir);
    expect(written.map((p) => path.basename(p))).toEqual(["model.json", "weights.bin", "metadata.json"]);
    for (const f of artifact.files)
      expect((await readFile(path.join(dir, f.name))).equals(Buffer.from(f.bytes))).toBe(true);
    expect(JSON.parse(await readFile(path.join(dir, "metadata.json"), "utf8"))).toEqual(
      JSON.parse(JSON.stringify(artifact.metadata)),
    );
  });
});
