import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { prepareRun } from "./prepare.ts";
import { teacherBytes, tinyConfig } from "../../../tests/support/tiny-teacher.ts";
import { MemoryArtifacts, sha256, trainingTf } from "./test-support.ts";

describe("prepareRun's teacher", () => {
  it("is esrgan-thick at the config's scale when the config names none, with its block outputs", async () => {
    const tf = await trainingTf();
    const { teacher: _, ...config } = tinyConfig("0".repeat(64), {
      data: { train: "photos-train", val: "photos-val" },
    });
    const run = await prepareRun(tf, config, new MemoryArtifacts());
    try {
      expect(run.config.teacher).toMatchObject({ kind: "tfjs-layers", package: "@upscalerjs/esrgan-thick" });
      expect(run.teacher.identity).toBe("tfjs-layers:@upscalerjs/esrgan-thick@1.0.0:x4");
      expect(run.teacher.features).toEqual({ count: 10, channels: 64, downscale: 1 });
      expect(run.train.entries).toHaveLength(7);
    } finally {
      run.teacher.dispose();
    }
  });

  it("is RRDBNet from the weights artifact for configs that give weights", async () => {
    const tf = await trainingTf();
    const artifacts = new MemoryArtifacts();
    const bytes = await teacherBytes();
    await artifacts.put({ bytes });
    const run = await prepareRun(tf, tinyConfig(sha256(bytes)), artifacts);
    try {
      expect(run.teacher.identity).toBe(`rrdbnet:${sha256(bytes)}:b2c16g8:x4`);
      expect(run.teacher.features).toEqual({ count: 2, channels: 16, downscale: 1 });
    } finally {
      run.teacher.dispose();
    }
  });

  it("is a layers model uploaded as artifacts: model.json naming its shards by sha256", async () => {
    const tf = await trainingTf();
    const artifacts = new MemoryArtifacts();
    // The esrgan-thick x4 files, uploaded as a user would upload their own model.
    const entry = createRequire(import.meta.url).resolve("@upscalerjs/esrgan-thick");
    const root = entry.split(/[/\\]dist[/\\]/)[0] ?? "";
    const dir = join(root, "models", "x4");
    const model = JSON.parse(await readFile(join(dir, "model.json"), "utf8")) as {
      weightsManifest: { paths: string[] }[];
    };
    for (const group of model.weightsManifest) {
      group.paths = await Promise.all(
        group.paths.map(
          async (p) => (await artifacts.put({ bytes: new Uint8Array(await readFile(join(dir, p))) })).sha256,
        ),
      );
    }
    const { sha256: modelSha } = await artifacts.put({ bytes: new TextEncoder().encode(JSON.stringify(model)) });
    const teacher = { kind: "tfjs-layers", artifact: modelSha, featureLayers: "RRDB_{k}_out" } as const;
    const run = await prepareRun(tf, tinyConfig("0".repeat(64), { teacher }), artifacts);
    try {
      expect(run.teacher.identity).toBe(`tfjs-layers:artifact:${modelSha}:x4`);
      expect(run.teacher.cost).toEqual({ params: 7_260_740, macsPerLrPixel: 7_256_016 });
      expect(run.teacher.features).toEqual({ count: 10, channels: 64, downscale: 1 });
    } finally {
      run.teacher.dispose();
    }

    const unresolved = await artifacts.put({ bytes: await readFile(join(dir, "model.json")) });
    await expect(
      prepareRun(tf, tinyConfig("0".repeat(64), { teacher: { ...teacher, artifact: unresolved.sha256 } }), artifacts),
    ).rejects.toThrow("teacher.artifact: weight path group1-shard1of7.bin is not the sha256 of an uploaded shard");
    const missing = prepareRun(
      tf,
      tinyConfig("0".repeat(64), { teacher: { ...teacher, artifact: "d".repeat(64) } }),
      artifacts,
    );
    await expect(missing).rejects.toMatchObject({ code: "not_found" });
    await expect(missing).rejects.toThrow(/^teacher\.artifact: artifact d+ is not in the store/);
  });
});
