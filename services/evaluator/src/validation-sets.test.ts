import { describe, expect, it } from "vitest";
import { ValidationSets } from "./validation-sets.ts";

describe("validation sets", () => {
  it("reads the shipped real photographs by their dataset name, with no validation root configured", async () => {
    const sets = new ValidationSets(undefined);
    expect(() => sets.check("photos-val")).not.toThrow();
    const set = await sets.get("photos-val", 4);
    expect(set.images.map((i) => i.name).sort()).toEqual(["chelsea.png", "coffee.png", "rocket.jpg"]);
    for (const { lr, hr } of set.images) {
      expect(lr.height % 4).toBe(0);
      expect(lr.width % 4).toBe(0);
      expect([hr.height, hr.width]).toEqual([lr.height * 4, lr.width * 4]);
      expect(lr.height * lr.width).toBeGreaterThan(64 * 64);
    }
  });

  it("still needs a validation root for any other name", () => {
    expect(() => new ValidationSets(undefined).check("Set14")).toThrow(/EVALUATOR_VALIDATION_ROOT/);
  });
});
