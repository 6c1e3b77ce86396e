// Security properties across services: keys stored hashed, agent keys held to their device class, fan-out
// bounded at the API, and secrets (database and Redis passwords, API keys) absent from every service's log,
// including when a variable is malformed. Route-by-route scope checks live in services/api/src/api.routes.test.ts
// (it checks that they cover every documented route).
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashApiToken } from "@mfnas/store";
import { startTestApi, type TestApi } from "../support/api.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { startService, type ServiceProcess } from "../support/processes.ts";
import { freePort, startPrivateRedis, type PrivateRedis } from "./support/private-services.ts";

describe("API keys and scopes", () => {
  let t: TestApi;
  beforeAll(async () => {
    t = await startTestApi({ rateLimit: false });
  });
  afterAll(() => t.close());

  it("stores only the sha256 of a key: no column of any key row holds the token or its secret part", async () => {
    const created = await t.app.inject({
      method: "POST",
      url: "/v1/api-keys",
      headers: t.auth.admin,
      payload: { name: "ci", scopes: ["read"] },
    });
    expect(created.statusCode).toBe(201);
    const { token } = created.json<{ token: string }>();
    // mfnas_<prefix>_<secret>; the base64url secret may itself contain "_".
    const secret = /^mfnas_[0-9a-f]+_(.+)$/.exec(token)?.[1] ?? "";
    expect(secret.length).toBeGreaterThanOrEqual(43);
    const rows = await t.database.sql<{ row: string }>(`SELECT row_to_json(k)::text AS row FROM "ApiKey" k`);
    expect(rows.length).toBeGreaterThan(1);
    for (const { row } of rows) expect(row).not.toContain(secret);
    const hashes = await t.database.sql<{ secretHash: string }>(`SELECT "secretHash" FROM "ApiKey"`);
    expect(hashes.map((h) => h.secretHash)).toContain(hashApiToken(token));
    // Listing keys shows no secret either.
    const list = await t.app.inject({ url: "/v1/api-keys", headers: t.auth.admin });
    expect(list.body).not.toContain(secret);
  });

  it("holds an agent key to its device class, on reads by id as well as on lists and reports", async () => {
    const other = await t.database.db.device.create({ data: { serial: "sec-1", model: "S24", deviceClass: "s24" } });
    const own = await t.database.db.device.create({ data: { serial: "sec-2", model: "P7", deviceClass: "pixel-7" } });
    const byId = await t.app.inject({ url: `/v1/devices/${other.id}`, headers: t.auth.agent });
    expect([403, 404]).toContain(byId.statusCode);
    expect(byId.body).not.toContain("S24");
    expect((await t.app.inject({ url: `/v1/devices/${own.id}`, headers: t.auth.agent })).statusCode).toBe(200);
    const put = await t.app.inject({
      method: "PUT",
      url: "/v1/agent/devices/sec-1",
      headers: t.auth.agent,
      payload: { deviceClass: "pixel-7", model: "hijack", state: "online" },
    });
    // A serial registered under another class cannot be taken over by re-reporting it under the agent's class.
    expect(put.statusCode).toBeGreaterThanOrEqual(400);
    expect(put.statusCode).toBeLessThan(500);
    const after = await t.database.db.device.findUniqueOrThrow({ where: { id: other.id } });
    expect(after).toMatchObject({ deviceClass: "s24", model: "S24" });
    for (const url of ["/v1/searches", "/v1/measurements", "/v1/artifacts", "/v1/api-keys", "/v1/schedules"]) {
      expect((await t.app.inject({ url, headers: t.auth.agent })).statusCode, url).toBe(403);
    }
  });

  it("refuses a search whose fan-out exceeds the bound (population x generations), at submit and on schedules", async () => {
    const spec = { name: "huge", budget: { generations: 10_000, population: 4_096 } };
    const before = await t.database.db.search.count();
    const search = await t.app.inject({ method: "POST", url: "/v1/searches", headers: t.auth.submit, payload: spec });
    expect(search.statusCode).toBe(400);
    expect(search.json<{ fields: string[] }>().fields.join()).toMatch(/budget: population × generations/);
    const schedule = await t.app.inject({
      method: "POST",
      url: "/v1/schedules",
      headers: t.auth.admin,
      payload: { name: "huge", cron: "0 3 * * *", searchSpec: spec },
    });
    expect(schedule.statusCode).toBe(400);
    expect(await t.database.db.search.count()).toBe(before);
    const big = await t.app.inject({
      method: "POST",
      url: "/v1/searches",
      headers: { ...t.auth.submit, "content-type": "application/json" },
      payload: JSON.stringify({ name: "x".repeat(300_000), budget: { generations: 1, population: 2 } }),
    });
    expect(big.statusCode).toBe(413);
  });
});

