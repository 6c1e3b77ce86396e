import { MfnasError, RUNTIMES, type RuntimeConfig } from "@mfnas/core";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { RUNTIME_RUNNERS, runnerFor, runBenchmark, type DeviceDriver } from "./index.ts";

const CONFIG: RuntimeConfig = {
  runtime: "tflite",
  threads: 2,
  delegate: "xnnpack",
  precision: "fp32",
  warmupRuns: 1,
  runs: 3,
};
const RUNNER = { path: "/data/local/tmp/benchmark_model", version: "tflite 2.16.1" };

/** A driver whose shell answers every command with one recorded output, keeping the argv it was given. */
function recordingDriver(output: string, exitCode = 0): DeviceDriver & { argvs: (readonly string[])[] } {
  const argvs: (readonly string[])[] = [];
  const refuse = () => Promise.reject(new Error("not used"));
  return {
    argvs,
    list: refuse,
    track: refuse,
    push: refuse,
    shell: (_serial: string, argv: readonly string[]) => {
      argvs.push(argv);
      return Promise.resolve({ output, exitCode });
    },
  };
}

describe("the runner table", () => {
  it("has exactly one runner for each runtime core lists, keyed by its own runtime", () => {
    expect(Object.keys(RUNTIME_RUNNERS).sort()).toEqual([...RUNTIMES].sort());
    for (const runtime of RUNTIMES) expect(runnerFor(runtime).runtime).toBe(runtime);
  });

  it.each(["onnxruntime", "tfjs", "host-onnx", "constructor"])("refuses %s, naming the runtimes it has", (runtime) => {
    expect(() => runnerFor(runtime)).toThrow(MfnasError);
    expect(() => runnerFor(runtime)).toThrow(`runtime "${runtime}" has no runner; runtimes: ${RUNTIMES.join(", ")}`);
  });
});

describe("the TFLite runner", () => {
  it("builds benchmark_model's argv and pushes .tflite models", () => {
    const runner = runnerFor("tflite");
    const command = runner.command(RUNNER, "/data/local/tmp/mfnas/m.tflite", { ...CONFIG, cpuAffinity: "f0" });
    expect(runner.modelExtension).toBe(".tflite");
    expect(command.tool).toBe("benchmark_model");
    expect(command.argv.slice(0, 4)).toEqual(["taskset", "f0", RUNNER.path, "--graph=/data/local/tmp/mfnas/m.tflite"]);
    expect(command.argv).toContain("--num_threads=2");
    expect(command.argv).toContain("--use_xnnpack=true");
  });

  it("is what runBenchmark runs and parses with: a real phone's output comes back as its figures", async () => {
    const output = await readFile(
      path.join(import.meta.dirname, "fixtures/benchmark-model/tf2.4-mi11-cpu-peak-memory.txt"),
      "utf8",
    );
    const command = runnerFor("tflite").command(RUNNER, "/data/local/tmp/mfnas/m.tflite", CONFIG);
    const driver = recordingDriver(output);
    const run = await runBenchmark(driver, "phone-1", command);
    expect(driver.argvs).toEqual([command.argv]);
    expect(run.result).toEqual(command.parse(output));
    expect(run.result.inferenceAvgUs).toBeGreaterThan(0);
  });

  it("names its tool when the phone cannot run it", async () => {
    const command = runnerFor("tflite").command(RUNNER, "/data/local/tmp/mfnas/m.tflite", CONFIG);
    await expect(
      runBenchmark(recordingDriver("/system/bin/sh: benchmark_model: not found", 127), "phone-1", command),
    ).rejects.toThrow("phone-1 cannot run benchmark_model");
  });
});
