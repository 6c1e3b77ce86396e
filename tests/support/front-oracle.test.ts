import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { latencyFor, referenceFront } from "./front-oracle.ts";

interface P {
  id: string;
  quality: number;
  x: number;
}
const dominates = (a: P, b: P) => a.quality >= b.quality && a.x <= b.x && (a.quality > b.quality || a.x < b.x);

describe("referenceFront", () => {
  it("keeps one of each non-dominated pair of figures, cheapest first", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ quality: fc.integer({ min: 0, max: 20 }), x: fc.integer({ min: 0, max: 20 }) })),
        (figures) => {
          const points = figures.map((f, i) => ({ ...f, id: String(i).padStart(4, "0") }));
          const front = referenceFront(points);
          for (const f of front) expect(points.some((p) => dominates(p, f))).toBe(false);
          for (const p of points) {
            const onFront = front.some((f) => f.quality === p.quality && f.x === p.x);
            expect(onFront || points.some((o) => dominates(o, p))).toBe(true);
          }
          const keys = front.map((f) => `${f.quality}/${f.x}`);
          expect(new Set(keys).size).toBe(keys.length);
          for (let i = 1; i < front.length; i++) expect(front[i]!.x).toBeGreaterThan(front[i - 1]!.x);
        },
      ),
    );
  });

  it("labels the latency it used and never mixes silently", () => {
    expect(latencyFor({ measuredMs: 5, predictedMs: 7 }, "measured-else-predicted")).toEqual({
      ms: 5,
      basis: "measured",
    });
    expect(latencyFor({ measuredMs: null, predictedMs: 7 }, "measured-else-predicted")).toEqual({
      ms: 7,
      basis: "predicted",
    });
    expect(latencyFor({ measuredMs: null, predictedMs: 7 }, "measured")).toBeNull();
    expect(latencyFor({ measuredMs: 5, predictedMs: null }, "predicted")).toBeNull();
  });
});
