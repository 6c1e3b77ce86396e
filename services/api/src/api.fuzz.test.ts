import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QUEUES } from "@mfnas/core";
import { stringify as toYaml } from "yaml";
import { startTestApi, type TestApi } from "../../../tests/support/api.ts";

const SPEC = {
  name: "fuzz",
  seed: 3,
  targets: [{ deviceClass: "pixel-7", maxLatencyMs: 50 }],
  budget: { generations: 2, population: 4 },
};
const CONFIG = {
  teacher: { weights: "b".repeat(64), blocks: 1, channels: 8, growth: 4 },
  data: { train: "bundled", val: "bundled" },
  steps: 10,
  batch: 2,
  patchSize: 32,
};

/** A valid document with one field (at any depth) replaced by an arbitrary value, or removed. */
function mutated(base: Record<string, unknown>): fc.Arbitrary<unknown> {
  const paths: string[][] = [];
  const walk = (value: unknown, path: string[]) => {
    paths.push(path);
    if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
    }
  };
  walk(base, []);
  return fc
    .record({
      path: fc.constantFrom(...paths.filter((p) => p.length > 0)),
      value: fc.option(fc.jsonValue(), { nil: undefined }),
    })
    .map(({ path, value }) => {
      const copy = structuredClone(base);
      let target: Record<string, unknown> = copy;
      for (const key of path.slice(0, -1)) target = target[key] as Record<string, unknown>;
      const last = path[path.length - 1] ?? "";
      if (value === undefined) delete target[last];
      else target[last] = value;
      return copy;
    });
}

const anyBody = fc.oneof(fc.jsonValue(), fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue()));

describe("fuzzed requests: never a 500, never a partial write", () => {
  let t: TestApi;
  let scheduleId: string;
  let deviceId: string;
  beforeAll(async () => {
    t = await startTestApi({ rateLimit: false });
    const schedule = await t.app.inject({
      method: "POST",
      url: "/v1/schedules",
      headers: t.auth.admin,
      payload: { name: "base", cron: "0 3 * * *", searchSpec: SPEC },
    });
    scheduleId = schedule.json<{ id: string }>().id;
    deviceId = (await t.database.db.device.create({ data: { serial: "f1", model: "m", deviceClass: "pixel-7" } })).id;
  });
  afterAll(() => t.close());

  async function counts() {
    const db = t.database.db;
    const [searches, supernets, schedules, keys, devices, runs, searchJobs, trainJobs] = await Promise.all([
      db.search.count(),
      db.supernet.count(),
      db.schedule.count(),
      db.apiKey.count(),
      db.device.count(),
      db.scheduleRun.count(),
      t.jobs.queue(QUEUES.search.name).count(),
      t.jobs.queue(QUEUES.train.name).count(),
    ]);
    return { searches, supernets, schedules, keys, devices, runs, searchJobs, trainJobs };
  }

  const writes: Array<{
    method: "POST" | "PATCH" | "PUT";
    name: string;
    url: () => string;
    body: fc.Arbitrary<unknown>;
    grows: string[];
  }> = [
    {
      method: "POST",
      name: "/v1/searches",
      url: () => "/v1/searches",
      body: fc.oneof(mutated(SPEC), anyBody),
      grows: ["searches", "searchJobs"],
    },
    {
      method: "POST",
      name: "/v1/supernets",
      url: () => "/v1/supernets",
      body: fc.oneof(mutated({ name: "s", trainingConfig: CONFIG }), anyBody),
      grows: ["supernets", "trainJobs"],
    },
    {
      method: "POST",
      name: "/v1/schedules",
      url: () => "/v1/schedules",
      body: fc.oneof(mutated({ name: "n", cron: "0 2 * * *", timezone: "UTC", searchSpec: SPEC }), anyBody),
      grows: ["schedules"],
    },
    {
      method: "PATCH",
      name: "/v1/schedules/:id",
      url: () => `/v1/schedules/${scheduleId}`,
      body: fc.oneof(mutated({ cron: "5 4 * * 1", timezone: "Asia/Tokyo", enabled: true }), anyBody),
      grows: [],
    },
    {
      method: "POST",
      name: "/v1/devices/:id/quarantine",
      url: () => `/v1/devices/${deviceId}/quarantine`,
      body: anyBody,
      grows: [],
    },
    {
      method: "POST",
      name: "/v1/api-keys",
      url: () => "/v1/api-keys",
      body: fc.oneof(mutated({ name: "k", scopes: ["read"] }), anyBody),
      grows: ["keys"],
    },
    {
      method: "PUT",
      name: "/v1/agent/devices/:serial",
      url: () => "/v1/agent/devices/fz",
      body: fc.oneof(mutated({ deviceClass: "pixel-7", model: "m", state: "online" }), anyBody),
      grows: ["devices"],
    },
  ];

  it.each(writes.map((w) => [`${w.method} ${w.name}`, w] as const))("%s", async (_name, write) => {
    await fc.assert(
      fc.asyncProperty(write.body, fc.constantFrom("application/json", "application/yaml"), async (body, type) => {
        const before = await counts();
        const payload = type === "application/json" ? JSON.stringify(body) : toYaml(body);
        const response = await t.app.inject({
          method: write.method,
          url: write.url(),
          headers: { ...(write.url().startsWith("/v1/agent") ? t.auth.agent : t.auth.admin), "content-type": type },
          payload,
        });
        expect(response.statusCode, response.body).toBeLessThan(500);
        const after = await counts();
        if (response.statusCode >= 400) {
          expect(response.headers["content-type"]).toContain("application/problem+json");
          expect(after).toEqual(before);
        } else {
          for (const [key, value] of Object.entries(after)) {
            const grew = value - before[key as keyof typeof before];
            // A created resource is one row (and its job); an upsert of a known device adds nothing.
            if (!write.grows.includes(key)) expect(grew, key).toBe(0);
            else expect(grew, key).toBe(response.statusCode === 201 ? 1 : grew === 0 ? 0 : 1);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it("answers arbitrary query strings and path segments on read routes without a 500", async () => {
    const routes = [
      "/v1/searches",
      "/v1/supernets",
      "/v1/measurements",
      "/v1/artifacts",
      "/v1/devices",
      "/v1/schedules",
      `/v1/schedules/${scheduleId}/runs`,
    ];
    const keys = [
      "status",
      "name",
      "supernetId",
      "createdAfter",
      "createdBefore",
      "cursor",
      "limit",
      "kind",
      "raw",
      "x",
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.array(fc.tuple(fc.constantFrom(...keys), fc.string({ maxLength: 40 })), { maxLength: 4 }),
        async (route, pairs) => {
          const query = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join("&");
          const response = await t.app.inject({ url: `${route}?${query}`, headers: t.auth.read });
          expect(response.statusCode, `${route}?${query}: ${response.body}`).toBeLessThan(500);
        },
      ),
      { numRuns: 150 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 80 }),
        fc.constantFrom("searches", "supernets", "measurements", "artifacts", "schedules", "devices"),
        async (segment, kind) => {
          const response = await t.app.inject({
            url: `/v1/${kind}/${encodeURIComponent(segment)}`,
            headers: t.auth.read,
          });
          expect(response.statusCode, response.body).toBeLessThan(500);
        },
      ),
      { numRuns: 100 },
    );
  });
});
