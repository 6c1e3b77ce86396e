import type { Runtime, RuntimeConfig } from "@mfnas/core";
import type { BenchmarkResult } from "./benchmark-output.ts";

/** The benchmark runner on one device: where its binary is and which version it is (recorded with results). */
export interface RunnerConfig {
  /** Absolute path of the runtime's benchmark tool on the phone, e.g. /data/local/tmp/benchmark_model. */
  readonly path: string;
  /** Version recorded with every measurement, e.g. "tflite 2.16.1". */
  readonly version: string;
  /** sha256 of the binary on the phone, as its provisioning check found it. */
  readonly sha256?: string;
}

/** One run of a runtime's benchmark tool: what the phone's shell runs and how its output is read. */
export interface RunnerCommand {
  /** The tool's name in messages, e.g. "benchmark_model". */
  readonly tool: string;
  readonly argv: readonly string[];
  /** Reads the tool's output; output that is not a complete report is refused (`invalid_input`). */
  parse(output: string): BenchmarkResult;
}

/**
 * How the device lab measures with one runtime. Each runtime of core's `RUNTIMES` has exactly one, in
 * `RUNTIME_RUNNERS`; the measure job asks `runnerFor` and never branches on the runtime itself.
 */
export interface RuntimeRunner {
  readonly runtime: Runtime;
  /** Extension of models pushed for this runtime, e.g. ".tflite". */
  readonly modelExtension: string;
  /** The command for one run of `modelPath` with `config`; bad paths or flags are refused before anything runs. */
  command(runner: RunnerConfig, modelPath: string, config: RuntimeConfig): RunnerCommand;
}
