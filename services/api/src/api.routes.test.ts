import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS, QUEUES } from "@mfnas/core";
import { startTestApi, type TestApi } from "../../../tests/support/api.ts";
import { seedSearchResults, type SeededSearch } from "../../../tests/support/api-seed.ts";
import { latencyFor, referenceFront } from "../../../tests/support/front-oracle.ts";

const SPEC = { name: "tiny", budget: { generations: 2, population: 4 } };
const NONE = "00000000-0000-4000-8000-000000000000";

describe("API routes on real Postgres and Redis", () => {
  let t: TestApi;
  let seeded: SeededSearch;
  beforeAll(async () => {
    t = await startTestApi();
    seeded = await seedSearchResults(t.database.db, { candidates: 60, generations: 3 });
  });
  afterAll(() => t.close());

  const call = async (
    method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
    url: string,
    options: { as?: keyof TestApi["auth"] | null; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const headers = { ...(options.as === null ? {} : t.auth[options.as ?? "admin"]), ...options.headers };
    const response = await t.app.inject({
      method,
      url,
      headers,
      ...(options.body !== undefined
        ? { payload: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }
        : {}),
      ...(options.body !== undefined && typeof options.body !== "string"
        ? { headers: { ...headers, "content-type": "application/json" } }
        : {}),
    });
    return response;
  };

  describe("authentication and scopes", () => {
    // Every /v1 route, with the weakest key that may use it.
    const routes: Array<[string, string, "read" | "submit" | "admin" | "agent" | "read-or-agent"]> = [
      ["POST", "/v1/supernets", "submit"],
      ["GET", "/v1/supernets", "read"],
      ["GET", `/v1/supernets/${NONE}`, "read"],
      ["POST", `/v1/supernets/${NONE}/cancel`, "submit"],
      ["GET", `/v1/supernets/${NONE}/events`, "read"],
      ["POST", "/v1/searches", "submit"],
      ["GET", "/v1/searches", "read"],
      ["GET", `/v1/searches/${NONE}`, "read"],
      ["POST", `/v1/searches/${NONE}/cancel`, "submit"],
      ["POST", `/v1/searches/${NONE}/resume`, "submit"],
      ["POST", `/v1/searches/${NONE}/clone`, "submit"],
      ["GET", `/v1/searches/${NONE}/events`, "read"],
      ["GET", `/v1/searches/${NONE}/generations`, "read"],
      ["GET", `/v1/searches/${NONE}/generations/0`, "read"],
      ["GET", `/v1/searches/${NONE}/candidates`, "read"],
      ["GET", `/v1/searches/${NONE}/candidates/${NONE}`, "read"],
      ["GET", `/v1/searches/${NONE}/fronts`, "read"],
      ["GET", `/v1/searches/${NONE}/fronts/pixel-7`, "read"],
      ["GET", "/v1/devices", "read-or-agent"],
      ["GET", `/v1/devices/${NONE}`, "read-or-agent"],
      ["POST", `/v1/devices/${NONE}/quarantine`, "admin"],
      ["POST", `/v1/devices/${NONE}/release`, "admin"],
      ["PUT", "/v1/agent/devices/serial-1", "agent"],
      ["GET", "/v1/measurements", "read"],
      ["GET", `/v1/measurements/${NONE}`, "read"],
      ["GET", "/v1/artifacts", "read"],
      ["POST", "/v1/artifacts", "submit"],
      ["GET", `/v1/artifacts/${"a".repeat(64)}`, "read"],
      ["GET", `/v1/artifacts/${"a".repeat(64)}/download`, "read"],
      ["GET", "/v1/predictors", "read"],
      ["GET", "/v1/predictors/pixel-7/report", "read"],
      ["POST", "/v1/predictors/pixel-7/profile", "submit"],
      ["POST", "/v1/schedules", "admin"],
      ["GET", "/v1/schedules", "read"],
      ["GET", `/v1/schedules/${NONE}`, "read"],
      ["PATCH", `/v1/schedules/${NONE}`, "admin"],
      ["DELETE", `/v1/schedules/${NONE}`, "admin"],
      ["GET", `/v1/schedules/${NONE}/runs`, "read"],
      ["GET", `/v1/schedules/${NONE}/trend`, "read"],
      ["GET", "/v1/whoami", "read-or-agent"],
      ["POST", "/v1/api-keys", "admin"],
      ["GET", "/v1/api-keys", "admin"],
      ["DELETE", `/v1/api-keys/${NONE}`, "admin"],
      ["GET", `/v1/searches/${NONE}/result`, "read"],
      ["GET", `/v1/architectures/${"a".repeat(64)}`, "read"],
      ["GET", "/v1/device-lab", "read"],
    ];

    it("covers every /v1 route the API documents", async () => {
      const doc = (await call("GET", "/v1/openapi.json", { as: null })).json<{ paths: Record<string, object> }>();
      const documented = Object.entries(doc.paths).flatMap(([p, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${p.replace(/\{[^}]+\}/g, "*")}`),
      );
      const tested = routes.map(
        ([m, url]) =>
          `${m} ${url
            .split("/")
            .map((seg) => (/^(0|pixel-7|serial-1|a{64}|[0-9a-f-]{36})$/.test(seg) ? "*" : seg))
            .join("/")}`,
      );
      expect(new Set(tested)).toEqual(new Set(documented));
    });

    it.each(routes)("%s %s: 401 without a key, with a malformed one and with a revoked one", async (method, url) => {
      for (const headers of [{}, { authorization: "Basic abc" }, { authorization: "Bearer mfnas_000000000000_x" }]) {
        const response = await t.app.inject({ method: method as "GET", url, headers });
        expect(response.statusCode).toBe(401);
        expect(response.headers["content-type"]).toContain("application/problem+json");
        expect(response.headers["www-authenticate"]).toContain("Bearer");
      }
      const revoked = await call(method as "GET", url, { as: "revoked" });
      expect(revoked.statusCode).toBe(401);
    });

    it.each(routes)("%s %s: 403 for keys below the route's scope", async (method, url, scope) => {
      const weaker: Array<keyof TestApi["auth"]> =
        scope === "admin"
          ? ["read", "submit", "agent"]
          : scope === "submit"
            ? ["read", "agent"]
            : scope === "read"
              ? ["agent"]
              : scope === "agent"
                ? ["read", "submit", "admin"]
                : [];
      for (const as of weaker) {
        const response = await call(method as "GET", url, { as });
        expect(response.statusCode, `${as} on ${method} ${url}`).toBe(403);
        expect(response.json<{ code: string }>().code).toBe("forbidden");
      }
    });

    it("serves health, readiness and the OpenAPI document without a key, and no /metrics on the API's port", async () => {
      expect((await call("GET", "/healthz", { as: null })).statusCode).toBe(200);
      expect((await call("GET", "/readyz", { as: null })).json()).toEqual({
        status: "ready",
        checks: { postgres: "ok", redis: "ok" },
      });
      await call("GET", "/v1/searches");
      // Metrics are served on their own port (main.ts, API_METRICS_PORT) from the app's registry.
      expect((await call("GET", "/metrics", { as: null })).statusCode).toBe(404);
      expect(await t.app.metricsRegistry.metrics()).toMatch(
        /mfnas_api_request_duration_seconds_bucket\{.*route="\/v1\/searches".*status_code="200"/,
      );
      const doc = (await call("GET", "/v1/openapi.json", { as: null })).json<{
        openapi: string;
        paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      }>();
      expect(doc.openapi).toBe("3.1.0");
      expect(Object.keys(doc.paths)).toContain("/v1/searches/{id}/fronts/{target}");
      for (const [p, methods] of Object.entries(doc.paths)) {
        for (const [m, op] of Object.entries(methods)) expect(Object.keys(op.responses), `${m} ${p}`).toContain("400");
      }
      expect(JSON.stringify(doc)).not.toContain("x-mfnas-validated-by");
      expect((await call("GET", "/docs", { as: null })).statusCode).toBeLessThan(400);
    });

    it("keeps a caller's request id and makes one otherwise", async () => {
      const given = await call("GET", "/v1/searches", { headers: { "x-request-id": "trace-123" } });
      expect(given.headers["x-request-id"]).toBe("trace-123");
      const made = await call("GET", "/v1/nowhere");
      expect(made.statusCode).toBe(404);
      expect(made.json<{ requestId: string }>().requestId).toBe(made.headers["x-request-id"]);
    });

    it("issues, lists and revokes keys; an agent token needs its device class", async () => {
      const bad = await call("POST", "/v1/api-keys", { body: { name: "a", scopes: ["agent", "read"] } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json<{ fields: string[] }>().fields[0]).toMatch(/^scopes:/);
      const created = await call("POST", "/v1/api-keys", { body: { name: "ci", scopes: ["read"] } });
      expect(created.statusCode).toBe(201);
      const { token, id } = created.json<{ token: string; id: string }>();
      const who = await t.app.inject({ url: "/v1/whoami", headers: { authorization: `Bearer ${token}` } });
      expect(who.json<{ scopes: string[] }>().scopes).toEqual(["read"]);
      const listed = await call("GET", "/v1/api-keys");
      expect(JSON.stringify(listed.json())).not.toContain(token.slice(20));
      expect((await call("DELETE", `/v1/api-keys/${id}`)).statusCode).toBe(204);
      expect((await call("DELETE", `/v1/api-keys/${id}`)).statusCode).toBe(409);
      const after = await t.app.inject({ url: "/v1/whoami", headers: { authorization: `Bearer ${token}` } });
      expect(after.statusCode).toBe(401);
    });
  });

  describe("searches", () => {
    it("submits JSON and YAML, stores the spec with its defaults and queues search.run", async () => {
      const json = await call("POST", "/v1/searches", { as: "submit", body: SPEC });
      expect(json.statusCode).toBe(201);
      const search = json.json<{
        id: string;
        status: string;
        spec: { seed: number };
        progress: { generations: number };
      }>();
      expect(search).toMatchObject({ status: "queued", spec: { seed: 0 }, progress: { generations: 2 } });
      expect(json.headers["location"]).toBe(`/v1/searches/${search.id}`);
      const job = await t.jobs.queue(QUEUES.search.name).getJob(JOBS.searchRun.jobId({ searchId: search.id }));
      expect(job?.data).toEqual({ searchId: search.id });
      const yaml = await call("POST", "/v1/searches", {
        as: "submit",
        body: "name: from-yaml\nbudget:\n  generations: 1\n  population: 2\n",
        headers: { "content-type": "application/yaml" },
      });
      expect(yaml.statusCode).toBe(201);
      expect(yaml.json<{ name: string }>().name).toBe("from-yaml");
    });

    it("names the bad field, and stores nothing, for an invalid spec", async () => {
      const before = await t.database.db.search.count();
      const cases: Array<[unknown, RegExp]> = [
        [{ ...SPEC, budget: { generations: 0, population: 4 } }, /^budget\.generations:/],
        [{ ...SPEC, colour: "red" }, /colour/],
        [{ ...SPEC, space: { depth: { min: 9, max: 1 } } }, /^space/],
        [{ ...SPEC, supernet: { id: NONE } }, /^supernet\.id: no supernet/],
        [[1, 2], /spec|body/],
      ];
      for (const [body, field] of cases) {
        const response = await call("POST", "/v1/searches", { body });
        expect(response.statusCode, JSON.stringify(body)).toBe(400);
        const problem = response.json<{ fields: string[]; code: string }>();
        expect(problem.code).toBe("invalid_input");
        expect(problem.fields.join("\n")).toMatch(field);
      }
      const yaml = await call("POST", "/v1/searches", {
        body: "name: [unclosed",
        headers: { "content-type": "application/yaml" },
      });
      expect(yaml.statusCode).toBe(400);
      const json = await call("POST", "/v1/searches", { body: "{", headers: { "content-type": "application/json" } });
      expect(json.statusCode).toBe(400);
      const media = await call("POST", "/v1/searches", { body: "x", headers: { "content-type": "text/csv" } });
      expect(media.statusCode).toBe(415);
      const big = await call("POST", "/v1/searches", { body: { ...SPEC, name: "x".repeat(300_000) } });
      expect(big.statusCode).toBe(413);
      expect(await t.database.db.search.count()).toBe(before);
    });

    it("lists with filters and cursor pagination, newest first, every row once", async () => {
      for (let i = 0; i < 5; i++) await call("POST", "/v1/searches", { body: { ...SPEC, name: `page-${i}` } });
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/v1/searches?name=page-&limit=2${cursor ? `&cursor=${cursor}` : ""}`;
        const page = (await call("GET", url, { as: "read" })).json<{
          items: { id: string; name: string }[];
          nextCursor: string | null;
        }>();
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((s) => s.name));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(["page-4", "page-3", "page-2", "page-1", "page-0"]);
      const succeeded = (await call("GET", "/v1/searches?status=succeeded")).json<{ items: { id: string }[] }>();
      expect(succeeded.items.map((s) => s.id)).toEqual([seeded.id]);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      expect((await call("GET", `/v1/searches?createdAfter=${future}`)).json<{ items: unknown[] }>().items).toEqual([]);
      const bad = await call("GET", "/v1/searches?cursor=not-a-cursor!");
      expect(bad.statusCode).toBe(400);
      const badStatus = await call("GET", "/v1/searches?status=sleeping");
      expect(badStatus.json<{ fields: string[] }>().fields[0]).toMatch(/^querystring\.status/);
    });

    it("cancels, resumes and clones; refuses transitions that contradict the state", async () => {
      const { id } = (await call("POST", "/v1/searches", { body: SPEC })).json<{ id: string }>();
      expect((await call("POST", `/v1/searches/${id}/resume`)).statusCode).toBe(409);
      expect((await call("POST", `/v1/searches/${id}/cancel`)).json<{ status: string }>().status).toBe("cancelled");
      expect((await call("POST", `/v1/searches/${id}/cancel`)).statusCode).toBe(409);
      // The first job finished (here: removed as done) before resume queues it again under the same id.
      const queue = t.jobs.queue(QUEUES.search.name);
      const job = await queue.getJob(JOBS.searchRun.jobId({ searchId: id }));
      await job?.moveToFailed(new Error("stopped"), "0", false).catch(() => undefined);
      const resumed = await call("POST", `/v1/searches/${id}/resume`);
      expect(resumed.json<{ status: string }>().status).toBe("queued");
      expect(await queue.getJob(JOBS.searchRun.jobId({ searchId: id }))).toBeTruthy();
      const clone = await call("POST", `/v1/searches/${id}/clone`, { body: { name: "copy", seed: 7 } });
      expect(clone.statusCode).toBe(201);
      expect(clone.json<{ name: string; seed: number; id: string }>()).toMatchObject({ name: "copy", seed: 7 });
      expect((await call("POST", `/v1/searches/${NONE}/clone`)).statusCode).toBe(404);
      expect((await call("POST", `/v1/searches/${NONE}/cancel`)).statusCode).toBe(404);
      expect((await call("POST", `/v1/searches/${seeded.id}/cancel`)).statusCode).toBe(409);
      expect((await call("GET", `/v1/searches/not-a-uuid`)).json<{ fields: string[] }>().fields[0]).toMatch(
        /^params\.id/,
      );
    });
  });

  describe("results", () => {
    it("pages generations and candidates with metrics, cost and separate latency figures", async () => {
      const gens = (await call("GET", `/v1/searches/${seeded.id}/generations?limit=2`)).json<{
        items: { index: number; populationSize: number }[];
        nextCursor: string;
      }>();
      expect(gens.items.map((g) => g.index)).toEqual([0, 1]);
      const rest = (await call("GET", `/v1/searches/${seeded.id}/generations?cursor=${gens.nextCursor}`)).json<{
        items: { index: number }[];
      }>();
      expect(rest.items.map((g) => g.index)).toEqual([2]);
      const one = (await call("GET", `/v1/searches/${seeded.id}/generations/1`)).json<{ population: unknown[] }>();
      expect(one.population.length).toBe(20);
      expect((await call("GET", `/v1/searches/${seeded.id}/generations/9`)).statusCode).toBe(404);

      const ids = new Set<string>();
      let cursor: string | null = null;
      do {
        const page: {
          items: Array<{ id: string; psnr: number; cost: { macs: number }; latencies: unknown[] }>;
          nextCursor: string | null;
        } = (
          await call("GET", `/v1/searches/${seeded.id}/candidates?limit=25${cursor ? `&cursor=${cursor}` : ""}`)
        ).json();
        for (const c of page.items) {
          ids.add(c.id);
          expect(c.psnr).toBeGreaterThan(20);
          expect(c.cost.macs).toBeGreaterThan(0);
          expect(c.latencies).toHaveLength(1);
        }
        cursor = page.nextCursor;
      } while (cursor);
      expect(ids.size).toBe(60);
      const firstGen = (await call("GET", `/v1/searches/${seeded.id}/candidates?generation=0&limit=100`)).json<{
        items: unknown[];
      }>();
      expect(firstGen.items).toHaveLength(20);

      const [someId] = ids;
      const detail = (await call("GET", `/v1/searches/${seeded.id}/candidates/${someId}`)).json<{
        latencies: Array<{ predictedMs: number | null; measuredMs: number | null }>;
        measurements: unknown[];
        exports: unknown[];
      }>();
      expect(detail.latencies[0]?.predictedMs).toBeGreaterThan(0);
      expect(detail.measurements).toEqual([]);
      expect((await call("GET", `/v1/searches/${seeded.id}/candidates/${NONE}`)).statusCode).toBe(404);
    });

    it("computes the front per target: non-dominated, sorted by latency, labelled by latency source", async () => {
      expect((await call("GET", `/v1/searches/${seeded.id}/fronts`)).json()).toEqual({
        searchId: seeded.id,
        targets: ["pixel-7"],
      });
      const front = (await call("GET", `/v1/searches/${seeded.id}/fronts/pixel-7`)).json<{
        rankedCandidates: number;
        points: Array<{ quality: number; latencyMs: number; latencyBasis: string; measuredMs: number | null }>;
      }>();
      expect(front.rankedCandidates).toBe(60);
      expect(front.points.length).toBeGreaterThan(1);
      for (let i = 1; i < front.points.length; i++) {
        const [a, b] = [front.points[i - 1], front.points[i]];
        expect(b?.latencyMs).toBeGreaterThanOrEqual(a?.latencyMs ?? 0);
        expect(b?.quality).toBeGreaterThan(a?.quality ?? 0);
      }
      for (const p of front.points) expect(p.latencyBasis === "measured").toBe(p.measuredMs !== null);
      const measured = (await call("GET", `/v1/searches/${seeded.id}/fronts/pixel-7?latency=measured`)).json<{
        rankedCandidates: number;
      }>();
      expect(measured.rankedCandidates).toBe(20);
      const early = (await call("GET", `/v1/searches/${seeded.id}/fronts/pixel-7?generation=0`)).json<{
        rankedCandidates: number;
      }>();
      expect(early.rankedCandidates).toBe(20);
      expect((await call("GET", `/v1/searches/${seeded.id}/fronts/iphone`)).statusCode).toBe(404);

      // The front computed in Postgres equals core's paretoFront over every candidate, for each latency choice.
      const all = (await call("GET", `/v1/searches/${seeded.id}/candidates?limit=1000`)).json<{
        items: Array<{
          id: string;
          psnr: number;
          latencies: Array<{ measuredMs: number | null; predictedMs: number | null }>;
        }>;
      }>().items;
      for (const basis of ["measured", "predicted", "measured-else-predicted"] as const) {
        const points = all.flatMap((c) => {
          const latency = c.latencies[0] ? latencyFor(c.latencies[0], basis) : null;
          return latency ? [{ id: c.id, quality: c.psnr, x: latency.ms }] : [];
        });
        const expected = referenceFront(points).map((p) => p.id);
        const actual = (await call("GET", `/v1/searches/${seeded.id}/fronts/pixel-7?latency=${basis}`)).json<{
          points: { candidateId: string }[];
        }>();
        expect(actual.points.map((p) => p.candidateId)).toEqual(expected);
      }

      // Against memory traffic (the memory access cost) instead of latency: the same sweep on the cost model's figure.
      const costed = (await call("GET", `/v1/searches/${seeded.id}/candidates?limit=1000`)).json<{
        items: Array<{ id: string; psnr: number; cost: { memoryTrafficBytes: number }; latencies: unknown[] }>;
      }>().items;
      const byTraffic = referenceFront(
        costed
          .filter((c) => c.latencies.length > 0)
          .map((c) => ({ id: c.id, quality: c.psnr, x: c.cost.memoryTrafficBytes / 1e6 })),
      );
      const traffic = (await call("GET", `/v1/searches/${seeded.id}/fronts/pixel-7?axis=traffic`)).json<{
        axis: string;
        axisUnit: string;
        points: Array<{ quality: number; x: number; cost: { memoryTrafficBytes: number } }>;
      }>();
      expect(traffic).toMatchObject({ axis: "traffic", axisUnit: "MB" });
      expect(traffic.points.length).toBeGreaterThan(0);
      expect(traffic.points.map((p) => [p.quality, p.x])).toEqual(byTraffic.map((p) => [p.quality, p.x]));
      for (const p of traffic.points) expect(p.x).toBe(p.cost.memoryTrafficBytes / 1e6);
      const bad = await call("GET", `/v1/searches/${seeded.id}/fronts/pixel-7?axis=bandwidth`);
      expect(bad.statusCode).toBe(400);
      expect(bad.body).toMatch(/axis/);
    });
  });

  describe("supernets", () => {
    const config = {
      teacher: { weights: "b".repeat(64), blocks: 1, channels: 8, growth: 4 },
      data: { train: "bundled", val: "bundled" },
      steps: 10,
      batch: 2,
      patchSize: 32,
    };

    it("starts training from a validated config, lists, shows progress and cancels", async () => {
      const created = await call("POST", "/v1/supernets", {
        as: "submit",
        body: { name: "s", trainingConfig: config },
      });
      expect(created.statusCode).toBe(201);
      const { id, progress } = created.json<{ id: string; progress: { steps: number } }>();
      expect(progress.steps).toBe(10);
      const job = await t.jobs.queue(QUEUES.train.name).getJob(JOBS.trainSupernet.jobId({ supernetId: id }));
      expect(job?.data).toEqual({ supernetId: id });
      await t.database.db.supernetProgress.create({
        data: { supernetId: id, step: 5, losses: { pixel: 0.1 }, imagesPerSecond: 3 },
      });
      await t.database.db.supernet.update({ where: { id }, data: { step: 5, status: "training" } });
      const detail = (await call("GET", `/v1/supernets/${id}`, { as: "read" })).json<{
        progress: { fraction: number; latest: { losses: { pixel: number } } };
      }>();
      expect(detail.progress.fraction).toBe(0.5);
      expect(detail.progress.latest.losses.pixel).toBe(0.1);
      const list = (await call("GET", "/v1/supernets?status=training")).json<{ items: { id: string }[] }>();
      expect(list.items.map((s) => s.id)).toEqual([id]);
      expect((await call("POST", `/v1/supernets/${id}/cancel`)).json<{ status: string }>().status).toBe("cancelled");
      expect((await call("POST", `/v1/supernets/${id}/cancel`)).statusCode).toBe(409);
    });

    it("names the bad field of a training config and creates nothing", async () => {
      const before = await t.database.db.supernet.count();
      const bad = await call("POST", "/v1/supernets", {
        body: { name: "s", trainingConfig: { ...config, patchSize: 30 } },
      });
      expect(bad.json<{ fields: string[] }>().fields.join()).toMatch(/trainingConfig\.patchSize/);
      const space = await call("POST", "/v1/supernets", {
        body: { name: "s", trainingConfig: { ...config, space: { trunkWidths: [3] } } },
      });
      expect(space.statusCode).toBe(400);
      expect(space.json<{ fields: string[] }>().fields.join()).toMatch(/trainingConfig\.space/);
      expect(await t.database.db.supernet.count()).toBe(before);
    });
  });

  describe("devices, measurements, artifacts, predictors", () => {
    it("lets an agent report its own phones only, and an admin quarantine and release them", async () => {
      const report = {
        deviceClass: "pixel-7",
        model: "Pixel 7",
        soc: "Tensor G2",
        state: "online",
        health: { battery: 80 },
      };
      const put = await call("PUT", "/v1/agent/devices/abc123", { as: "agent", body: report });
      expect(put.statusCode).toBe(200);
      const device = put.json<{ id: string; state: string }>();
      expect(device.state).toBe("online");
      const other = await call("PUT", "/v1/agent/devices/abc124", {
        as: "agent",
        body: { ...report, deviceClass: "s24" },
      });
      expect(other.statusCode).toBe(403);
      await t.database.db.device.create({ data: { serial: "zz", model: "S24", deviceClass: "s24" } });
      const agentView = (await call("GET", "/v1/devices", { as: "agent" })).json<{ items: { serial: string }[] }>();
      expect(agentView.items.map((d) => d.serial)).toEqual(["abc123"]);
      expect((await call("GET", "/v1/devices?deviceClass=s24", { as: "agent" })).statusCode).toBe(403);
      expect((await call("GET", "/v1/devices", { as: "read" })).json<{ items: unknown[] }>().items).toHaveLength(2);
      const q = await call("POST", `/v1/devices/${device.id}/quarantine`, { body: { reason: "overheats" } });
      expect(q.json()).toMatchObject({ state: "quarantined", quarantineReason: "overheats" });
      await call("PUT", "/v1/agent/devices/abc123", { as: "agent", body: report });
      const still = (await call("GET", `/v1/devices/${device.id}`, { as: "agent" })).json<{
        state: string;
        health: unknown;
      }>();
      expect(still).toMatchObject({ state: "quarantined", health: { battery: 80 } });
      expect((await call("POST", `/v1/devices/${device.id}/release`)).json<{ state: string }>().state).toBe("offline");
      expect((await call("POST", `/v1/devices/${device.id}/release`)).statusCode).toBe(409);
      expect((await call("POST", `/v1/devices/${NONE}/quarantine`, { body: { reason: "x" } })).statusCode).toBe(404);
      const noReason = await call("POST", `/v1/devices/${device.id}/quarantine`, { body: {} });
      expect(noReason.json<{ fields: string[] }>().fields).toEqual([
        "body.reason: must have required property 'reason'",
      ]);
    });

    it("lists measurements with conditions and shows raw output only on request", async () => {
      const candidate = await t.database.db.candidate.findFirstOrThrow({ where: { searchId: seeded.id } });
      const device = await t.database.db.device.create({
        data: { serial: "m1", model: "Pixel 8", deviceClass: "pixel-8" },
      });
      const m = await t.database.db.measurement.create({
        data: {
          requestKey: "rk-1",
          architectureHash: candidate.genomeHash,
          deviceId: device.id,
          deviceClass: "pixel-8",
          runtime: "tflite",
          runtimeVersion: "2.16",
          runtimeConfig: { threads: 4 },
          inputHeight: 64,
          inputWidth: 64,
          samples: 10,
          medianMs: 12,
          meanMs: 12.5,
          stdMs: 1,
          p90Ms: 14,
          minMs: 11,
          maxMs: 16,
          conditions: { governor: "performance", batteryTempC: 31 },
          rawOutput: "INFO: Inference timings in us: 12000",
        },
      });
      const list = (await call("GET", `/v1/measurements?deviceClass=pixel-8`, { as: "read" })).json<{
        items: Array<{ id: string; conditions: unknown; rawOutput?: string }>;
      }>();
      expect(list.items).toHaveLength(1);
      expect(list.items[0]).toMatchObject({ id: m.id, conditions: { governor: "performance" } });
      expect(list.items[0]?.rawOutput).toBeUndefined();
      const raw = (await call("GET", `/v1/measurements/${m.id}?raw=true`)).json<{ rawOutput: string }>();
      expect(raw.rawOutput).toContain("Inference timings");
      const candidateView = (await call("GET", `/v1/searches/${seeded.id}/candidates/${candidate.id}`)).json<{
        measurements: { id: string }[];
      }>();
      expect(candidateView.measurements.map((x) => x.id)).toEqual([m.id]);
    });

    it("downloads an artifact with its type, a safe file name and its digest as ETag", async () => {
      const bytes = new TextEncoder().encode("TFL3 model bytes");
      const stored = await t.artifacts.put({
        bytes,
        kind: "tflite",
        metadata: { genomeHash: '../../etc/passwd"; x', precision: "fp32" },
      });
      const meta = (await call("GET", `/v1/artifacts/${stored.sha256}`, { as: "read" })).json<{ sizeBytes: number }>();
      expect(meta.sizeBytes).toBe(bytes.byteLength);
      const download = await call("GET", `/v1/artifacts/${stored.sha256}/download`, { as: "read" });
      expect(download.statusCode).toBe(200);
      expect(download.rawPayload.equals(Buffer.from(bytes))).toBe(true);
      expect(download.headers["content-type"]).toBe("application/octet-stream");
      expect(download.headers["etag"]).toBe(`"${stored.sha256}"`);
      const disposition = String(download.headers["content-disposition"]);
      expect(disposition).toMatch(/^attachment; filename="[A-Za-z0-9._-]+\.tflite"$/);
      expect(disposition).not.toContain("/");
      const listed = (await call("GET", `/v1/artifacts?kind=tflite`)).json<{ items: { sha256: string }[] }>();
      expect(listed.items.map((a) => a.sha256)).toEqual([stored.sha256]);
      expect((await call("GET", `/v1/artifacts/${"c".repeat(64)}/download`)).statusCode).toBe(404);
      expect((await call("GET", `/v1/artifacts/../../etc/passwd/download`)).statusCode).toBe(404);
    });

    it("answers 404 for predictor reports until a predictor has been fitted", async () => {
      expect((await call("GET", "/v1/predictors")).json()).toEqual({ items: [] });
      const none = await call("GET", "/v1/predictors/pixel-7/report");
      expect(none.statusCode).toBe(404);
      expect(none.json<{ detail: string }>().detail).toMatch(/no latency predictor/);
      const report = await t.artifacts.put({
        bytes: new TextEncoder().encode('{"mae":1.2}'),
        kind: "report",
        mediaType: "application/json",
        metadata: { report: "latency-predictor", deviceClass: "pixel-7", maeMs: 1.2 },
      });
      const found = (await call("GET", "/v1/predictors/pixel-7/report")).json<{ latest: { sha256: string } }>();
      expect(found.latest.sha256).toBe(report.sha256);
    });
  });

  describe("schedules", () => {
    it("creates with cron and time zone validated, lists, updates, shows history and deletes", async () => {
      const body = { name: "nightly", cron: "30 2 * * *", timezone: "Europe/Paris", searchSpec: SPEC };
      const created = await call("POST", "/v1/schedules", { body });
      expect(created.statusCode).toBe(201);
      const schedule = created.json<{ id: string; nextRuns: string[] }>();
      expect(schedule.nextRuns).toHaveLength(3);
      // 02:30 in Paris is 00:30 or 01:30 UTC depending on daylight saving time.
      expect(schedule.nextRuns[0]).toMatch(/T0[01]:30:00\.000Z$/);
      expect((await call("POST", "/v1/schedules", { body })).statusCode).toBe(409);
      const cases: Array<[object, RegExp]> = [
        [{ ...body, name: "b1", cron: "61 2 * * *" }, /^cron:/],
        [{ ...body, name: "b2", cron: "* * * *" }, /^cron:/],
        [{ ...body, name: "b3", timezone: "Mars/Olympus" }, /^timezone:/],
        [{ ...body, name: "b4", timezone: "+02:00" }, /^timezone:/],
        [{ ...body, name: "b5", searchSpec: { name: "x" } }, /^searchSpec\.budget/],
        [{ name: "b6" }, /^cron: is required/],
      ];
      for (const [bad, field] of cases) {
        const response = await call("POST", "/v1/schedules", { body: bad });
        expect(response.statusCode, JSON.stringify(bad)).toBe(400);
        expect(response.json<{ fields: string[] }>().fields.join("\n")).toMatch(field);
      }
      const patched = await call("PATCH", `/v1/schedules/${schedule.id}`, { body: { enabled: false } });
      expect(patched.json()).toMatchObject({ enabled: false, nextRuns: [] });
      expect((await call("PATCH", `/v1/schedules/${schedule.id}`, { body: { cron: "bad" } })).statusCode).toBe(400);
      const search = await t.database.db.search.create({
        data: { name: "n", spec: SPEC, seed: 0, scheduleId: schedule.id },
      });
      await t.database.db.scheduleRun.create({
        data: { scheduleId: schedule.id, slot: new Date("2026-11-28T01:30:00Z"), searchId: search.id },
      });
      const runs = (await call("GET", `/v1/schedules/${schedule.id}/runs`, { as: "read" })).json<{
        items: Array<{ searchId: string; search: { status: string } }>;
      }>();
      expect(runs.items).toMatchObject([{ searchId: search.id, search: { status: "queued" } }]);
      await t.database.db.search.update({
        where: { id: search.id },
        data: { status: "succeeded", result: { hypervolume: 1.25, front: [{ hash: "a" }, { hash: "b" }] } },
      });
      const trend = (await call("GET", `/v1/schedules/${schedule.id}/trend`, { as: "read" })).json<{
        runs: Array<{ searchId: string; hypervolume: number; frontSize: number; status: string }>;
        comparison: { latest: { searchId: string } | null; previous: unknown };
      }>();
      expect(trend.runs).toMatchObject([{ searchId: search.id, hypervolume: 1.25, frontSize: 2, status: "succeeded" }]);
      expect(trend.comparison).toMatchObject({ latest: { searchId: search.id }, previous: null });
      expect((await call("GET", "/v1/schedules?enabled=false")).json<{ items: unknown[] }>().items).toHaveLength(1);
      expect((await call("DELETE", `/v1/schedules/${schedule.id}`)).statusCode).toBe(204);
      expect((await call("GET", `/v1/schedules/${schedule.id}`)).statusCode).toBe(404);
      expect((await t.database.db.search.findUniqueOrThrow({ where: { id: search.id } })).scheduleId).toBeNull();
    });
  });
});
