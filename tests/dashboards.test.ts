import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { allDashboards, dashboardJson } from "../scripts/dashboards/index.ts";
import { pushDashboards } from "../scripts/dashboards/grafana-api.ts";
import { createTestDatabase, ROOT, type TestDatabase } from "./support/database.ts";

// Dashboards as code: the committed JSON is what the builders generate, it type-checks against the Grafana
// foundation SDK's types (panel options per visualization included), every query names a provisioned datasource,
// every SQL query runs on the real schema, and the push command speaks Grafana's HTTP API.

const DIR = path.join(ROOT, "ops/grafana/dashboards");
const generated = allDashboards();

interface Target {
  refId?: string;
  datasource?: { uid?: string; type?: string };
  expr?: string;
  rawSql?: string;
}
interface JsonPanel {
  type: string;
  title?: string;
  id?: number;
  targets?: Target[];
  gridPos?: { x: number; y: number; w: number; h: number };
}

function panelsOf(d: dashboard.Dashboard): JsonPanel[] {
  return JSON.parse(JSON.stringify(d.panels ?? [])) as JsonPanel[];
}

/** Grafana's SQL macros and this dashboard's variables replaced by what they expand to. */
export function expandSql(rawSql: string, schedules: string[]): string {
  return rawSql
    .replace(/\$__timeFilter\(([^)]+)\)/g, "$1 BETWEEN now() - interval '3650 days' AND now() + interval '1 day'")
    .replace(/\$schedule/g, schedules.map((s) => `'${s}'`).join(","));
}

