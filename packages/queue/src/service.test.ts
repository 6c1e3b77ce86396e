import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TEST_REDIS_URL } from "../../../tests/support/env.ts";

const FIXTURE = path.join(import.meta.dirname, "service.fixture.ts");

/** Runs the fixture service; `lines` are its stdout lines, `until` resolves once a line matches. */
function runFixture(...args: string[]) {
  const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, TEST_REDIS_URL, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const w of waiters.filter((w) => w.pattern.test(stdout))) w.resolve();
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    exited,
    stderr: () => stderr,
    messages: () =>
      stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    until: (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        if (pattern.test(stdout)) resolve();
        else waiters.push({ pattern, resolve });
        void exited.then((code) => reject(new Error(`exited ${code} before ${pattern}: ${stdout}${stderr}`)));
      }),
  };
}

describe("runWorkerService", () => {
  it("starts, serves /readyz, runs, says ready with its dependencies, and stops in order on SIGTERM", async () => {
    const service = runFixture();
    await service.until(/"msg":"probe ready"/);
    const messages = service.messages().map((m) => m["msg"]);
    expect(messages).toEqual(["started", "metrics listening", "running", "probe ready"]);
    const ready = service.messages().find((m) => m["msg"] === "probe ready");
    expect(ready).toEqual({ extra: 1, dependencies: { store: "ok", redis: "ok" }, msg: "probe ready" });
    const port = service.messages().find((m) => m["msg"] === "metrics listening")?.["port"];
    const readyz = await fetch(`http://127.0.0.1:${String(port)}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toEqual({ status: "ready", checks: { store: "ok", redis: "ok" } });

    service.child.kill("SIGTERM");
    expect(await service.exited).toBe(0);
    expect(service.messages().map((m) => m["msg"])).toEqual([
      "started",
      "metrics listening",
      "running",
      "probe ready",
      "shutting down: probe work goes back",
      "stopped",
      "store closed",
    ]);
  }, 60_000);

  it("stops with one line and exit 69 when its start function fails", async () => {
    const service = runFixture("fail");
    expect(await service.exited).toBe(69);
    expect(service.stderr()).toBe("probe: cannot start: no GPU backend loaded: none here\n");
    expect(service.messages().map((m) => m["msg"])).not.toContain("metrics listening");
  }, 60_000);
});
