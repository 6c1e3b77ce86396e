import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify as toYaml } from "yaml";
import { startTestApi, type TestApi } from "../../../tests/support/api.ts";

// Every operation of the OpenAPI document, every text field it declares (path and query parameters, body
// properties at any depth) and every text of a valid example body, each replaced by hostile text: never a 5xx;
// text PostgreSQL cannot store and bodies nested too deep are a 400 problem naming the field.

interface Parameter {
  in: "path" | "query" | "header";
  name: string;
  schema?: Schema;
}
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

const SPEC = {
  name: "fuzz",
  seed: 3,
  targets: [{ deviceClass: "pixel-7", maxLatencyMs: 50 }],
  budget: { generations: 2, population: 4 },
};
const TRAINING = {
  teacher: { weights: "b".repeat(64), blocks: 1, channels: 8, growth: 4 },
  data: { train: "bundled", val: "bundled" },
  steps: 10,
  batch: 2,
  patchSize: 32,
};

/** A valid body per operation that takes one (the fuzzed field is then the only thing wrong). */
const EXAMPLE_BODIES: Record<string, unknown> = {
  "POST /v1/supernets": { name: "s", trainingConfig: TRAINING },
  "POST /v1/searches": SPEC,
  // Raw bytes (a tfjs shard: any whole number of 32-bit values); only its query parameters have fields.
  "POST /v1/artifacts": new Uint8Array(16),
  "POST /v1/searches/{id}/clone": { name: "copy", seed: 4 },
  "POST /v1/devices/{id}/quarantine": { reason: "flaky usb" },
  "PUT /v1/agent/devices/{serial}": {
    deviceClass: "pixel-7",
    model: "Pixel 7",
    manufacturer: "Google",
    soc: "Tensor G2",
    abi: "arm64-v8a",
    androidVersion: "14",
    agentHost: "lab-1",
    state: "online",
    health: { battery: { level: 80, status: "charging" }, thermal: [{ zone: "cpu", celsius: 35 }] },
  },
  "POST /v1/schedules": { name: "nightly", cron: "0 3 * * *", timezone: "UTC", searchSpec: SPEC },
  "PATCH /v1/schedules/{id}": { name: "renamed", cron: "5 4 * * 1", timezone: "Asia/Tokyo", enabled: true },
  "POST /v1/api-keys": { name: "k", scopes: ["read"] },
  "POST /v1/predictors/{deviceClass}/profile": {
    runtimeConfig: { runtime: "tflite", threads: 4, delegate: "xnnpack", precision: "fp32", warmupRuns: 5, runs: 50 },
    inputHeight: 64,
    inputWidth: 64,
    statistic: "min",
    space: { upsamplers: ["pixel-shuffle"], depth: { min: 1, max: 2 } },
  },
};

function nested(depth: number): unknown {
  let value: unknown = "leaf";
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

/** Hostile inputs; `unstorable` ones must be refused with a 400 naming the field. */
const HOSTILE: Array<{ kind: string; value: unknown; unstorable: boolean; bodyOnly?: boolean }> = [
  { kind: "nul", value: "a\u0000b", unstorable: true },
  { kind: "only-nul", value: "\u0000", unstorable: true },
  { kind: "lone-high-surrogate", value: "x\uD800y", unstorable: true },
  { kind: "lone-low-surrogate", value: "\uDC00", unstorable: true },
  { kind: "long", value: "x".repeat(100_000), unstorable: false, bodyOnly: true },
  { kind: "long-query", value: "y".repeat(4_000), unstorable: false },
  { kind: "unicode", value: "名前 🚀 e\u0301 \u202Ertl\u202C \u200B ﷽", unstorable: false },
  { kind: "deep", value: nested(3_000), unstorable: true, bodyOnly: true },
  {
    kind: "deep-array",
    value: JSON.parse("[".repeat(3_000) + "]".repeat(3_000)) as unknown,
    unstorable: true,
    bodyOnly: true,
  },
];

/**
 * Percent-encodes text for a URL; a lone surrogate (which encodeURIComponent refuses) as the three bytes a
 * careless client sends for it (WTF-8), which are not valid UTF-8.
 */
function encodeText(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join("");
    } else out += encodeURIComponent(char);
  }
  return out;
}

const NUL = HOSTILE[0] as (typeof HOSTILE)[number];

