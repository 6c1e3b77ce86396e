/**
 * Decoding and encoding of the images the SR pipeline reads and writes. Everything downstream works on one in-memory
 * layout, `RgbImage`: float32, height x width x 3 (HWC, RGB), values in [0, 1]. Alpha is dropped and grayscale is
 * expanded to three equal channels, so a model always sees three channels whatever the file held.
 *
 * Pixel values are taken as stored: no EXIF auto-rotation and no ICC colour conversion (CMYK JPEGs aside), because
 * SR benchmarks compare against the stored pixels, as BasicSR's cv2/PIL readers do.
 */
import { readFile, writeFile } from "node:fs/promises";
import sharp from "sharp";
import type { OutputInfo } from "sharp";
import { MfnasError } from "@mfnas/core";

/** A float32 RGB image, height x width x 3 in row-major HWC order, values nominally in [0, 1]. */
export interface RgbImage {
  readonly height: number;
  readonly width: number;
  readonly data: Float32Array;
}

/** A new image; `data` is zero-filled unless given (then it must hold height * width * 3 values). */
export function createImage(height: number, width: number, data?: Float32Array): RgbImage {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new MfnasError("invalid_input", `image size must be positive integers, got ${height}x${width}`, {
      height,
      width,
    });
  }
  const length = height * width * 3;
  if (data !== undefined && data.length !== length) {
    throw new MfnasError(
      "invalid_input",
      `image data holds ${data.length} values, expected ${height}x${width}x3 = ${length}`,
      { height, width, length: data.length },
    );
  }
  return { height, width, data: data ?? new Float32Array(length) };
}

/**
 * Decode a PNG or JPEG held in memory. `label` names the source (usually its path) in error messages.
 * 16-bit PNGs keep their precision (divided by 65535); 8-bit images are divided by 255.
 */
export async function decodeImage(bytes: Uint8Array, label = "<buffer>"): Promise<RgbImage> {
  let format: string | undefined;
  let depth: string | undefined;
  let space: string | undefined;
  try {
    ({ format, depth, space } = await sharp(bytes).metadata());
  } catch (error) {
    throw corrupt(label, error);
  }
  if (format !== "png" && format !== "jpeg") {
    throw new MfnasError("invalid_input", `${label}: expected a PNG or JPEG image, found ${format ?? "unknown"}`, {
      path: label,
      format,
    });
  }
  const sixteenBit = depth === "ushort";
  // Without an explicit 16-bit colourspace libvips would reduce 16-bit samples to 8 bits on the way out; naming the
  // target also turns CMYK JPEGs into RGB.
  let pipeline = sharp(bytes).removeAlpha();
  if (sixteenBit) pipeline = pipeline.toColourspace("rgb16");
  else if (space === "cmyk") pipeline = pipeline.toColourspace("srgb");
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await pipeline.raw({ depth: sixteenBit ? "ushort" : "uchar" }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw corrupt(label, error);
  }
  const { width, height, channels } = raw.info;
  if (channels !== 1 && channels !== 3) {
    throw new MfnasError("invalid_input", `${label}: cannot read ${channels}-channel pixels as RGB`, {
      path: label,
      channels,
    });
  }
  const samples = sixteenBit
    ? new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength / 2)
    : raw.data;
  const peak = sixteenBit ? 65535 : 255;
  const image = createImage(height, width);
  const pixels = height * width;
  for (let p = 0; p < pixels; p++) {
    for (let c = 0; c < 3; c++) {
      // Grayscale replicates its single sample into R, G and B.
      const sample = samples[channels === 1 ? p : p * 3 + c] ?? 0;
      image.data[p * 3 + c] = sample / peak;
    }
  }
  return image;
}

/** Read and decode a PNG or JPEG file; errors name the path. */
export async function readImage(path: string): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MfnasError(
      code === "ENOENT" ? "not_found" : "invalid_input",
      `${path}: cannot read image file (${code ?? String(error)})`,
      { path },
      { cause: error },
    );
  }
  return decodeImage(bytes, path);
}

/**
 * 8-bit samples of an image: each value clamped to [0, 1], scaled by 255 and rounded half up, which for
 * non-negative values equals MATLAB's im2uint8 (round half away from zero).
 */
export function toUint8(image: RgbImage): Uint8Array {
  const out = new Uint8Array(image.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = image.data[i] ?? 0;
    out[i] = Math.round(Math.min(1, Math.max(0, v)) * 255);
  }
  return out;
}

/** Encode as an 8-bit RGB PNG (values rounded as in `toUint8`). Maximum zlib compression; output is deterministic. */
export async function encodePng(image: RgbImage): Promise<Buffer> {
  return sharp(toUint8(image), { raw: { width: image.width, height: image.height, channels: 3 } })
    .png({ compressionLevel: 9, adaptiveFiltering: true, palette: false })
    .toBuffer();
}

/** Encode as PNG and write to `path`. */
export async function writePng(path: string, image: RgbImage): Promise<void> {
  await writeFile(path, await encodePng(image));
}

/** Bottom/right crop so that both sides are multiples of `scale` (BasicSR's `modcrop`); returns the input if aligned. */
export function modCrop(image: RgbImage, scale: number): RgbImage {
  const height = image.height - (image.height % scale);
  const width = image.width - (image.width % scale);
  if (height === image.height && width === image.width) return image;
  return cropImage(image, 0, 0, height, width);
}

/** A copy of the `height` x `width` window whose top-left corner is (top, left); the window must lie inside. */
export function cropImage(image: RgbImage, top: number, left: number, height: number, width: number): RgbImage {
  if (top < 0 || left < 0 || height < 1 || width < 1 || top + height > image.height || left + width > image.width) {
    throw new MfnasError(
      "invalid_input",
      `crop ${height}x${width} at (${top}, ${left}) does not fit a ${image.height}x${image.width} image`,
      { top, left, height, width },
    );
  }
  const out = createImage(height, width);
  const rowLength = width * 3;
  for (let y = 0; y < height; y++) {
    const from = ((top + y) * image.width + left) * 3;
    out.data.set(image.data.subarray(from, from + rowLength), y * rowLength);
  }
  return out;
}

function corrupt(label: string, error: unknown): MfnasError {
  const why = error instanceof Error ? error.message : String(error);
  return new MfnasError("invalid_input", `${label}: cannot decode image (${why})`, { path: label }, { cause: error });
}
