import { describe, expect, it } from "vitest";
import { MfnasError } from "../errors.ts";
import { createRng, type Rng } from "../random.ts";
import { hypervolume, hypervolume2d, hypervolume3d, hypervolumeWfg } from "./hypervolume.ts";

function randomPoints(rng: Rng, n: number, m: number, draw: () => number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: m }, draw));
}

/** Exact for integer points: counts the unit cells [c, c+1]^m below the reference that some point dominates. */
function gridVolume(points: readonly number[][], reference: readonly number[]): number {
  const m = reference.length;
  let cells = 0;
  const corner = new Array<number>(m).fill(0);
  const total = reference.reduce((a, r) => a * r, 1);
  for (let c = 0; c < total; c++) {
    let rest = c;
    for (let k = 0; k < m; k++) {
      corner[k] = rest % (reference[k] as number);
      rest = Math.floor(rest / (reference[k] as number));
    }
    if (points.some((p) => p.every((x, k) => x <= (corner[k] as number)))) cells++;
  }
  return cells;
}

describe("hypervolume", () => {
  it("matches hand-computed volumes", () => {
    expect(
      hypervolume(
        [
          [1, 3],
          [2, 2],
          [3, 1],
        ],
        [4, 4],
      ),
    ).toBe(6);
    // Two boxes 2x2x1 and 1x1x2 overlapping in a unit cube.
    expect(
      hypervolume(
        [
          [0, 0, 1],
          [1, 1, 0],
        ],
        [2, 2, 2],
      ),
    ).toBe(5);
    expect(hypervolume([[0, 0, 0, 0]], [1, 2, 3, 4])).toBe(24);
    // Two 4-D boxes: 2*2*2*1 + 1*1*1*2 - overlap 1*1*1*1.
    expect(
      hypervolume(
        [
          [0, 0, 0, 1],
          [1, 1, 1, 0],
        ],
        [2, 2, 2, 2],
      ),
    ).toBe(9);
    expect(hypervolume([[3], [1], [2]], [5])).toBe(4);
    expect(hypervolume([], [1, 1])).toBe(0);
  });

  it("gives nothing for points that do not strictly dominate the reference point", () => {
    expect(hypervolume([[5, 0]], [4, 4])).toBe(0);
    expect(hypervolume([[4, 0]], [4, 4])).toBe(0);
    expect(hypervolume([[1, 1, 4]], [4, 4, 4])).toBe(0);
    expect(
      hypervolume(
        [
          [1, 1],
          [0, 9],
        ],
        [4, 4],
      ),
    ).toBe(9);
  });

  it("is unchanged by dominated and repeated points", () => {
    const base = [
      [1, 3, 2],
      [2, 1, 3],
      [3, 2, 1],
    ];
    const noisy = [...base, [1, 3, 2], [2, 3, 3], [3, 3, 3], [2, 1, 3]];
    expect(hypervolume(noisy, [4, 4, 4])).toBe(hypervolume(base, [4, 4, 4]));
  });

  it("equals a cell count on integer grids in 2, 3 and 4 objectives", () => {
    const rng = createRng(11);
    for (const m of [2, 3, 4]) {
      const reference = new Array<number>(m).fill(10);
      for (let trial = 0; trial < 6; trial++) {
        // Coordinates up to 10 so that some points sit on the reference boundary and must add nothing.
        const points = randomPoints(rng, rng.int(1, 12), m, () => rng.int(0, 10));
        expect(hypervolume(points, reference), `m=${m} trial ${trial}`).toBe(gridVolume(points, reference));
      }
    }
  });

  it("agrees between the 2-D sweep, the 3-D sweep and WFG on random real points", () => {
    const rng = createRng(12);
    for (let trial = 0; trial < 20; trial++) {
      const p2 = randomPoints(rng, 30, 2, () => rng.nextFloat());
      const p3 = randomPoints(rng, 30, 3, () => rng.nextFloat());
      expect(hypervolume2d(p2, [1, 1])).toBeCloseTo(hypervolumeWfg(p2, [1, 1]), 12);
      expect(hypervolume3d(p3, [1, 1, 1])).toBeCloseTo(hypervolumeWfg(p3, [1, 1, 1]), 12);
    }
  });

  it("rejects non-finite coordinates and mismatched dimensions, naming the value", () => {
    const bad: [number[][], number[], RegExp][] = [
      [[[1, Number.NaN]], [2, 2], /points\[0\]\[1\] must be a finite number/],
      [[[1, 1]], [2, Number.POSITIVE_INFINITY], /reference\[1\] must be a finite number/],
      [[[1, 1, 1]], [2, 2], /points\[0\] has 3 objectives, the reference point 2/],
      [[], [], /reference must be a non-empty array/],
    ];
    for (const [points, reference, message] of bad) {
      const call = () => hypervolume(points, reference);
      expect(call).toThrow(MfnasError);
      expect(call).toThrow(message);
    }
  });
});
