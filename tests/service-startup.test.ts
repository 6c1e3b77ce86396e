import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, uniqueName, type TestDatabase } from "./support/database.ts";
import { TEST_REDIS_URL } from "./support/env.ts";
import { metricsPort, startService, type ServiceProcess } from "./support/processes.ts";
import { parsePrometheusText, samplesOf } from "./support/prometheus-text.ts";

// Readiness means ready: every service waits for PostgreSQL and Redis before it says "ready" (and says what they
// answered), /readyz reports each, and a service whose store is unreachable stops with one line naming it.
const SERVICES = ["api", "searcher", "scheduler", "trainer", "evaluator", "device-lab"] as const;

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

describe("service start-up and readiness", () => {
  let database: TestDatabase;
  let artifactDir: string;
  const started: ServiceProcess[] = [];
  const env = () => ({
    DATABASE_URL: database.url,
    REDIS_URL: TEST_REDIS_URL,
    QUEUE_PREFIX: uniqueName("startup"),
    ARTIFACT_DIR: artifactDir,
    API_PORT: "0",
    EVALUATOR_BACKEND: "cpu",
    LOG_LEVEL: "info",
  });
  beforeAll(async () => {
    database = await createTestDatabase();
    artifactDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-startup-"));
  });
  afterAll(async () => {
    for (const s of started) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    await database.drop();
    await rm(artifactDir, { recursive: true, force: true });
  });

  /** Waits for the process to exit 69 after one line `<service>: cannot start: ...` containing `expected`. */
  async function cannotStart(process: ServiceProcess, service: string, expected: string): Promise<string> {
    started.push(process);
    const { code } = await process.exited;
    const output = process.output();
    const lines = output.split("\n").filter((l) => l.includes("cannot start"));
    expect(code, output).toBe(69);
    expect(lines, output).toHaveLength(1);
    expect(lines[0], output).toMatch(new RegExp(`^${service}: cannot start: `));
    expect(lines[0], output).toContain(expected);
    expect(output, "no stack trace").not.toMatch(/^\s+at /m);
    return output;
  }

  it("stops every service with one line naming an unreachable PostgreSQL or Redis, exit code 69", async () => {
    const port = await closedPort();
    const runs = [
      ...SERVICES.map((service) => ({
        service,
        env: {
          ...env(),
          STARTUP_WAIT_MS: "2000",
          DATABASE_URL: `postgresql://postgres:secret@127.0.0.1:${port}/mfnas`,
        },
        expected: `postgres unreachable at 127.0.0.1:${port}/mfnas: `,
      })),
      {
        service: "searcher",
        env: { ...env(), STARTUP_WAIT_MS: "2000", REDIS_URL: `redis://127.0.0.1:${port}` },
        expected: `redis unreachable at 127.0.0.1:${port}: connect ECONNREFUSED`,
      },
    ];
    await Promise.all(
      runs.map(async (run) => {
        const output = await cannotStart(startService(run.service, run.env), run.service, run.expected);
        expect(output).not.toContain("secret");
      }),
    );
  }, 180_000);

  it("refuses to start, one line and exit 69, when a GPU is asked for and none loaded (no fallback to a CPU)", async () => {
    const runs: Array<{ service: string; env: Record<string, string>; expected: string }> = [
      { service: "trainer", env: { REQUIRE_GPU: "1" }, expected: "the wasm backend loaded instead" },
      {
        service: "trainer",
        env: { TRAINER_BACKEND: "tensorflow-gpu" },
        expected: 'backend "tensorflow-gpu" is not available',
      },
      {
        service: "evaluator",
        env: { REQUIRE_GPU: "true" },
        expected: "the onnxruntime path runs on ONNX Runtime's CPU provider",
      },
      {
        service: "evaluator",
        env: { EVALUATOR_ORT_PROVIDER: "cuda" },
        expected: "ONNX Runtime's CUDA execution provider failed",
      },
    ];
    await Promise.all(
      runs.map(async (run) => {
        const process = startService(run.service, { ...env(), ...run.env });
        const output = await cannotStart(process, run.service, `no GPU backend loaded: ${run.expected}`);
        expect(output).not.toMatch(/ready/);
      }),
    );
  }, 180_000);

  it("says which compute backend really loaded: the ready line, /readyz and mfnas_compute_backend_info", async () => {
    const trainer = startService("trainer", env());
    const evaluator = startService("evaluator", env());
    started.push(trainer, evaluator);
    const expected = [
      { process: trainer, name: "trainer", compute: { tfjs: "wasm", accelerator: "cpu" } },
      {
        process: evaluator,
        name: "evaluator",
        compute: { tfjs: "cpu", onnxruntime: "cpu", path: "onnxruntime", accelerator: "cpu" },
      },
    ];
    for (const { process, name, compute } of expected) {
      const port = await metricsPort(process);
      await process.waitFor(new RegExp(`${name} ready`), 120_000);
      expect(process.output()).toMatch(new RegExp(`"accelerator":"cpu"[^\n]*"msg":"${name} ready"`));
      const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(readyz.status).toBe(200);
      expect(await readyz.json()).toEqual({ status: "ready", checks: { postgres: "ok", redis: "ok" }, compute });
      const families = parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
      expect(samplesOf(families, "mfnas_compute_backend_info"), name).toEqual([
        { name: "mfnas_compute_backend_info", labels: { ...compute, service: name }, value: 1 },
      ]);
    }
  }, 180_000);

  it("says ready with what PostgreSQL and Redis answered, and /readyz reports each", async () => {
    const searcher = startService("searcher", env());
    started.push(searcher);
    const port = await metricsPort(searcher);
    await searcher.waitFor(/searcher ready/, 120_000);
    expect(searcher.output()).toMatch(/"dependencies":\{"postgres":"ok","redis":"ok"\}[^\n]*"msg":"searcher ready"/);
    const readyz = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(readyz.status).toBe(200);
    expect(await readyz.json()).toEqual({ status: "ready", checks: { postgres: "ok", redis: "ok" } });
  }, 180_000);
});
