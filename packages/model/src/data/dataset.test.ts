import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openBenchmarkDataset, openImageFolderDataset } from "./dataset.ts";
import { createImage, readImage, toUint8, writePng } from "./image-io.ts";
import type { RgbImage } from "./image-io.ts";
import { bicubicDownscale } from "./imresize.ts";

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "mfnas-dataset-"));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function pattern(height: number, width: number, seed = 0): RgbImage {
  const image = createImage(height, width);
  for (let i = 0; i < image.data.length; i++) image.data[i] = 0.5 + 0.45 * Math.sin(0.7 * i + seed);
  return image;
}

/** Writes `files` (relative path -> [height, width]) under a fresh folder named `name`; returns its path. */
async function folder(name: string, files: Record<string, [number, number]>): Promise<string> {
  const base = join(root, name);
  for (const [path, [h, w]] of Object.entries(files)) {
    await mkdir(join(base, path, ".."), { recursive: true });
    await writePng(join(base, path), pattern(h, w, path.length));
  }
  return base;
}

describe("HR image folder dataset", () => {
  it("lists images recursively in a stable order and makes LR by imresize from the mod-cropped HR", async () => {
    const base = await folder("hr-only", { "b.png": [16, 16], "a/z.png": [18, 21], "a/y.jpg": [8, 8] });
    await writeFile(join(base, "notes.txt"), "not an image");
    const dataset = await openImageFolderDataset(base, { scale: 4 });
    expect(dataset.layout).toBe("hr-folder");
    expect(dataset.entries.map((e) => e.name)).toEqual(["a/y.jpg", "a/z.png", "b.png"]);
    const pair = await dataset.load(1);
    expect([pair.hr.height, pair.hr.width, pair.lr.height, pair.lr.width]).toEqual([16, 20, 4, 5]);
    const decoded = await readImage(join(base, "a/z.png"));
    expect(pair.hr.data[(1 * 20 + 2) * 3]).toBe(decoded.data[(1 * 21 + 2) * 3]); // same pixel after the crop
    expect(Array.from(pair.lr.data)).toEqual(Array.from(bicubicDownscale(pair.hr, 4).data));
  });

  it("rounds generated LR to 8-bit levels only when asked", async () => {
    const base = await folder("hr-rounding", { "x.png": [16, 16] });
    const float = await (await openImageFolderDataset(base, { scale: 2 })).load(0);
    const rounded = await (await openImageFolderDataset(base, { scale: 2, lrRounding: "uint8" })).load(0);
    expect(Array.from(rounded.lr.data, (v) => v * 255).every((v) => Math.abs(v - Math.round(v)) < 1e-3)).toBe(true);
    expect(Array.from(float.lr.data)).not.toEqual(Array.from(rounded.lr.data));
  });

  it("caches decoded pairs within the byte bound", async () => {
    const base = await folder("hr-cache", { "x.png": [16, 16] });
    const cached = await openImageFolderDataset(base, { scale: 2 });
    expect(await cached.load(0)).toBe(await cached.load(0));
    const uncached = await openImageFolderDataset(base, { scale: 2, cacheBytes: 100 });
    expect(await uncached.load(0)).not.toBe(await uncached.load(0));
  });

  it("rejects a missing or empty folder, scale 3 and an out-of-range index", async () => {
    await expect(openImageFolderDataset(join(root, "nowhere"), { scale: 4 })).rejects.toMatchObject({
      code: "not_found",
    });
    await mkdir(join(root, "empty"));
    await expect(openImageFolderDataset(join(root, "empty"), { scale: 4 })).rejects.toThrow(/no \.png\/\.jpg/);
    const base = await folder("hr-scale", { "x.png": [8, 8] });
    await expect(openImageFolderDataset(base, { scale: 3 as 4 })).rejects.toThrow(/scale: must be 2 or 4, got 3/);
    await expect((await openImageFolderDataset(base, { scale: 2 })).load(1)).rejects.toThrow(/index 1 outside 0\.\.0/);
  });
});

