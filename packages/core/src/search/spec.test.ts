import { describe, expect, it } from "vitest";
import { parseSearchSpec } from "../index.ts";

describe("search spec", () => {
  it("fills defaults", () => {
    const spec = parseSearchSpec({ name: "n", budget: { generations: 2, population: 4 } });
    expect(spec).toEqual({
      name: "n",
      seed: 0,
      referenceInput: { height: 64, width: 64 },
      budget: { generations: 2, population: 4 },
    });
  });

  it("names every bad field", () => {
    expect(() =>
      parseSearchSpec({
        name: "",
        budget: { generations: 0, population: 4 },
        referenceInput: { height: 30, width: 64 },
        colour: 1,
      }),
    ).toThrow(/name: .*referenceInput\.height: .*multiple of 4.*budget\.generations: .*colour/s);
  });
});
