import { MfnasError, type RuntimeConfig } from "@mfnas/core";
import { parseBenchmarkOutput } from "./benchmark-output.ts";
import type { RunnerConfig, RuntimeRunner } from "./runtime-runner.ts";
import { assertDevicePath, flag } from "./shell-quote.ts";

/**
 * benchmark_model's argv for a runtime config: threads, warm-up and run counts (with the minimum-duration flags
 * at 0 so the counts are exact), the delegate, `--report_peak_memory_footprint=true` (the tool prints a peak memory
 * figure only when asked; tools older than the flag warn "Unconsumed cmdline flags" and run on), and `taskset MASK`
 * in front for a CPU affinity.
 */
export function benchmarkArgv(runner: RunnerConfig, graphPath: string, config: RuntimeConfig): string[] {
  assertDevicePath(runner.path, "runner path");
  assertDevicePath(graphPath, "graph path");
  if (config.cpuAffinity !== undefined && !/^[0-9a-f]{1,4}$/.test(config.cpuAffinity)) {
    throw new MfnasError("invalid_input", `cpuAffinity ${JSON.stringify(config.cpuAffinity)} must be 1-4 hex digits`, {
      field: "cpuAffinity",
    });
  }
  const delegate: string[] = (() => {
    switch (config.delegate) {
      case "cpu":
        return [flag("use_xnnpack", false)];
      case "xnnpack":
        return [flag("use_xnnpack", true)];
      case "gpu":
        return [flag("use_gpu", true), flag("gpu_precision_loss_allowed", config.precision === "fp16")];
      case "nnapi":
        return [flag("use_nnapi", true)];
      case "hexagon":
        return [flag("use_hexagon", true)];
    }
  })();
  return [
    ...(config.cpuAffinity !== undefined ? ["taskset", config.cpuAffinity] : []),
    runner.path,
    flag("graph", graphPath),
    flag("num_threads", config.threads),
    flag("warmup_runs", config.warmupRuns),
    flag("warmup_min_secs", 0),
    flag("num_runs", config.runs),
    flag("min_secs", 0),
    flag("max_secs", 600),
    flag("report_peak_memory_footprint", true),
    ...delegate,
  ];
}

/** TensorFlow Lite: the phone's benchmark_model, its argv from `benchmarkArgv`, its output read by `parseBenchmarkOutput`. */
export const tfliteRunner: RuntimeRunner = {
  runtime: "tflite",
  modelExtension: ".tflite",
  command: (runner, modelPath, config) => ({
    tool: "benchmark_model",
    argv: benchmarkArgv(runner, modelPath, config),
    parse: parseBenchmarkOutput,
  }),
};