describe("benchmark layouts", () => {
  it("pairs BasicSR's GTmod12 + LRbicx4 by file name", async () => {
    const base = await folder("Set5", {
      "GTmod12/baby.png": [24, 24],
      "GTmod12/bird.png": [12, 16],
      "LRbicx4/baby.png": [6, 6],
      "LRbicx4/bird.png": [3, 4],
      "LRbicx2/baby.png": [12, 12],
    });
    const dataset = await openBenchmarkDataset(base, { scale: 4 });
    expect(dataset.layout).toBe("gtmod-lrbic");
    expect(dataset.entries.map((e) => e.name)).toEqual(["GTmod12/baby.png", "GTmod12/bird.png"]);
    const pair = await dataset.load(1);
    expect(Array.from(toUint8(pair.lr))).toEqual(Array.from(toUint8(await readImage(join(base, "LRbicx4/bird.png")))));
    expect([pair.hr.height, pair.hr.width]).toEqual([12, 16]);
    // x2 exists only for baby: bird's missing LR file is named.
    await expect(openBenchmarkDataset(base, { scale: 2 })).rejects.toThrow(
      /no LR image for .*bird\.png: expected .*LRbicx2/,
    );
  });

  it("pairs EDSR's HR + LR_bicubic/X4/<name>x4.png, mod-cropping odd HR sizes", async () => {
    const base = await folder("Set14", { "HR/comic.png": [250, 361], "LR_bicubic/X4/comicx4.png": [62, 90] });
    const dataset = await openBenchmarkDataset(base, { scale: 4 });
    expect(dataset.layout).toBe("hr-lr-bicubic");
    const pair = await dataset.load(0);
    expect([pair.hr.height, pair.hr.width, pair.lr.height, pair.lr.width]).toEqual([248, 360, 62, 90]);
  });

  it("finds DIV2K from its parent folder or from the HR folder itself", async () => {
    const base = await folder("DIV2K", {
      "DIV2K_valid_HR/0801.png": [16, 12],
      "DIV2K_valid_LR_bicubic/X2/0801x2.png": [8, 6],
      "DIV2K_train_HR/0001.png": [8, 8],
      "DIV2K_train_LR_bicubic/X2/0001x2.png": [4, 4],
    });
    const valid = await openBenchmarkDataset(base, { scale: 2 });
    expect([valid.layout, valid.entries.map((e) => e.name)]).toEqual(["div2k", ["DIV2K_valid_HR/0801.png"]]);
    const train = await openBenchmarkDataset(base, { scale: 2, split: "train" });
    expect(train.entries.map((e) => e.name)).toEqual(["DIV2K_train_HR/0001.png"]);
    const direct = await openBenchmarkDataset(join(base, "DIV2K_train_HR"), { scale: 2 });
    expect(direct.entries.map((e) => e.name)).toEqual(["DIV2K_train_HR/0001.png"]);
    await expect(openBenchmarkDataset(base, { scale: 4 })).rejects.toThrow(
      /no x4 LR folder .*DIV2K_valid_LR_bicubic\/X4/,
    );
  });

  it("pairs SelfExSR's image_SRF_4 folder", async () => {
    const base = await folder("Urban100", {
      "image_SRF_4/img_001_SRF_4_HR.png": [16, 16],
      "image_SRF_4/img_001_SRF_4_LR.png": [4, 4],
    });
    const dataset = await openBenchmarkDataset(base, { scale: 4 });
    expect([dataset.layout, dataset.entries.length]).toEqual(["srf", 1]);
    expect(dataset.entries[0]?.lrPath).toMatch(/img_001_SRF_4_LR\.png$/);
  });

  it("treats a flat folder of images as HR-only", async () => {
    const base = await folder("B100-flat", { "3096.png": [16, 12], "8023.png": [12, 16] });
    const dataset = await openBenchmarkDataset(base, { scale: 4 });
    expect(dataset.layout).toBe("hr-folder");
    expect((await dataset.load(0)).lr).toMatchObject({ height: 4, width: 3 });
  });

  it("names both files and all sizes when LR x scale differs from the mod-cropped HR", async () => {
    const base = await folder("Set5-bad", { "HR/baby.png": [25, 24], "LR_bicubic/X4/babyx4.png": [7, 6] });
    await expect(openBenchmarkDataset(base, { scale: 4 })).rejects.toThrow(
      /LR .*babyx4\.png is 7x6 \(x4 = 28x24\) but HR .*baby\.png is 25x24, mod-cropped to 24x24/,
    );
    // Without header validation the same error comes from load().
    const lazy = await openBenchmarkDataset(base, { scale: 4, validate: false });
    await expect(lazy.load(0)).rejects.toThrow(/is 7x6 \(x4 = 28x24\) but HR .*25x24/);
  });

  it("explains an unknown layout and a folder that does not exist", async () => {
    await mkdir(join(root, "odd/sub"), { recursive: true });
    await expect(openBenchmarkDataset(join(root, "odd"), { scale: 4 })).rejects.toThrow(
      /no images and no known layout/,
    );
    await expect(openBenchmarkDataset(join(root, "missing"), { scale: 4 })).rejects.toMatchObject({
      code: "not_found",
    });
  });
});
