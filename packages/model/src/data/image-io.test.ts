import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createImage, cropImage, decodeImage, encodePng, modCrop, readImage, toUint8, writePng } from "./image-io.ts";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "mfnas-image-io-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A minimal 16-bit RGB or gray PNG (sharp cannot be asked to write one from raw input without rescaling). */
function png16(width: number, height: number, samples: Uint16Array, channels: 1 | 3 = 3): Buffer {
  const chunk = (type: string, body: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(body.length);
    const typed = Buffer.concat([Buffer.from(type, "ascii"), body]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(typed));
    return Buffer.concat([head, typed, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([16, channels === 3 ? 2 : 0, 0, 0, 0], 8); // bit depth 16, colour type RGB or gray
  const stride = 1 + width * channels * 2; // a filter byte, then the samples
  const rows = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * channels; i++)
      rows.writeUInt16BE(samples[y * width * channels + i] ?? 0, y * stride + 1 + i * 2);
  }
  const signature = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);
  return Buffer.concat([
    signature,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("image decoding and encoding", () => {
  it("round-trips 8-bit levels exactly through PNG and rounds other values to the nearest level", async () => {
    const image = createImage(3, 4);
    image.data.forEach((_, i) => (image.data[i] = ((i * 37) % 256) / 255));
    const path = join(dir, "levels.png");
    await writePng(path, image);
    const back = await readImage(path);
    expect(back).toMatchObject({ height: 3, width: 4 });
    expect(Array.from(toUint8(back))).toEqual(Array.from(toUint8(image)));
    expect(back.data[5]).toBeCloseTo(image.data[5]!, 7);

    const between = createImage(1, 1, Float32Array.from([0.3 / 255, 1.6 / 255, 2]));
    expect(Array.from(toUint8(await decodeImage(await encodePng(between))))).toEqual([0, 2, 255]);
  });

  it("expands grayscale to three channels and drops alpha without premultiplying", async () => {
    const gray = await sharp(Buffer.from([0, 128, 255, 64]), { raw: { width: 2, height: 2, channels: 1 } })
      .png()
      .toBuffer();
    const g = await decodeImage(gray);
    expect(Array.from(toUint8(g))).toEqual([0, 0, 0, 128, 128, 128, 255, 255, 255, 64, 64, 64]);

    const rgba = await sharp(Buffer.from([200, 100, 50, 0, 10, 20, 30, 255]), {
      raw: { width: 2, height: 1, channels: 4 },
    })
      .png()
      .toBuffer();
    expect(Array.from(toUint8(await decodeImage(rgba)))).toEqual([200, 100, 50, 10, 20, 30]);
  });

  it("keeps 16-bit precision", async () => {
    const samples = Uint16Array.from([0, 1, 65535, 32768, 1000, 40000]);
    const image = await decodeImage(png16(2, 1, samples), "sixteen.png");
    expect(Array.from(image.data)).toEqual(Array.from(samples, (v) => Math.fround(v / 65535)));
    const gray = await decodeImage(png16(2, 1, Uint16Array.from([1, 40000]), 1), "gray16.png");
    expect(Array.from(gray.data)).toEqual([1, 1, 1, 40000, 40000, 40000].map((v) => Math.fround(v / 65535)));
  });

  it("decodes JPEG close to its source", async () => {
    const raw = Buffer.alloc(16 * 16 * 3, 0).map((_, i) => 60 + (i % 48) * 3);
    const jpeg = await sharp(raw, { raw: { width: 16, height: 16, channels: 3 } })
      .jpeg({ quality: 100, chromaSubsampling: "4:4:4" })
      .toBuffer();
    const image = await decodeImage(jpeg, "q100.jpg");
    const levels = toUint8(image);
    let worst = 0;
    for (let i = 0; i < raw.length; i++) worst = Math.max(worst, Math.abs(levels[i]! - raw[i]!));
    expect(worst).toBeLessThanOrEqual(6);
  });

  it("names the path of missing, corrupt, truncated and non-PNG/JPEG files", async () => {
    await expect(readImage(join(dir, "absent.png"))).rejects.toMatchObject({
      code: "not_found",
      message: expect.stringContaining("absent.png") as unknown,
    });
    const text = join(dir, "notes.png");
    await writeFile(text, "not an image");
    await expect(readImage(text)).rejects.toMatchObject({
      code: "invalid_input",
      message: expect.stringMatching(/notes\.png: cannot decode image/) as unknown,
    });
    const good = await encodePng(
      createImage(
        32,
        32,
        new Float32Array(32 * 32 * 3).map((_, i) => (i % 7) / 7),
      ),
    );
    const truncated = join(dir, "truncated.png");
    await writeFile(truncated, good.subarray(0, good.length - 40));
    await expect(readImage(truncated)).rejects.toThrow(/truncated\.png: cannot decode image/);
    const gif = join(dir, "anim.gif");
    await writeFile(
      gif,
      await sharp(Buffer.alloc(12), { raw: { width: 2, height: 2, channels: 3 } })
        .gif()
        .toBuffer(),
    );
    await expect(readImage(gif)).rejects.toThrow(/anim\.gif: expected a PNG or JPEG image, found gif/);
  });
});

describe("crops", () => {
  const image = createImage(
    5,
    6,
    Float32Array.from({ length: 90 }, (_, i) => i),
  );

  it("mod-crops the bottom and right only", () => {
    const cropped = modCrop(image, 4);
    expect(cropped).toMatchObject({ height: 4, width: 4 });
    expect(Array.from(cropped.data.subarray(12, 15))).toEqual([18, 19, 20]); // row 1, column 0
    expect(modCrop(cropImage(image, 0, 0, 4, 4), 4).height).toBe(4);
  });

  it("refuses windows outside the image and bad sizes", () => {
    expect(() => cropImage(image, 2, 0, 4, 2)).toThrow(/does not fit a 5x6 image/);
    expect(() => createImage(2, 2, new Float32Array(5))).toThrow(/expected 2x2x3 = 12/);
    expect(() => createImage(0, 2)).toThrow(/positive integers/);
  });
});
