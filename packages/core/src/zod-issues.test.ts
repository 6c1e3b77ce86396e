import { z } from "zod";
import { describe, expect, it } from "vitest";
import { issueMessages, issuePath } from "./zod-issues.ts";

const schema = z.strictObject({ a: z.strictObject({ b: z.array(z.int()) }), c: z.string() });

function errorOf(value: unknown): z.ZodError {
  const result = schema.safeParse(value);
  if (result.success) throw new Error("expected a zod error");
  return result.error;
}

describe("zod issues as field messages", () => {
  it("names nested fields by their dotted path, array indexes included", () => {
    const messages = issueMessages(errorOf({ a: { b: [1, "x"] }, c: 2 }), "(value)");
    expect(messages).toHaveLength(2);
    expect(messages[0]).toMatch(/^a\.b\.1: /);
    expect(messages[1]).toMatch(/^c: /);
  });

  it("names the whole value when the issue is about it, and puts a prefix in front of every path", () => {
    expect(issueMessages(errorOf(7), "(spec)")).toEqual([expect.stringMatching(/^\(spec\): /)]);
    expect(issueMessages(errorOf({ a: { b: [] }, c: 1 }), "(x)", "algorithm")).toEqual([
      expect.stringMatching(/^algorithm\.c: /),
    ]);
    expect(issuePath(errorOf(null).issues[0] as z.core.$ZodIssue, "(environment)")).toBe("(environment)");
  });
});
