import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { latencyFor, paretoFront } from "./front.ts";

interface P {
  q: number;
  l: number;
}
const dominates = (a: P, b: P) => a.q >= b.q && a.l <= b.l && (a.q > b.q || a.l < b.l);

describe("paretoFront", () => {
  it("keeps exactly the non-dominated points (up to duplicates)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ q: fc.integer({ min: 0, max: 20 }), l: fc.integer({ min: 0, max: 20 }) })),
        (points) => {
          const front = paretoFront(
            points,
            (p) => p.q,
            (p) => p.l,
          );
          for (const f of front) expect(points.some((p) => dominates(p, f))).toBe(false);
          for (const p of points) {
            const onFront = front.some((f) => f.q === p.q && f.l === p.l);
            expect(onFront || points.some((o) => dominates(o, p))).toBe(true);
          }
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
