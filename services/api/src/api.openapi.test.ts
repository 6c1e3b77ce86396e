import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "../../../tests/support/api.ts";

// The OpenAPI document against the API it describes: every operation is named and says the scope it needs, and
// that scope is the one the API enforces; bodies list every media type they are accepted as.

interface Operation {
  operationId?: string;
  description?: string;
  "x-required-scope"?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, unknown> };
}
type Document = { paths: Record<string, Record<string, Operation>> };

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

/** A value each path parameter accepts, so that a request reaches authentication and validation. */
const PARAM_VALUES: Record<string, string> = {
  id: randomUUID(),
  candidateId: randomUUID(),
  sha256: "a".repeat(64),
  hash: "b".repeat(64),
  deviceClass: "pixel-7",
  serial: "emulator-5554",
  index: "0",
  target: "pixel-7",
};

function concrete(path: string): string {
  return path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = PARAM_VALUES[name];
    if (value === undefined) throw new Error(`no test value for path parameter ${name} of ${path}`);
    return value;
  });
}

describe("OpenAPI document", () => {
  let t: TestApi;
  let doc: Document;
  const operations: Array<{ method: string; path: string; op: Operation }> = [];
  beforeAll(async () => {
    t = await startTestApi({ rateLimit: false });
    doc = (await t.app.inject({ url: "/v1/openapi.json" })).json<Document>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = item[method];
        if (op) operations.push({ method, path, op });
      }
    }
  });
  afterAll(() => t.close());

  it("names every operation once and states the scope it requires", () => {
    expect(operations.length).toBeGreaterThan(40);
    const ids = operations.map(({ op }) => op.operationId);
    for (const { method, path, op } of operations) {
      expect(op.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z]+$/);
      expect(["read", "submit", "admin", "agent", "read-or-agent"], `${method} ${path}`).toContain(
        op["x-required-scope"],
      );
      expect(op.description, `${method} ${path}`).toContain(`Requires scope: ${String(op["x-required-scope"])}`);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("lists JSON and YAML for every request body, and raw bytes for uploads", () => {
    const upload = operations.find(({ op }) => op.operationId === "uploadArtifact");
    expect(Object.keys(upload?.op.requestBody?.content ?? {})).toEqual(["application/octet-stream"]);
    const withBody = operations.filter(({ op }) => op.requestBody && op !== upload?.op);
    expect(withBody.map(({ op }) => op.operationId)).toEqual(expect.arrayContaining(["submitSearch", "trainSupernet"]));
    for (const { method, path, op } of withBody) {
      expect(Object.keys(op.requestBody?.content ?? {}), `${method} ${path}`).toEqual(
        expect.arrayContaining(["application/json", "application/yaml"]),
      );
    }
  });

  it("enforces the documented scope: the scope below it is refused, the scope itself is not", async () => {
    const below: Record<string, keyof TestApi["auth"] | null> = {
      read: null,
      "read-or-agent": null,
      submit: "read",
      admin: "submit",
      agent: "admin",
    };
    const allowed: Record<string, keyof TestApi["auth"]> = {
      read: "read",
      "read-or-agent": "agent",
      submit: "submit",
      admin: "admin",
      agent: "agent",
    };
    for (const { method, path, op } of operations) {
      const scope = String(op["x-required-scope"]);
      const url = concrete(path);
      const lower = below[scope];
      const refused = await t.app.inject({
        method: method.toUpperCase() as "GET",
        url,
        headers: lower === null || lower === undefined ? {} : t.auth[lower],
      });
      expect(refused.statusCode, `${method} ${path} without ${scope}`).toBe(lower === null ? 401 : 403);
      const key = allowed[scope];
      if (key === undefined) throw new Error(`no key for scope ${scope}`);
      const accepted = await t.app.inject({ method: method.toUpperCase() as "GET", url, headers: t.auth[key] });
      expect(accepted.statusCode, `${method} ${path} with ${scope}`).not.toBe(401);
      if (accepted.statusCode === 403) expect(accepted.body).not.toContain("lacks the");
    }
  });

  it("answers an unknown method on a known path with 405 and Allow, and a text/plain body with 415", async () => {
    const wrong = await t.app.inject({ method: "PATCH", url: `/v1/searches/${randomUUID()}`, headers: t.auth.admin });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers["content-type"]).toContain("application/problem+json");
    expect(wrong.headers["allow"]).toBe("GET, HEAD");
    expect(wrong.json()).toMatchObject({ status: 405, code: "method_not_allowed" });

    const plain = await t.app.inject({
      method: "POST",
      url: "/v1/searches",
      headers: { ...t.auth.submit, "content-type": "text/plain" },
      payload: "name: plain",
    });
    expect(plain.statusCode, plain.body).toBe(415);
    expect(plain.headers["content-type"]).toContain("application/problem+json");
    expect(plain.json()).toMatchObject({ status: 415, code: "unsupported_media_type" });
    expect(plain.json<{ detail: string }>().detail).toContain("text/plain");
  });
});
