import { describe, expect, it } from "vitest";
import { createImage } from "./image-io.ts";
import { clipImage01, cropHrWindow, pickSampleWindow, sideBySide } from "./sample-sheet.ts";

describe("sample sheets", () => {
  it("picks the window with the most detail, on the LR grid", () => {
    // 96x160 HR, flat grey except a checkerboard whose LR footprint is rows 8-15, columns 24-31.
    const hr = createImage(96, 160).data.fill(0.5);
    const image = createImage(96, 160, hr);
    for (let y = 32; y < 64; y++) {
      for (let x = 96; x < 128; x++) {
        const v = (x + y) % 2 === 0 ? 0 : 1;
        for (let c = 0; c < 3; c++) image.data[(y * 160 + x) * 3 + c] = v;
      }
    }
    const window = pickSampleWindow(image, 4, 8);
    expect(window).toEqual({ top: 8, left: 24, side: 8 });
    // A window larger than the image shrinks to its shorter LR side.
    expect(pickSampleWindow(image, 4, 64).side).toBe(24);
    // A flat image keeps the first window.
    expect(pickSampleWindow(createImage(64, 64), 4, 8)).toEqual({ top: 0, left: 0, side: 8 });
    const crop = cropHrWindow(image, window, 4);
    expect([crop.height, crop.width]).toEqual([32, 32]);
    expect(crop.data[0]).toBe(0);
    expect(() => pickSampleWindow(createImage(3, 3), 4, 8)).toThrow(/smaller than the scale/);
  });

  it("lays panels out left to right with white gaps, and refuses panels of different heights", () => {
    const a = createImage(2, 3, new Float32Array(18).fill(0.25));
    const b = createImage(2, 1, new Float32Array(6).fill(0.75));
    const sheet = sideBySide([a, b], 2);
    expect([sheet.height, sheet.width]).toEqual([2, 6]);
    const at = (y: number, x: number) => sheet.data[(y * 6 + x) * 3];
    expect([at(1, 0), at(1, 2), at(1, 3), at(1, 4), at(1, 5)]).toEqual([0.25, 0.25, 1, 1, 0.75]);
    expect(() => sideBySide([a, createImage(3, 1)])).toThrow(/differ in height: 3 and 2/);
    expect(() => sideBySide([])).toThrow(/at least one panel/);
  });

  it("clips values to [0, 1] in place", () => {
    const image = createImage(1, 1, new Float32Array([-0.5, 0.5, 1.5]));
    expect(Array.from(clipImage01(image).data)).toEqual([0, 0.5, 1]);
  });
});