describe("secrets in logs", () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  const dbPassword = `Pg${randomBytes(6).toString("hex")}`;
  const redisPassword = `Rd${randomBytes(6).toString("hex")}`;
  const adminKey = `mfnas_${randomBytes(6).toString("hex")}_${randomBytes(32).toString("base64url").slice(0, 43)}`;
  const started: ServiceProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    redis = await startPrivateRedis({ password: redisPassword });
    // The shared Postgres trusts local connections, so the password is accepted and ignored: it is only there to
    // be looked for in the logs.
    const url = new URL(database.url);
    url.password = dbPassword;
    env = { DATABASE_URL: url.toString(), REDIS_URL: redis.url, QUEUE_PREFIX: "sec", LOG_LEVEL: "debug" };
  });
  afterAll(async () => {
    for (const s of started) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    await redis.stop();
    await database.drop();
  });

  function start(service: string, extra: Record<string, string> = {}): ServiceProcess {
    const s = startService(service, { ...env, ...extra });
    started.push(s);
    return s;
  }

  function expectNoSecret(output: string, what: string) {
    for (const secret of [
      dbPassword,
      redisPassword,
      adminKey,
      /^mfnas_[0-9a-f]+_(.+)$/.exec(adminKey)?.[1] ?? adminKey,
    ]) {
      expect(output.includes(secret), `${what} logged a secret:\n${output.slice(0, 3000)}`).toBe(false);
    }
  }

  it("the api logs no password and no key: bootstrap, requests with good, bad and query-string keys", async () => {
    const port = await freePort();
    const api = start("api", { API_PORT: String(port), API_BOOTSTRAP_ADMIN_KEY: adminKey, ARTIFACT_DIR: "/tmp" });
    await api.waitFor(/api ready/, 180_000);
    const base = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${adminKey}` };
    expect((await fetch(`${base}/v1/whoami`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/v1/whoami`, { headers: { authorization: `Bearer ${adminKey}x` } })).status).toBe(401);
    expect((await fetch(`${base}/v1/whoami?token=${adminKey}`)).status).toBe(401);
    await fetch(`${base}/v1/searches`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: "{",
    });
    expect((await fetch(`${base}/v1/nope/${dbPassword}`, { headers: auth })).status).toBe(404);
    // The last request's log line is the mark that every line before it was written.
    await api.waitFor(/"statusCode":404/, 90_000);
    api.child.kill("SIGTERM");
    await api.exited;
    expect(api.output()).toMatch(/"statusCode":401/);
    expectNoSecret(api.output().replaceAll(`/v1/nope/${dbPassword}`, ""), "api");
  });

  it.each(["searcher", "evaluator", "scheduler", "trainer"])(
    "%s logs neither password when it starts",
    async (name) => {
      const s = start(name, { ARTIFACT_DIR: "/tmp/mfnas-sec-artifacts" });
      await s.waitFor(/ready/, 270_000);
      s.child.kill("SIGTERM");
      await s.exited;
      expectNoSecret(s.output(), name);
    },
  );

  it("a malformed variable is named without its secret value", async () => {
    const s = start("searcher", {
      DATABASE_URL: `mysql://app:${dbPassword}@db/x`,
      REDIS_URL: `http://:${redisPassword}@h:1`,
    });
    expect((await s.exited).code).toBe(78);
    expect(s.output()).toMatch(/DATABASE_URL: must be a postgres/);
    expectNoSecret(s.output(), "searcher");
    const api = start("api", { API_BOOTSTRAP_ADMIN_KEY: `${adminKey}!` });
    expect((await api.exited).code).toBe(78);
    expect(api.output()).toMatch(/API_BOOTSTRAP_ADMIN_KEY: .*hidden/);
    expectNoSecret(api.output(), "api");
  });
});
