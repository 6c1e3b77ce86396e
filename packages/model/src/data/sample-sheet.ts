/**
 * Side-by-side sample crops of super-resolved images (bicubic / SubGenerator / teacher / HR, as SR papers show them):
 * the window to show is picked by content, the panels are laid out left to right with a white gap.
 */
import { MfnasError } from "@mfnas/core";
import { createImage, cropImage, type RgbImage } from "./image-io.ts";

/** A window of an LR image, in LR pixels (the HR window is it times the scale). */
export interface LrWindow {
  readonly top: number;
  readonly left: number;
  readonly side: number;
}

/** The image with every value clipped to [0, 1] in place (what a displayed or scored SR image holds); returns it. */
export function clipImage01(image: RgbImage): RgbImage {
  const data = image.data;
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    data[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return image;
}

/**
 * The square LR window of `side` pixels (or the image's shorter side, if smaller) whose HR content has the most
 * detail: the largest sum of absolute luma differences between neighbours, over windows on a grid of half the side.
 * Flat sky shows nothing of an upscaler; fur, text and edges do. Deterministic: ties keep the first window.
 */
export function pickSampleWindow(hr: RgbImage, scale: number, side: number): LrWindow {
  const lrHeight = Math.floor(hr.height / scale);
  const lrWidth = Math.floor(hr.width / scale);
  if (lrHeight < 1 || lrWidth < 1) {
    throw new MfnasError("invalid_input", `a ${hr.height}x${hr.width} image is smaller than the scale ${scale}`);
  }
  const s = Math.min(side, lrHeight, lrWidth);
  const step = Math.max(1, Math.floor(s / 2));
  // Detail per HR pixel, then summed over each candidate window through an integral image.
  const w = hr.width;
  const integral = new Float64Array((hr.height + 1) * (w + 1));
  const luma = (i: number) =>
    0.299 * (hr.data[i * 3] as number) +
    0.587 * (hr.data[i * 3 + 1] as number) +
    0.114 * (hr.data[i * 3 + 2] as number);
  for (let y = 0; y < hr.height; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const here = luma(i);
      const detail =
        (x + 1 < w ? Math.abs(luma(i + 1) - here) : 0) + (y + 1 < hr.height ? Math.abs(luma(i + w) - here) : 0);
      row += detail;
      integral[(y + 1) * (w + 1) + x + 1] = (integral[y * (w + 1) + x + 1] as number) + row;
    }
  }
  const sum = (top: number, left: number, size: number) => {
    const at = (y: number, x: number) => integral[y * (w + 1) + x] as number;
    return at(top + size, left + size) - at(top, left + size) - at(top + size, left) + at(top, left);
  };
  let best = { top: 0, left: 0, score: -1 };
  for (let top = 0; top + s <= lrHeight; top += step) {
    for (let left = 0; left + s <= lrWidth; left += step) {
      const score = sum(top * scale, left * scale, s * scale);
      if (score > best.score) best = { top, left, score };
    }
  }
  return { top: best.top, left: best.left, side: s };
}

/** The HR-sized crop of an SR or HR image for an LR window. */
export function cropHrWindow(image: RgbImage, window: LrWindow, scale: number): RgbImage {
  return cropImage(image, window.top * scale, window.left * scale, window.side * scale, window.side * scale);
}

/** The panels left to right, `gap` white pixels apart; every panel must have the first one's height. */
export function sideBySide(panels: readonly RgbImage[], gap = 4): RgbImage {
  const first = panels[0];
  if (!first) throw new MfnasError("invalid_input", "a sample sheet needs at least one panel");
  const bad = panels.find((p) => p.height !== first.height);
  if (bad) {
    throw new MfnasError("invalid_input", `sample panels differ in height: ${bad.height} and ${first.height}`);
  }
  const width = panels.reduce((sum, p) => sum + p.width, 0) + gap * (panels.length - 1);
  const sheet = createImage(first.height, width);
  sheet.data.fill(1);
  let left = 0;
  for (const panel of panels) {
    const rowLength = panel.width * 3;
    for (let y = 0; y < panel.height; y++) {
      sheet.data.set(panel.data.subarray(y * rowLength, (y + 1) * rowLength), (y * width + left) * 3);
    }
    left += panel.width + gap;
  }
  return sheet;
}