describe("generated dashboards", () => {
  it("are committed as generated (npm run dashboards) and provisioned from the folder Grafana reads", async () => {
    expect(Object.keys(generated).sort()).toEqual(["device-lab.json", "operations.json", "searches.json"]);
    for (const [file, d] of Object.entries(generated)) {
      expect(await readFile(path.join(DIR, file), "utf8"), file).toBe(dashboardJson(d));
    }
    const provider = parse(
      await readFile(path.join(ROOT, "ops/grafana/provisioning/dashboards/mfnas.yaml"), "utf8"),
    ) as {
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(provider.providers[0]).toMatchObject({
      type: "file",
      options: { path: "/var/lib/grafana/dashboards/mfnas" },
    });
  });

  it("have unique uids and panel ids, panels inside the 24-column grid, and queries on provisioned datasources", async () => {
    const sources = parse(
      await readFile(path.join(ROOT, "ops/grafana/provisioning/datasources/mfnas.yaml"), "utf8"),
    ) as { datasources: Array<{ uid: string; type: string }> };
    const provisioned = new Map(sources.datasources.map((s) => [s.uid, s.type]));
    const uids = Object.values(generated).map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const d of Object.values(generated)) {
      const panels = panelsOf(d);
      expect(new Set(panels.map((p) => p.id)).size, d.title).toBe(panels.length);
      for (const panel of panels) {
        const where = `${d.title} / ${panel.title ?? panel.type}`;
        expect(panel.gridPos, where).toBeDefined();
        expect(panel.gridPos!.x + panel.gridPos!.w, where).toBeLessThanOrEqual(24);
        if (panel.type === "row") continue;
        expect(panel.targets?.length, where).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          expect(provisioned.get(target.datasource?.uid ?? ""), where).toBe(target.datasource?.type);
          expect(target.expr ?? target.rawSql, where).toBeTruthy();
        }
      }
    }
  });

  it("type-check against the Grafana foundation SDK's types, and a misspelt option does not", async () => {
    const dir = await mkdtemp(path.join(ROOT, ".tmp-dashboard-types-"));
    try {
      const header = `
        import type * as common from "@grafana/grafana-foundation-sdk/common";
        import type * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
        import type * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
        import type * as stat from "@grafana/grafana-foundation-sdk/stat";
        import type * as table from "@grafana/grafana-foundation-sdk/table";
        import type * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
        // Queries as JSON: the SDK's Dataquery variant marker is a method, not data.
        type PromQuery = Omit<prometheus.Dataquery, "_implementsDataqueryVariant">;
        type SqlQuery = { refId: string; datasource: common.DataSourceRef; rawSql: string;
          format: "time_series" | "table"; rawQuery: true; editorMode: "code" };
        type Panel<T extends string, O, C> = Omit<dashboard.Panel, "type" | "targets" | "options" | "fieldConfig"> & {
          type: T; targets?: (PromQuery | SqlQuery)[]; options?: O;
          fieldConfig?: { defaults: Omit<dashboard.FieldConfig, "custom"> & { custom?: C };
            overrides: dashboard.FieldConfigSource["overrides"] };
        };
        type AnyPanel = Panel<"timeseries", timeseries.Options, timeseries.FieldConfig>
          | Panel<"stat", stat.Options, Record<string, never>>
          | Panel<"table", table.Options, table.FieldConfig>
          | dashboard.RowPanel;
        // As JSON: the SDK's string enums are their string values.
        type Json<T> = T extends string ? \`\${T}\` : T extends number | boolean | null | undefined ? T
          : T extends readonly (infer U)[] ? Json<U>[] : T extends object ? { [K in keyof T]: Json<T[K]> } : T;
        type JsonDashboard = Json<Omit<dashboard.Dashboard, "panels"> & { panels?: AnyPanel[] }>;
      `;
      const files: string[] = [];
      for (const [file, d] of Object.entries(generated)) {
        const name = path.join(dir, `${file.replace(".json", "")}.ts`);
        await writeFile(name, `${header}\nexport const d: JsonDashboard = ${dashboardJson(d)};\n`);
        files.push(name);
      }
      // The control: one legend option misspelt must be caught.
      const broken = JSON.parse(dashboardJson(generated["operations.json"]!)) as {
        panels: Array<{ options?: object }>;
      };
      const graphPanel = broken.panels.find((p) => p.options && "legend" in p.options)!;
      graphPanel.options = { ...graphPanel.options, legendd: {} };
      const control = path.join(dir, "control.ts");
      await writeFile(control, `${header}\nexport const d: JsonDashboard = ${JSON.stringify(broken)};\n`);

      const program = ts.createProgram([...files, control], {
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        target: ts.ScriptTarget.ES2022,
        types: [],
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => ({
        file: diagnostic.file ? path.basename(diagnostic.file.fileName) : "",
        text: ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"),
      }));
      expect(diagnostics.filter((x) => x.file !== "control.ts")).toEqual([]);
      expect(
        diagnostics
          .filter((x) => x.file === "control.ts")
          .map((x) => x.text)
          .join("\n"),
      ).toMatch(/legendd/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 360_000);
});

describe("the searches dashboard's SQL on the real schema", () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it("runs every query and reads the Pareto history of nightly runs from ScheduleRun, Search and Generation", async () => {
    const schedule = await database.db.schedule.create({
      data: { name: "nightly", cron: "0 3 * * *", searchSpec: {}, enabled: false },
    });
    const slots = [new Date(Date.now() - 2 * 86_400_000), new Date(Date.now() - 86_400_000)];
    const volumes = [0.41, 0.47];
    for (const [i, slot] of slots.entries()) {
      const search = await database.db.search.create({
        data: {
          name: `nightly ${i}`,
          spec: {},
          seed: i,
          status: "succeeded",
          scheduleId: schedule.id,
          lastGeneration: 1,
          startedAt: slot,
          finishedAt: new Date(slot.getTime() + 60_000),
        },
      });
      for (const index of [0, 1]) {
        await database.db.generation.create({
          data: {
            searchId: search.id,
            index,
            population: [],
            front: index === 1 ? ["a", "b", "c"] : ["a"],
            hypervolume: index === 1 ? volumes[i]! : 0.1,
          },
        });
      }
      await database.db.scheduleRun.create({ data: { scheduleId: schedule.id, slot, searchId: search.id } });
    }
    await database.db.scheduleRun.create({ data: { scheduleId: schedule.id, slot: new Date(), searchId: null } });

    const queries = Object.values(generated)
      .flatMap((d) => panelsOf(d).flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, sql: t.rawSql }))))
      .filter((q): q is { title: string; sql: string } => typeof q.sql === "string");
    expect(queries.length).toBeGreaterThanOrEqual(5);
    const results = new Map<string, Array<Record<string, unknown>>>();
    for (const q of queries) results.set(q.title, await database.sql(expandSql(q.sql, ["nightly"])));

    const history = results.get("Final front hypervolume per run")!;
    expect(history.map((r) => [new Date(r["time"] as string).getTime(), r["metric"], r["value"]])).toEqual(
      slots.map((s, i) => [s.getTime(), "nightly", volumes[i]]),
    );
    expect(results.get("Final front size per run")!.map((r) => r["value"])).toEqual([3, 3]);
    const runs = results.get("Runs")!;
    expect(runs.map((r) => r["status"])).toEqual(["skipped", "succeeded", "succeeded"]);
    expect(runs[1]).toMatchObject({ generations: 2, hypervolume: 0.47, "front size": 3 });
    expect(results.get("Hypervolume by generation, searches of the period")).toHaveLength(4);
    expect(Number(results.get("Succeeded runs in the period")![0]!["value"])).toBe(2);
    // The schedule variable's query.
    const variable = generated["searches.json"]!.templating?.list?.[0]?.query as string;
    expect(await database.sql(variable)).toEqual([{ name: "nightly" }]);
  });
});

