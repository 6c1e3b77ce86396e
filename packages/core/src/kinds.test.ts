import { describe, expect, it } from "vitest";
import {
  EXPORT_FORMATS,
  RUNTIMES,
  SEARCH_STATUSES,
  SEARCH_STATUSES_FINAL,
  SEARCH_STATUSES_IN_FLIGHT,
  searchSpecSchema,
} from "./index.ts";

describe("lists of kinds", () => {
  it("has no repeats, and every search status is either in flight or final", () => {
    for (const list of [EXPORT_FORMATS, RUNTIMES, SEARCH_STATUSES]) expect(new Set(list).size).toBe(list.length);
    expect([...SEARCH_STATUSES_IN_FLIGHT, ...SEARCH_STATUSES_FINAL].sort()).toEqual([...SEARCH_STATUSES].sort());
  });

  it("is what a spec's export formats accept, and nothing else", () => {
    const base = { name: "n", budget: { generations: 1, population: 2 } };
    for (const format of EXPORT_FORMATS) {
      expect(searchSpecSchema.safeParse({ ...base, final: { exportFormats: [format] } }).success).toBe(true);
    }
    expect(searchSpecSchema.safeParse({ ...base, final: { exportFormats: ["coreml"] } }).success).toBe(false);
  });
});
