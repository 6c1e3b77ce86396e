import { describe, expect, it } from "vitest";
import { confidenceReached, summarize } from "./statistics.ts";

describe("statistics", () => {
  it("summarizes: median, mean, sample std, p90, 95% CI half-width (Student's t)", () => {
    const s = summarize([10, 12, 11, 13, 14]);
    expect(s.median).toBe(12);
    expect(s.mean).toBe(12);
    expect(s.std).toBeCloseTo(Math.sqrt(2.5), 12);
    expect(s.p90).toBeCloseTo(13.6, 12);
    expect(s.ciHalfWidth).toBeCloseTo((2.776 * Math.sqrt(2.5)) / Math.sqrt(5), 12);
    expect(summarize([5]).ciHalfWidth).toBe(Number.POSITIVE_INFINITY);
  });

  it("repeats until the relative CI half-width meets the target, at least min and at most max times", () => {
    expect(confidenceReached([10, 10.01])).toEqual({ done: false, reason: "more-needed" });
    expect(confidenceReached([10, 10.01, 10.02])).toEqual({ done: true, reason: "confident" });
    const noisy = [10, 20, 5, 30, 1, 40, 2, 35, 8, 25];
    expect(confidenceReached(noisy.slice(0, 9)).done).toBe(false);
    expect(confidenceReached(noisy)).toEqual({ done: true, reason: "max-repetitions" });
  });
});
