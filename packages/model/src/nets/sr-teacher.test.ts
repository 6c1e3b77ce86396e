import { beforeAll, describe, expect, it } from "vitest";
import { trainingBackends } from "../backend/test-support.ts";
import { cropImage, createImage } from "../data/image-io.ts";
import { imresize } from "../data/imresize.ts";
import { openDataset } from "../data/named-datasets.ts";
import { psnrY } from "../metrics/psnr.ts";
import type { Tf } from "../tf.ts";
import { RrdbNet } from "./rrdbnet.ts";
import { loadPackageTeacher, rrdbNetTeacher } from "./sr-teacher.ts";

let tf: Tf;
beforeAll(async () => {
  tf = await trainingBackends();
  await tf.setBackend("wasm");
});

describe("teachers", () => {
  it("esrgan-thick x4 loads from the installed package, with the published size, and beats bicubic on a photo", async () => {
    const teacher = await loadPackageTeacher(tf, "@upscalerjs/esrgan-thick", 4);
    try {
      expect(teacher.identity).toMatch(/^tfjs-layers:@upscalerjs\/esrgan-thick@1\.0\.0:x4$/);
      expect(teacher.cost).toEqual({ params: 7_260_740, macsPerLrPixel: 7_256_016 });
      expect(teacher.features).toEqual({ count: 10, channels: 64, downscale: 1 });
      // A 64x64 LR crop of a validation photograph (coffee: porcelain, wood grain), HR 256x256.
      const val = await openDataset("photos-val", { scale: 4 });
      const pair = await val.load(val.entries.findIndex((e) => e.name === "coffee.png"));
      const lr = cropImage(pair.lr, 16, 24, 64, 64);
      const hr = cropImage(pair.hr, 64, 96, 256, 256);
      const input = tf.tensor4d(lr.data, [1, 64, 64, 3]);
      const out = teacher.run(tf, input, true);
      expect(out.blocks.map((b) => b.shape)).toEqual(Array.from({ length: 10 }, () => [1, 64, 64, 64]));
      const sr = createImage(256, 256, (await out.sr.data()) as Float32Array);
      tf.dispose([input, out.sr, ...out.blocks]);
      const teacherPsnr = psnrY(sr, hr, { cropBorder: 4 });
      const bicubicPsnr = psnrY(imresize(lr, { scale: 4 }), hr, { cropBorder: 4 });
      console.log(
        `esrgan-thick x4 on coffee 64x64 LR: ${teacherPsnr.toFixed(2)} dB, bicubic ${bicubicPsnr.toFixed(2)} dB`,
      );
      expect(teacherPsnr).toBeGreaterThan(bicubicPsnr + 0.3);
    } finally {
      teacher.dispose();
    }
  }, 120_000);

  it("refuses a scale the package has no model for, naming the field", async () => {
    await expect(loadPackageTeacher(tf, "@upscalerjs/esrgan-thick", 5)).rejects.toThrow(
      "teacher.scale: @upscalerjs/esrgan-thick has no x5 model",
    );
  });

  it("wraps an RRDBNet with the cost model's figures and its block outputs", () => {
    const net = new RrdbNet(tf, { blocks: 2, channels: 8, growth: 4, scale: 4 });
    const teacher = rrdbNetTeacher(net, "f".repeat(64));
    expect(teacher.identity).toBe(`rrdbnet:${"f".repeat(64)}:b2c8g4:x4`);
    expect(teacher.cost.params).toBe(net.paramCount());
    expect(teacher.features).toEqual({ count: 2, channels: 8, downscale: 1 });
    const out = teacher.run(tf, tf.zeros([1, 8, 8, 3]), true);
    expect([out.sr.shape, out.blocks.length]).toEqual([[1, 32, 32, 3], 2]);
    tf.dispose([out.sr, ...out.blocks]);
    teacher.dispose();
  });
});
