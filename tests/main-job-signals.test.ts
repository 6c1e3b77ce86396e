import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// Stopping the main job with SIGTERM stops every process it started (services and emulated phones), instead of
// leaving them running.

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("main job process handling", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("stops every process it started when it gets SIGTERM", async () => {
    const logDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-main-signals-"));
    dirs.push(logDir);
    const driver = spawn(process.execPath, ["--import", "tsx", "tests/support/main-job-driver.ts", logDir], {
      cwd: path.resolve(import.meta.dirname, ".."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    driver.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const exited = new Promise<number | null>((resolve) => driver.once("exit", (code) => resolve(code)));
    const pids = await new Promise<number[]>((resolve, reject) => {
      driver.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
        const line = stdout.split("\n").find((l) => l.startsWith("{"));
        if (line) resolve((JSON.parse(line) as { pids: number[] }).pids);
      });
      void exited.then((code) => reject(new Error(`driver exited (${String(code)}) early: ${stderr}`)));
    });
    expect(pids).toHaveLength(3);
    expect(pids.every(alive)).toBe(true);

    driver.kill("SIGTERM");
    expect(await exited).toBe(143);
    expect(stderr).toContain("main job: SIGTERM: stopping the processes it started (first, second");
    // The driver waits for its children before exiting; whatever is left is a leak.
    expect(pids.filter(alive)).toEqual([]);
  });
});
