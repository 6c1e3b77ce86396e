import { describe, expect, it } from "vitest";
import { canonicalJson } from "./index.ts";

describe("canonicalJson", () => {
  it("gives the same text for the same value whatever the key order, at every depth", () => {
    const a = { space: { scales: [4], depth: { min: 1, max: 2 } }, seed: 3, skipped: undefined };
    const b = { seed: 3, space: { depth: { max: 2, min: 1 }, scales: [4] } };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"seed":3,"space":{"depth":{"max":2,"min":1},"scales":[4]}}');
    expect(canonicalJson({ list: [2, 1] })).not.toBe(canonicalJson({ list: [1, 2] }));
  });
});
