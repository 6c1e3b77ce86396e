import { describe, expect, it } from "vitest";
import { redactUrl } from "./log-redaction.ts";

describe("redactUrl", () => {
  const key = `mfnas_0123456789ab_${"A".repeat(43)}`;
  it("keeps an API key's public id only, wherever it appears", () => {
    expect(redactUrl(`/v1/x/${key}`)).toBe("/v1/x/mfnas_0123456789ab_***");
    expect(redactUrl(`/v1/x?q=${key}`)).toBe("/v1/x?q=mfnas_0123456789ab_***");
  });
  it("hides the values of credential-named query parameters and keeps the others", () => {
    expect(redactUrl("/v1/searches?status=running&access_token=abc&api%5Fkey=def&limit=5")).toBe(
      "/v1/searches?status=running&access_token=***&api%5Fkey=***&limit=5",
    );
    expect(redactUrl("/v1/searches?%E0%A4%A=1&token")).toBe("/v1/searches?%E0%A4%A=1&token");
  });
});
