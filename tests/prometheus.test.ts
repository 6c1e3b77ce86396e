import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRedis } from "@mfnas/queue";
import { createTestDatabase, ROOT, uniqueName, type TestDatabase } from "./support/database.ts";
import { TEST_REDIS_URL } from "./support/env.ts";
import { eventually, metricsPort, startService, type ServiceProcess } from "./support/processes.ts";
import { promtoolPath } from "./support/prometheus-text.ts";
import { allDashboards } from "../scripts/dashboards/index.ts";

// The Prometheus configuration and alert rules under ops/prometheus, checked by Debian's promtool (syntax, and
// the rules' unit tests), and Debian's real Prometheus scraping a running mfnas service. Without promtool or
// prometheus the checks skip, unless MFNAS_REQUIRE_RUNTIMES is set (CI installs the prometheus package).

const OPS = path.join(ROOT, "ops/prometheus");
const required = process.env["MFNAS_REQUIRE_RUNTIMES"] !== undefined && process.env["MFNAS_REQUIRE_RUNTIMES"] !== "";
const promtool = promtoolPath();
const prometheusBinary = (() => {
  const found = spawnSync("sh", ["-c", "command -v prometheus"], { encoding: "utf8" });
  return found.status === 0 ? found.stdout.trim() : undefined;
})();

if (required && (!promtool || !prometheusBinary)) {
  throw new Error("MFNAS_REQUIRE_RUNTIMES is set but promtool or prometheus is missing (apt-get install prometheus)");
}

function promtoolRun(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync(promtool!, args, { cwd: OPS, encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe.skipIf(!promtool)("promtool", () => {
  it("accepts ops/prometheus/prometheus.yml and the rule file it names", () => {
    const result = promtoolRun("check", "config", "prometheus.yml");
    expect(result.output).toMatch(/SUCCESS: 1 rule files found/);
    expect(result.status, result.output).toBe(0);
  });

  it("accepts ops/prometheus/rules.yml", () => {
    const result = promtoolRun("check", "rules", "rules.yml");
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS: \d+ rules found/);
  });

  it("fires the stuck-queue, offline-phone and failed-nightly-run alerts on the series that mean them, not otherwise", () => {
    const result = promtoolRun("test", "rules", "rules.test.yml");
    expect(result.status, result.output).toBe(0);
    expect(result.output).toMatch(/SUCCESS/);
  });
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

interface QueryResult {
  status: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

describe.skipIf(!prometheusBinary)("Debian's Prometheus scraping a running mfnas service", () => {
  let database: TestDatabase;
  let redis: Redis;
  let prefix: string;
  let searcher: ServiceProcess;
  let prometheus: ChildProcess;
  let prometheusOutput = "";
  let dir: string;
  let api: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    redis = createRedis(TEST_REDIS_URL);
    prefix = uniqueName("mfnas-test");
    searcher = startService("searcher", {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      METRICS_HOST: "127.0.0.1",
    });
    const target = `127.0.0.1:${await metricsPort(searcher)}`;

    dir = await mkdtemp(path.join(os.tmpdir(), "mfnas-prometheus-"));
    await copyFile(path.join(OPS, "rules.yml"), path.join(dir, "rules.yml"));
    // The shipped configuration's searcher job, pointed at this process and scraped every second.
    await writeFile(
      path.join(dir, "prometheus.yml"),
      [
        "global: { scrape_interval: 1s, evaluation_interval: 1s }",
        "rule_files: [rules.yml]",
        "scrape_configs:",
        "  - job_name: searcher",
        `    static_configs: [{ targets: ["${target}"] }]`,
        "",
      ].join("\n"),
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn(
      prometheusBinary!,
      [
        `--config.file=${path.join(dir, "prometheus.yml")}`,
        `--storage.tsdb.path=${path.join(dir, "data")}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--web.enable-lifecycle",
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    prometheus.stdout?.on("data", (c: Buffer) => (prometheusOutput += c.toString()));
    prometheus.stderr?.on("data", (c: Buffer) => (prometheusOutput += c.toString()));
    await eventually(
      async () => ((await fetch(`${api}/-/ready`).catch(() => undefined))?.ok ? true : undefined),
      180_000,
      "prometheus ready",
    );
  }, 360_000);

  afterAll(async () => {
    prometheus?.kill("SIGTERM");
    searcher?.child.kill("SIGKILL");
    await new Promise((r) => (prometheus?.exitCode !== null ? r(undefined) : prometheus.once("exit", r)));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  async function query(expr: string): Promise<QueryResult["data"]["result"]> {
    const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as QueryResult;
    expect(body.status).toBe("success");
    return body.data.result;
  }

  it("returns the service's series through /api/v1/query, and loads the alert rules", async () => {
    const up = await eventually(
      async () => {
        const result = await query('up{job="searcher"}');
        return result[0]?.value[1] === "1" ? result : undefined;
      },
      180_000,
      `up{job="searcher"} == 1; prometheus said:\n${prometheusOutput}`,
    );
    expect(up).toHaveLength(1);

    const waiting = await query('mfnas_queue_jobs{job="searcher", queue="search", state="waiting"}');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]?.metric["service"]).toBe("searcher");
    expect(waiting[0]?.value[1]).toBe("0");
    const slots = await query('mfnas_worker_concurrency{queue="search"}');
    expect(Number(slots[0]?.value[1])).toBeGreaterThan(0);
    expect(await query("mfnas_worker_utilization_ratio")).toHaveLength(1);

    const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string }> }> };
    };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name)).toEqual(
      expect.arrayContaining(["MfnasQueueStuck", "MfnasPhonesOffline", "MfnasNightlyRunFailed"]),
    );
    // Every PromQL query of the dashboards is accepted by this Prometheus (Grafana's variables expanded).
    const exprs = Object.values(allDashboards()).flatMap((d) =>
      (JSON.parse(JSON.stringify(d.panels ?? [])) as Array<{ targets?: Array<{ expr?: string }> }>).flatMap((p) =>
        (p.targets ?? []).flatMap((t) => (t.expr ? [t.expr] : [])),
      ),
    );
    expect(exprs.length).toBeGreaterThan(30);
    for (const expr of exprs) {
      const expanded = expr.replace(/\$__rate_interval/g, "1m").replace(/\$(queue|device_class)\b/g, ".*");
      const response = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expanded)}`);
      expect(response.status, `${expanded}: ${await response.clone().text()}`).toBe(200);
    }
    // Rules evaluate without error against the live series.
    await eventually(
      async () => {
        const r = (await (await fetch(`${api}/api/v1/rules`)).json()) as typeof rules;
        const all = r.data.groups.flatMap((g) => g.rules);
        return all.every((x) => x.health === "ok") ? true : undefined;
      },
      90_000,
      "every rule evaluated with health ok",
    );
  });
});