function typesOf(schema: Schema): string[] {
  const type = schema.type;
  return type === undefined ? [] : Array.isArray(type) ? type : [type];
}

/** Paths of every text-typed property a body schema declares (array items as index 0). */
function textPaths(schema: Schema, path: string[] = [], out: string[][] = [], depth = 0): string[][] {
  if (depth > 12) return out;
  for (const alternative of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])]) {
    textPaths(alternative, path, out, depth + 1);
  }
  const types = typesOf(schema);
  if (types.includes("string") && path.length > 0) out.push(path);
  for (const [key, child] of Object.entries(schema.properties ?? {})) textPaths(child, [...path, key], out, depth + 1);
  if (schema.items) textPaths(schema.items, [...path, "0"], out, depth + 1);
  return out;
}

/** Paths of every text in a value. */
function textLeaves(value: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (typeof value === "string" && path.length > 0) out.push(path);
  else if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) textLeaves(child, [...path, key], out);
  }
  return out;
}

/** A copy of `base` (an object) with `value` at `path`, creating objects and arrays on the way. */
function withValue(base: unknown, path: string[], value: unknown): unknown {
  const copy = structuredClone(typeof base === "object" && base !== null ? base : {}) as Record<string, unknown>;
  let target: Record<string, unknown> = copy;
  path.slice(0, -1).forEach((key, i) => {
    const nextIsIndex = /^[0-9]+$/.test(path[i + 1] ?? "");
    if (typeof target[key] !== "object" || target[key] === null) target[key] = nextIsIndex ? [] : {};
    target = target[key] as Record<string, unknown>;
  });
  target[path[path.length - 1] ?? ""] = value;
  return copy;
}

