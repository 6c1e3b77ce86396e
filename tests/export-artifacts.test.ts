import { mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SEARCH_SPACE, genomeHash, smallestGenome, type Genome } from "@mfnas/core";
import type { ExportFormat } from "@mfnas/core";
import { exportGenerator, type ExportPrecision, type WeightTensor } from "@mfnas/export";
import { SubGenerator } from "@mfnas/model";
import { LocalArtifactStore } from "@mfnas/store";
import { createTestDatabase, type TestDatabase } from "./support/database.ts";

// An exported SubGenerator goes into the content-addressed artifact store and is recorded in Postgres with its
// genome hash, input shape, precision and exporter version; exporting and storing it again changes nothing.
describe("exported SubGenerators in the artifact store", () => {
  let database: TestDatabase;
  let root: string;
  let store: LocalArtifactStore;
  const genome: Genome = smallestGenome(DEFAULT_SEARCH_SPACE, 4);
  let weights: Map<string, WeightTensor>;

  beforeAll(async () => {
    await tf.setBackend("cpu");
    database = await createTestDatabase();
    root = await mkdtemp(path.join(os.tmpdir(), "mfnas-artifacts-"));
    store = new LocalArtifactStore(root, database.db);
    const sub = SubGenerator.create(tf, genome, { seed: 3 });
    weights = new Map(
      sub.params.entries().map(([n, v]) => [n, { shape: [...v.shape], data: Float32Array.from(v.dataSync()) }]),
    );
    sub.dispose();
  });
  afterAll(() => database.drop());

  async function exportAndStore(format: ExportFormat, precision: ExportPrecision) {
    const artifact = exportGenerator(genome, weights, { format, precision, input: { height: 32, width: 32 } });
    const stored = [];
    for (const file of artifact.files) {
      stored.push(
        await store.put({
          bytes: file.bytes,
          kind: format,
          mediaType: file.mediaType,
          metadata: { ...artifact.metadata, file: file.name },
        }),
      );
    }
    return { artifact, stored };
  }

  it("records every format and precision once, content addressed", async () => {
    const combos: Array<[ExportFormat, ExportPrecision]> = [
      ["tflite", "float32"],
      ["tflite", "float16"],
      ["onnx", "float32"],
      ["tfjs", "float32"],
    ];
    for (const [format, precision] of combos) {
      const first = await exportAndStore(format, precision);
      const again = await exportAndStore(format, precision);
      expect(again.artifact.sha256).toBe(first.artifact.sha256);
      expect(first.stored.every((s) => s.created)).toBe(true);
      expect(again.stored.every((s) => !s.created)).toBe(true);
      const row = await database.db.artifact.findUniqueOrThrow({ where: { sha256: first.artifact.sha256 } });
      expect(row.kind).toBe(format);
      expect(Number(row.sizeBytes)).toBe(first.artifact.bytes.byteLength);
      expect(row.metadata).toMatchObject({
        genomeHash: genomeHash(genome),
        precision,
        inputShape: format === "onnx" ? [1, 3, 32, 32] : [1, 32, 32, 3],
        exporterVersion: expect.stringMatching(/^mfnas-export\//) as unknown,
      });
      expect(Buffer.from(await store.get(first.artifact.sha256)).equals(Buffer.from(first.artifact.bytes))).toBe(true);
    }
    // TF.js has two files (model.json + weights); the rest one each.
    expect(await database.db.artifact.count()).toBe(5);
    const files = (await readdir(root, { recursive: true })).filter((f) => /[0-9a-f]{64}$/.test(f));
    expect(files).toHaveLength(5);
    expect((await readdir(root, { recursive: true })).some((f) => f.endsWith(".tmp"))).toBe(false);
  });

  it("refuses a corrupted file and a non-digest name", async () => {
    const { artifact } = await exportAndStore("onnx", "float16");
    const file = path.join(root, artifact.sha256.slice(0, 2), artifact.sha256);
    const bytes = await readFile(file);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    await writeFile(file, bytes);
    await expect(store.get(artifact.sha256)).rejects.toMatchObject({ code: "conflict" });
    await expect(store.get("../../etc/passwd")).rejects.toMatchObject({ code: "invalid_input" });
  });
});
