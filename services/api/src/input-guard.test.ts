import { describe, expect, it } from "vitest";
import { MAX_BODY_DEPTH, inputProblems, unstorableText } from "./input-guard.ts";

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe("input guard", () => {
  it("tells storable text from NUL and lone surrogates", () => {
    expect(unstorableText("名前 🚀 e\u0301")).toBeUndefined();
    expect(unstorableText("a\u0000b")).toContain("NUL");
    expect(unstorableText("a\uD800")).toContain("surrogate");
    expect(unstorableText("\uDC00z")).toContain("surrogate");
    expect(unstorableText("\uD83D\uDE80")).toBeUndefined();
  });

  it("names every bad value and property name by its path", () => {
    const problems = inputProblems("body", {
      name: "ok",
      targets: [{ deviceClass: "p" }, { deviceClass: "p\u0000" }],
      health: { "zone\u0000": 1, "odd key": "\uD800" },
    });
    expect(problems).toEqual([
      "body.targets.1.deviceClass: contains a NUL character (U+0000), which cannot be stored",
      'body.health."zone\\u0000": the property name contains a NUL character (U+0000), which cannot be stored',
      'body.health."odd key": contains a lone UTF-16 surrogate (not valid Unicode)',
    ]);
  });

  it("accepts bodies up to the depth limit and refuses deeper ones without recursing", () => {
    expect(inputProblems("body", nested(MAX_BODY_DEPTH))).toEqual([]);
    expect(inputProblems("body", nested(MAX_BODY_DEPTH + 1))).toEqual([
      `body${".a".repeat(MAX_BODY_DEPTH)}: nested deeper than ${MAX_BODY_DEPTH} levels`,
    ]);
    expect(inputProblems("body", nested(200_000))).toHaveLength(1);
  });
});
