import { describe, expect, it } from "vitest";
import { renderFrontSvg, renderTable, ticks } from "../index.ts";

describe("reports", () => {
  it("renders a padded table with numbers right-aligned", () => {
    const text = renderTable(
      ["id", "psnr", "ms"],
      [
        ["a1", 27.123, 12],
        ["b22", 25.5, 140.25],
      ],
    );
    expect(text.split("\n")).toEqual([
      "id    psnr     ms",
      "---  -----  -----",
      "a1   27.12     12",
      "b22  25.50  140.3",
    ]);
  });

  it("draws every point, the front's staircase, the limit line and escapes labels", () => {
    const svg = renderFrontSvg(
      [
        { x: 10, y: 25, front: true, label: "a <b>" },
        { x: 20, y: 27, front: true },
        { x: 30, y: 26, front: false },
      ],
      { title: "front", xLabel: "latency (ms)", yLabel: "PSNR (dB)", xLimit: 25 },
    );
    expect(svg.match(/<circle/g)).toHaveLength(3);
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(svg).toContain("limit 25");
    expect(svg).toContain("a &#60;b&#62;");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(() =>
      renderFrontSvg([{ x: Number.NaN, y: 1, front: false }], { title: "", xLabel: "", yLabel: "" }),
    ).toThrow(/no point with finite coordinates/);
  });

  it("picks round ticks", () => {
    expect(ticks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(ticks(21.3, 27.9)).toEqual([22, 24, 26]);
    expect(ticks(0.31, 0.38)).toEqual([0.32, 0.34, 0.36, 0.38]);
  });
});
