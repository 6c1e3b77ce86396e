import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, ROOT, uniqueName, type TestDatabase } from "./support/database.ts";
import { TEST_REDIS_URL } from "./support/env.ts";
import { freePort, isAlive } from "./support/processes.ts";

// `npm run services` as a person runs it: every worker of a single-machine deployment and an emulated phone, each
// its own process, ready; SIGTERM stops all of them and leaves nothing running.

describe("npm run services", () => {
  let database: TestDatabase;
  let workDir: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    workDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-services-"));
  });
  afterAll(async () => {
    await database.drop();
    await rm(workDir, { recursive: true, force: true });
  });

  it("starts every service and an emulated phone, and stops them all on SIGTERM", async () => {
    const port = await freePort();
    // What `npm run services` runs, as this test's own child, so that SIGTERM reaches it alone: stopping the
    // services and the phone is its job, not the signal's.
    const script = (
      JSON.parse(await readFile(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
    ).scripts["services"];
    expect(script).toBe("tsx scripts/services.ts");
    const command = spawn(process.execPath, ["--import", "tsx", "scripts/services.ts"], {
      cwd: ROOT,
      env: {
        PATH: process.env["PATH"] ?? "",
        HOME: process.env["HOME"] ?? "/tmp",
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: uniqueName("services"),
        ARTIFACT_DIR: path.join(workDir, "artifacts"),
        OUTPUT_DIR: workDir,
        API_PORT: String(port),
        // Each service's metrics server on a free port: other tests run services on this host too.
        METRICS_PORT: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    command.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => command.once("exit", (code) => resolve(code)));
    const ready = await new Promise<string>((resolve, reject) => {
      command.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        const line = stdout.split("\n").find((l) => l.startsWith("services: ready: "));
        if (line) resolve(line);
      });
      void exited.then((code) => reject(new Error(`npm run services exited (${String(code)}): ${stdout}${stderr}`)));
    });

    const started = [...ready.matchAll(/(\S+(?: \S+)*?) \(pid (\d+)\)/g)].map((m) => ({
      name: (m[1] ?? "").replace(/^.*, /, "").replace(/^services: ready: /, ""),
      pid: Number(m[2]),
    }));
    const names = started.map((s) => s.name);
    expect(names.slice(0, 6)).toEqual(["api", "trainer", "evaluator", "searcher", "scheduler", "device-lab"]);
    expect(names[6]).toMatch(/^emulated phone 127\.0\.0\.1:\d+$/);
    expect(started.every((s) => isAlive(s.pid))).toBe(true);
    for (const service of names.slice(0, 6)) {
      expect(await readFile(path.join(workDir, "logs", `${service}.log`), "utf8")).toContain(`${service} ready`);
    }
    const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toMatchObject({ status: "ready", checks: { postgres: "ok", redis: "ok" } });

    command.kill("SIGTERM");
    expect(await exited).toBe(143);
    expect(stderr).toContain("services: SIGTERM: stopping the processes it started");
    expect(started.filter((s) => isAlive(s.pid))).toEqual([]);
  });
});
