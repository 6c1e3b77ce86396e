import { describe, expect, it } from "vitest";
import { prepareRun } from "./prepare.ts";
import { MemoryArtifacts, sha256, teacherBytes, tinyConfig, trainingTf } from "./test-support.ts";

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
});
