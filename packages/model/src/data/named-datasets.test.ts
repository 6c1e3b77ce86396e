import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_DATASETS } from "@mfnas/core";
import { psnrY } from "../metrics/psnr.ts";
import { createImage, writePng } from "./image-io.ts";
import { bicubicDownscale, imresize } from "./imresize.ts";
import { builtinDatasetDir, openDataset } from "./named-datasets.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mfnas-named-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function png(path: string, height: number, width: number): Promise<void> {
  const image = createImage(height, width);
  for (let i = 0; i < image.data.length; i++) image.data[i] = 0.5 + 0.4 * Math.sin(0.37 * i);
  await mkdir(join(path, ".."), { recursive: true });
  await writePng(path, image);
}

describe("built-in datasets", () => {
  it("ship 7 training and 3 validation photographs, disjoint, each with a licence entry", async () => {
    const train = await openDataset("photos-train", { scale: 4 });
    const val = await openDataset("photos-val", { scale: 4 });
    expect(train.entries.map((e) => e.name)).toEqual([
      "astronaut.png",
      "brick.png",
      "camera.png",
      "coins.png",
      "hubble_deep_field.png",
      "ihc.png",
      "retina.png",
    ]);
    expect(val.entries.map((e) => e.name)).toEqual(["chelsea.png", "coffee.png", "rocket.jpg"]);
    const { readFile } = await import("node:fs/promises");
    const licences = await readFile(join(builtinDatasetDir("photos-train"), "..", "LICENSES.md"), "utf8");
    for (const entry of [...train.entries, ...val.entries]) expect(licences).toContain(`\`${entry.name}\``);
  });

  it("load as real photographs: 8-bit LR by MATLAB bicubic, which bicubic upscaling does not restore", async () => {
    const val = await openDataset("photos-val", { scale: 4 });
    const pair = await val.load(0); // chelsea, 300x451 -> mod-cropped 300x448
    expect([pair.hr.height, pair.hr.width, pair.lr.height, pair.lr.width]).toEqual([300, 448, 75, 112]);
    expect(Array.from(pair.lr.data)).toEqual(Array.from(bicubicDownscale(pair.hr, 4, { rounding: "uint8" }).data));
    expect(Array.from(pair.lr.data, (v) => v * 255).every((v) => Math.abs(v - Math.round(v)) < 1e-3)).toBe(true);
    const psnr = psnrY(imresize(pair.lr, { scale: 4 }), pair.hr, { cropBorder: 4 });
    expect(psnr).toBeGreaterThan(20);
    expect(psnr).toBeLessThan(35);
  });

  it("resolve every name to a folder inside the package", () => {
    for (const name of BUILTIN_DATASETS) expect(builtinDatasetDir(name)).toMatch(/packages[/\\]model[/\\]assets[/\\]/);
  });
});

describe("datasets by folder", () => {
  it("detects the benchmark layouts of a user folder and uses their LR files", async () => {
    const edsr = join(root, "Set5");
    await png(join(edsr, "HR", "baby.png"), 16, 16);
    await png(join(edsr, "LR_bicubic", "X4", "babyx4.png"), 4, 4);
    const set5 = await openDataset(edsr, { scale: 4 });
    expect(set5.layout).toBe("hr-lr-bicubic");
    expect(set5.entries[0]?.lrPath).toBe(join(edsr, "LR_bicubic", "X4", "babyx4.png"));

    const div2k = join(root, "DIV2K");
    await png(join(div2k, "DIV2K_valid_HR", "0801.png"), 16, 16);
    await png(join(div2k, "DIV2K_valid_LR_bicubic", "X4", "0801x4.png"), 4, 4);
    expect((await openDataset(join(div2k, "DIV2K_valid_HR"), { scale: 4 })).layout).toBe("div2k");

    const hrOnly = join(root, "Urban-hr");
    await png(join(hrOnly, "img_001.png"), 16, 20);
    const urban = await openDataset(hrOnly, { scale: 4 });
    expect(urban.layout).toBe("hr-folder");
    const pair = await urban.load(0);
    expect([pair.lr.height, pair.lr.width]).toEqual([4, 5]);
  });

  it("names the folder or file at fault: missing, empty, not a dataset, too small for the scale or the patch", async () => {
    await expect(openDataset(join(root, "nowhere"), { scale: 4 })).rejects.toMatchObject({ code: "not_found" });
    await mkdir(join(root, "empty"));
    await writeFile(join(root, "empty", "notes.txt"), "no images");
    await expect(openDataset(join(root, "empty"), { scale: 4 })).rejects.toThrow(
      /empty: no images and no known layout/,
    );
    await expect(openDataset("photos", { scale: 4 })).rejects.toThrow(
      /"photos": not a built-in dataset \(photos-train/,
    );
    await png(join(root, "tiny", "a.png"), 3, 40);
    await expect(openDataset(join(root, "tiny"), { scale: 4 })).rejects.toThrow(
      /tiny[/\\]a\.png: 3x40 is too small: x4 with this dataset needs at least 4 pixels/,
    );
    await png(join(root, "small", "b.png"), 32, 32);
    await expect(openDataset(join(root, "small"), { scale: 4, minSide: 64 })).rejects.toThrow(
      /b\.png: 32x32 is too small: x4 with this dataset needs at least 64/,
    );
    expect((await openDataset(join(root, "small"), { scale: 4, minSide: 32 })).entries).toHaveLength(1);
  });
});
