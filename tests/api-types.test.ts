import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { API_TYPES_FILE, apiTypesSource, renderApiTypes, type OpenApiDocument } from "../scripts/api-types/render.ts";
import { startTestApi, type TestApi } from "./support/api.ts";
import { ROOT } from "./support/database.ts";

// The types the CLI and the dashboard use are generated from the OpenAPI document the API serves; the checked-in
// module must be what the generator makes of today's document (`npm run api-types` rewrites it).

describe("generated API types", () => {
  let t: TestApi;
  let document: OpenApiDocument;
  beforeAll(async () => {
    t = await startTestApi({ rateLimit: false });
    document = (await t.app.inject({ url: "/v1/openapi.json" })).json<OpenApiDocument>();
  });
  afterAll(() => t.close());

  it("are current with the API's OpenAPI document", async () => {
    const committed = await readFile(path.join(ROOT, API_TYPES_FILE), "utf8");
    expect(committed, "run `npm run api-types` and commit the result").toBe(await apiTypesSource(document, ROOT));
  });

  it("hold every operation by its operationId, with its path and answer", () => {
    const text = renderApiTypes(document);
    for (const [route, item] of Object.entries(document.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const id = (op as { operationId?: string }).operationId;
        expect(text, `${method} ${route}`).toContain(
          `${String(id)}: {\n    method: "${method}";\n    path: "${route}";`,
        );
      }
    }
    expect(text).toContain('status: "queued" | "running" | "succeeded" | "failed" | "cancelled";');
  });
});