describe("hostile text in every field of every operation of the OpenAPI document", () => {
  let t: TestApi;
  let document: { paths: Record<string, Record<string, Operation>> };
  const ids: Record<string, string> = {};
  const tally = { requests: 0, operations: 0, fields: 0, byStatus: new Map<number, number>() };

  beforeAll(async () => {
    t = await startTestApi({ rateLimit: false });
    const db = t.database.db;
    const supernet = await db.supernet.create({
      data: { name: "sn", searchSpace: {}, trainingConfig: {}, status: "ready" },
    });
    const search = await db.search.create({ data: { name: "done", spec: SPEC, seed: 1, status: "succeeded" } });
    const device = await db.device.create({ data: { serial: "fz-1", model: "m", deviceClass: "pixel-7" } });
    const schedule = await t.app.inject({
      method: "POST",
      url: "/v1/schedules",
      headers: t.auth.admin,
      payload: { name: "base", cron: "0 3 * * *", searchSpec: SPEC },
    });
    const key = await t.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: t.auth.admin,
      payload: { name: "victim", scopes: ["read"] },
    });
    Object.assign(ids, {
      supernets: supernet.id,
      searches: search.id,
      devices: device.id,
      schedules: schedule.json<{ id: string }>().id,
      "api-keys": key.json<{ id: string }>().id,
    });
    document = (await t.app.inject({ url: "/v1/openapi.json" })).json();
  });
  afterAll(async () => {
    const statuses = [...tally.byStatus.entries()].sort(([a], [b]) => a - b);
    console.log(
      `openapi fuzz: ${tally.requests} requests over ${tally.operations} operations and ${tally.fields} fields; ` +
        `statuses ${statuses.map(([s, n]) => `${s}x${n}`).join(" ")}`,
    );
    await t.close();
  });

  /** A concrete URL for a path template: real ids where they exist, so only the fuzzed field is wrong. */
  function concrete(template: string, override?: { name: string; value: string }): string {
    return template.replace(/\{([^}]+)\}/g, (_match, name: string) => {
      if (override?.name === name) return encodeText(override.value);
      const resource = template.split("/")[2] ?? "";
      switch (name) {
        case "id":
          return ids[resource] ?? "00000000-0000-4000-8000-000000000000";
        case "candidateId":
          return "00000000-0000-4000-8000-000000000001";
        case "index":
          return "0";
        case "target":
        case "deviceClass":
          return "pixel-7";
        case "serial":
          return "fz-2";
        case "sha256":
        case "hash":
          return "a".repeat(64);
        default:
          return "x";
      }
    });
  }

  async function send(
    method: string,
    url: string,
    body: unknown,
    contentType = "application/json",
  ): Promise<{ status: number; fields: string[]; type: string; text: string }> {
    const agent = url.startsWith("/v1/agent/");
    const payload =
      body === undefined
        ? undefined
        : body instanceof Uint8Array
          ? Buffer.from(body)
          : contentType === "application/json"
            ? JSON.stringify(body)
            : toYaml(body);
    const response = await t.app.inject({
      method: method as "GET",
      url,
      headers: {
        ...(agent ? t.auth.agent : t.auth.admin),
        ...(payload !== undefined
          ? { "content-type": body instanceof Uint8Array ? "application/octet-stream" : contentType }
          : {}),
      },
      ...(payload !== undefined ? { payload } : {}),
    });
    tally.requests++;
    tally.byStatus.set(response.statusCode, (tally.byStatus.get(response.statusCode) ?? 0) + 1);
    const type = String(response.headers["content-type"] ?? "");
    const fields = type.includes("problem+json") ? (response.json<{ fields?: string[] }>().fields ?? []) : [];
    return { status: response.statusCode, fields, type, text: response.body.slice(0, 400) };
  }

  function check(
    what: string,
    result: Awaited<ReturnType<typeof send>>,
    hostile: (typeof HOSTILE)[number],
    field: string,
  ): void {
    expect(result.status, `${what}: ${result.text}`).toBeLessThan(500);
    if (result.status >= 400) expect(result.type, what).toContain("application/problem+json");
    if (hostile.unstorable) {
      expect(result.status, `${what}: ${result.text}`).toBe(400);
      expect(
        // A path that is not UTF-8 is refused before routing, when no parameter has a name yet.
        result.fields.some((f) => f.startsWith(field) || (field.startsWith("params.") && f.startsWith("path:"))),
        `${what} names ${field}: ${JSON.stringify(result.fields)}`,
      ).toBe(true);
    }
  }

  it("never answers 5xx, and refuses unstorable text and deep bodies naming the field", async () => {
    for (const [template, operations] of Object.entries(document.paths)) {
      for (const [lowerMethod, operation] of Object.entries(operations)) {
        const method = lowerMethod.toUpperCase();
        const name = `${method} ${template}`;
        tally.operations++;
        const example = EXAMPLE_BODIES[name];
        const bodySchema = Object.values(operation.requestBody?.content ?? {})[0]?.schema;
        if (bodySchema && example === undefined) throw new Error(`no example body for ${name}`);

        // Path and query parameters, plus a query parameter no operation declares.
        const parameters = [...(operation.parameters ?? []), { in: "query" as const, name: "undeclared" }];
        for (const parameter of parameters) {
          if (parameter.in === "header") continue;
          tally.fields++;
          for (const hostile of HOSTILE.filter((h) => !h.bodyOnly && typeof h.value === "string")) {
            const value = hostile.value as string;
            const url =
              parameter.in === "path"
                ? concrete(template, { name: parameter.name, value })
                : `${concrete(template)}?${parameter.name}=${encodeText(value)}`;
            const part = parameter.in === "path" ? "params" : "querystring";
            const result = await send(method, url, example);
            check(`${name} ${part}.${parameter.name} ${hostile.kind}`, result, hostile, `${part}.${parameter.name}`);
          }
        }

        if (!bodySchema || example instanceof Uint8Array) continue;
        const seen = new Set<string>();
        const paths = [...textPaths(bodySchema), ...textLeaves(example)].filter((p) => {
          const key = p.join(".");
          return !seen.has(key) && seen.add(key);
        });
        for (const path of paths) {
          tally.fields++;
          const field = `body.${path.join(".")}`;
          for (const hostile of HOSTILE) {
            const body = withValue(example, path, hostile.value);
            check(`${name} ${field} ${hostile.kind}`, await send(method, concrete(template), body), hostile, field);
          }
          // The same document as YAML (a NUL written as YAML's "\0" escape).
          const yaml = await send(method, concrete(template), withValue(example, path, "a\u0000b"), "application/yaml");
          check(`${name} ${field} nul (yaml)`, yaml, NUL, field);
        }
        // A property name that cannot be stored.
        const key = await send(method, concrete(template), { ...(example as object), "k\u0000": 1 });
        check(`${name} property name with NUL`, key, NUL, 'body."k');
      }
    }
    expect(tally.operations).toBeGreaterThanOrEqual(40);
  });
});
