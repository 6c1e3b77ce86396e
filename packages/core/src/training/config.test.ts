import { describe, expect, it } from "vitest";
import { learningRateAt, parseTrainingConfig } from "./config.ts";

const teacher = { weights: "a".repeat(64) };
const base = { teacher, data: { train: "bundled", val: "/data/val" }, steps: 10 };

describe("training config", () => {
  it("fills in the documented defaults", () => {
    const c = parseTrainingConfig(base);
    expect(c.teacher).toEqual({ kind: "rrdbnet", weights: "a".repeat(64), blocks: 23, channels: 64, growth: 32 });
    expect(c.scale).toBe(4);
    expect(c.patchSize).toBe(128);
    expect(c.optimizer.betas).toEqual([0.9, 0.99]);
    expect(c.sampling).toEqual({ rule: "sandwich", random: 2 });
    expect(c.losses.adversarial).toBe(0.005);
    expect(c.vggWeights).toBeUndefined();
  });

  it('accepts built-in datasets by name, absolute folders and the older "bundled"', () => {
    const c = parseTrainingConfig({ ...base, data: { train: "photos-train", val: "photos-val" } });
    expect(c.data).toEqual({ train: "photos-train", val: "photos-val" });
    expect(parseTrainingConfig({ ...base, data: { train: "/data/DIV2K", val: "bundled" } }).data.val).toBe("bundled");
    expect(() => parseTrainingConfig({ ...base, data: { train: "photos", val: "photos-val" } })).toThrow("data.train");
    const uploaded = `artifact:${"ab".repeat(32)}`;
    expect(parseTrainingConfig({ ...base, data: { train: uploaded, val: "bundled" } }).data.train).toBe(uploaded);
    expect(() => parseTrainingConfig({ ...base, data: { train: "artifact:abc", val: "bundled" } })).toThrow(
      /data\.train: .*"artifact:<sha256>"/,
    );
  });

  it("defaults the teacher to esrgan-thick at the config's scale and checks a layers teacher's scale and range", () => {
    const { teacher: _, ...noTeacher } = base;
    expect(parseTrainingConfig(noTeacher).teacher).toEqual({
      kind: "tfjs-layers",
      package: "@upscalerjs/esrgan-thick",
      input: "nhwc-rgb",
    });
    const layers = { kind: "tfjs-layers", package: "@upscalerjs/esrgan-thick" };
    expect(
      parseTrainingConfig({ ...base, scale: 2, teacher: { ...layers, scale: 2, valueRange: [0, 1] } }).teacher,
    ).toMatchObject({ scale: 2, valueRange: [0, 1] });
    expect(() => parseTrainingConfig({ ...base, teacher: { ...layers, scale: 8 } })).toThrow(
      "teacher.scale: the teacher must upscale by the config's scale 4, got 8",
    );
    expect(() => parseTrainingConfig({ ...base, teacher: { ...layers, valueRange: [0, 255] } })).toThrow(
      "teacher.valueRange: @upscalerjs/esrgan-thick takes and returns pixels in [0, 1], not [0, 255]",
    );
    expect(() => parseTrainingConfig({ ...base, teacher: { ...layers, input: "nchw-bgr" } })).toThrow("teacher.input");
    expect(() => parseTrainingConfig({ ...base, teacher: { kind: "tfjs-layers", package: "left-pad" } })).toThrow(
      "teacher.package",
    );
    expect(() => parseTrainingConfig({ ...base, teacher: { kind: "onnx" } })).toThrow("teacher.kind");
    const artifact = { kind: "tfjs-layers", artifact: "c".repeat(64), featureLayers: "RRDB_{k}_out" };
    expect(parseTrainingConfig({ ...base, teacher: artifact }).teacher).toMatchObject(artifact);
    expect(() => parseTrainingConfig({ ...base, teacher: { ...artifact, package: layers.package } })).toThrow(
      "teacher.package: give either package (an installed teacher package) or artifact (an uploaded model.json)",
    );
    expect(() => parseTrainingConfig({ ...base, teacher: { kind: "tfjs-layers" } })).toThrow("teacher.package");
    expect(() => parseTrainingConfig({ ...base, teacher: { ...artifact, featureLayers: "RRDB_out" } })).toThrow(
      "teacher.featureLayers: must contain {k}",
    );
  });

  it.each([
    [{ optimizer: { lr: -1 } }, "optimizer.lr"],
    [{ data: { train: "relative/path", val: "bundled" } }, "data.train"],
    [{ teacher: { weights: "nope" } }, "teacher.weights"],
    [{ patchSize: 40 }, "patchSize: must be a multiple of 4 x scale = 16"],
    [{ patchSize: 16, discriminator: { layers: 3 } }, "patchSize: must be at least 24"],
    [{ discriminator: { teacherBaseWidth: 8, studentBaseWidth: 16 } }, "discriminator.studentBaseWidth"],
    [{ losses: { pixel: -0.5 } }, "losses.pixel"],
    [{ schedule: { kind: "step" } }, "schedule.everySteps"],
    [{ surprise: 1 }, "surprise"],
    [
      {
        sampling: {
          rule: "progressive",
          phases: [
            { untilStep: 5, space: {} },
            { untilStep: 5, space: {} },
          ],
        },
      },
      "sampling.phases.1.untilStep",
    ],
  ])("rejects %j naming %s", (patch, field) => {
    expect(() => parseTrainingConfig({ ...base, ...patch })).toThrow(field);
  });

  it("computes warmup, step decay and cosine rates", () => {
    expect(learningRateAt(1, { kind: "constant", warmupSteps: 4 }, 0, 100)).toBe(0.25);
    expect(learningRateAt(1, { kind: "constant", warmupSteps: 4 }, 50, 100)).toBe(1);
    expect(learningRateAt(1, { kind: "step", warmupSteps: 0, everySteps: 10, gamma: 0.5 }, 25, 100)).toBe(0.25);
    const cosine = { kind: "cosine", warmupSteps: 0, minLr: 0 } as const;
    expect(learningRateAt(1, cosine, 0, 100)).toBe(1);
    expect(learningRateAt(1, cosine, 50, 100)).toBeCloseTo(0.5);
    expect(learningRateAt(1, cosine, 100, 100)).toBeCloseTo(0);
  });
});