describe("dashboards:push", () => {
  const requests: Array<{ method?: string; url?: string; auth?: string; type?: string; body: unknown }> = [];
  let refuse = false;
  let base = "";
  const server = createServer((req: IncomingMessage, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      const body = JSON.parse(text) as { dashboard: { uid: string } };
      requests.push({
        method: req.method,
        url: req.url,
        auth: req.headers.authorization,
        type: req.headers["content-type"],
        body,
      });
      if (refuse) {
        res.writeHead(412, { "content-type": "application/json" });
        res.end(JSON.stringify({ message: "version-mismatch", status: "version-mismatch" }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      const uid = body.dashboard.uid;
      res.end(JSON.stringify({ id: 1, uid, url: `/d/${uid}/x`, status: "success", version: 3, slug: "x" }));
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("POSTs each dashboard to /api/dashboards/db with the service-account token, overwrite and the folder", async () => {
    requests.length = 0;
    const results = await pushDashboards(Object.values(generated), {
      url: `${base}/grafana`,
      token: "glsa_test_token",
      folderUid: "mfnas",
    });
    expect(results.map((r) => r.uid)).toEqual(["mfnas-operations", "mfnas-device-lab", "mfnas-searches"]);
    expect(results.every((r) => r.status === "success" && r.version === 3)).toBe(true);
    expect(requests).toHaveLength(3);
    for (const r of requests) {
      expect(r).toMatchObject({
        method: "POST",
        url: "/grafana/api/dashboards/db",
        auth: "Bearer glsa_test_token",
        type: "application/json",
        body: { overwrite: true, folderUid: "mfnas" },
      });
      const sent = (r.body as { dashboard: dashboard.Dashboard }).dashboard;
      expect(sent.id).toBeUndefined();
      expect(sent.panels?.length).toBeGreaterThan(0);
    }
    expect((requests[2]!.body as { dashboard: unknown }).dashboard).toEqual(
      JSON.parse(await readFile(path.join(DIR, "searches.json"), "utf8")),
    );
  });

  it("stops at a refusal with Grafana's message; the command exits non-zero, and 78 without a token", async () => {
    refuse = true;
    try {
      await expect(pushDashboards(Object.values(generated), { url: base, token: "t" })).rejects.toThrow(
        /mfnas-operations: HTTP 412 version-mismatch/,
      );
      const run = (env: Record<string, string>) =>
        new Promise<{ code: number | null; output: string }>((resolve) => {
          const child = spawn(process.execPath, ["--import", "tsx", "scripts/dashboards/push.ts"], {
            cwd: ROOT,
            env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp", ...env },
          });
          let output = "";
          child.stdout.on("data", (c: Buffer) => (output += c.toString()));
          child.stderr.on("data", (c: Buffer) => (output += c.toString()));
          child.on("exit", (code) => resolve({ code, output }));
        });
      expect(await run({ GRAFANA_URL: base })).toMatchObject({ code: 78 });
      const refused = await run({ GRAFANA_URL: base, GRAFANA_TOKEN: "t" });
      expect(refused.code).toBe(1);
      expect(refused.output).toMatch(/version-mismatch/);
      refuse = false;
      const ok = await run({ GRAFANA_URL: base, GRAFANA_TOKEN: "t" });
      expect(ok.code, ok.output).toBe(0);
      expect(ok.output).toMatch(/mfnas-searches: success version 3/);
    } finally {
      refuse = false;
    }
  }, 180_000);
});
