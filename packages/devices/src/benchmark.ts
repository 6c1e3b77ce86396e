import { createHash } from "node:crypto";
import { MfnasError } from "@mfnas/core";
import type { BenchmarkResult } from "./benchmark-output.ts";
import type { DeviceDriver } from "./device-driver.ts";
import { classifyRunnerFailure, type RunnerFailureKind } from "./runner-failure.ts";
import type { RunnerCommand } from "./runtime-runner.ts";
import { assertDevicePath } from "./shell-quote.ts";
import {
  DEFAULT_CONFIDENCE_RULE,
  confidenceReached,
  summarize,
  type ConfidenceRule,
  type Summary,
} from "./statistics.ts";

/** Where pushed models live on a phone, one file per content hash. */
export const DEVICE_MODEL_DIR = "/data/local/tmp/mfnas";

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Puts a model on the phone under its content hash. A file already there with the right sha256 is reused; a new
 * one is pushed to a temporary name, its sha256 checked on the phone, then moved into place, so a dropped push
 * never leaves a wrong file under a hash name.
 */
export async function pushArtifact(
  driver: DeviceDriver,
  serial: string,
  bytes: Uint8Array,
  options: { readonly dir?: string; readonly extension?: string; readonly signal?: AbortSignal } = {},
): Promise<{ remotePath: string; cached: boolean; sha256: string }> {
  const digest = sha256(bytes);
  const dir = assertDevicePath(options.dir ?? DEVICE_MODEL_DIR, "model directory");
  const remotePath = `${dir}/${digest}${options.extension ?? ".tflite"}`;
  const call = { timeoutMs: 60_000, ...(options.signal ? { signal: options.signal } : {}) };
  const onPhone = async (file: string) => {
    const { output, exitCode } = await driver.shell(serial, ["sha256sum", file], call);
    return exitCode === 0 ? (/^([0-9a-f]{64})\s/.exec(output)?.[1] ?? null) : null;
  };
  if ((await onPhone(remotePath)) === digest) return { remotePath, cached: true, sha256: digest };
  await driver.shell(serial, ["mkdir", "-p", dir], call);
  const temp = `${remotePath}.part-${process.pid}-${Date.now()}`;
  await driver.push(serial, bytes, temp, call);
  const pushed = await onPhone(temp);
  if (pushed !== digest) {
    await driver.shell(serial, ["rm", "-f", temp], call).catch(() => undefined);
    throw new MfnasError(
      "transient",
      `push to ${serial} corrupted ${remotePath}: sha256 ${pushed ?? "unreadable"} != ${digest}`,
      {
        serial,
      },
    );
  }
  const moved = await driver.shell(serial, ["mv", temp, remotePath], call);
  if (moved.exitCode !== 0) throw new MfnasError("transient", `mv on ${serial} failed: ${moved.output.slice(0, 200)}`);
  return { remotePath, cached: false, sha256: digest };
}

export interface BenchmarkRun {
  readonly result: BenchmarkResult;
  readonly rawOutput: string;
  readonly wallMs: number;
}

/** What a failed run's error carries in `details`, for the caller to act on. */
export interface RunnerFailureDetails {
  readonly serial: string;
  readonly exitCode: number;
  readonly failure: RunnerFailureKind;
  readonly reason: string;
  /** The tool's output, cut to its last 4000 characters. */
  readonly output: string;
}

/** The runner failure a `runBenchmark` error describes, if it is one. */
export function runnerFailureOf(error: unknown): RunnerFailureDetails | null {
  if (!(error instanceof MfnasError)) return null;
  const details = error.details as Partial<RunnerFailureDetails> | undefined;
  return details?.failure !== undefined && typeof details.reason === "string"
    ? (details as RunnerFailureDetails)
    : null;
}

/**
 * Runs a runner's command once and parses its output with the runner's parser. A run that exits non-zero is classified
 * (`classifyRunnerFailure`): a model the runtime cannot load is `unsupported` (permanent), a phone that cannot
 * run the tool `transient`, anything else `invalid_input`; each carries `RunnerFailureDetails`. Garbage output
 * with exit 0 is `invalid_input`.
 */
export async function runBenchmark(
  driver: DeviceDriver,
  serial: string,
  command: RunnerCommand,
  options: { readonly signal?: AbortSignal; readonly timeoutMs?: number } = {},
): Promise<BenchmarkRun> {
  const started = performance.now();
  const { output, exitCode } = await driver.shell(serial, command.argv, {
    timeoutMs: options.timeoutMs ?? 15 * 60_000,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const wallMs = performance.now() - started;
  if (exitCode !== 0) {
    const { kind, reason } = classifyRunnerFailure(output, exitCode);
    const details: RunnerFailureDetails = { serial, exitCode, failure: kind, reason, output: output.slice(-4000) };
    switch (kind) {
      case "model":
        throw new MfnasError("unsupported", `the runtime on ${serial} cannot run this model: ${reason}`, {
          ...details,
        });
      case "phone":
        throw new MfnasError("transient", `${serial} cannot run ${command.tool}: ${reason}`, { ...details });
      case "unknown": {
        const tail = output.trim().split("\n").slice(-3).join(" | ");
        throw new MfnasError(
          "invalid_input",
          `${command.tool} on ${serial} exited ${exitCode}: ${tail.slice(0, 400)}`,
          { ...details },
        );
      }
    }
  }
  return { result: command.parse(output), rawOutput: output, wallMs };
}

export interface RepeatedMeasurement {
  readonly runs: readonly BenchmarkRun[];
  /** Over the runs' "Inference (avg)" values, in ms. */
  readonly summary: Summary;
  readonly stopReason: "confident" | "max-repetitions";
  readonly rule: Required<ConfidenceRule>;
}

/** Repeats a runner's command until the confidence rule is met (or its maximum); each run's average is one sample. */
export async function measureUntilConfident(
  driver: DeviceDriver,
  serial: string,
  command: RunnerCommand,
  options: {
    readonly rule?: ConfidenceRule;
    readonly signal?: AbortSignal;
    readonly onRun?: (run: BenchmarkRun, index: number) => void | Promise<void>;
    /** Called before each repetition (e.g. to read the cores' frequencies). */
    readonly beforeRun?: (index: number) => void | Promise<void>;
  } = {},
): Promise<RepeatedMeasurement> {
  const rule = { ...DEFAULT_CONFIDENCE_RULE, ...options.rule };
  const runs: BenchmarkRun[] = [];
  for (;;) {
    await options.beforeRun?.(runs.length);
    const run = await runBenchmark(driver, serial, command, options.signal ? { signal: options.signal } : {});
    runs.push(run);
    await options.onRun?.(run, runs.length - 1);
    const samples = runs.map((r) => r.result.inferenceAvgUs / 1000);
    const decision = confidenceReached(samples, rule);
    if (decision.done) {
      return {
        runs,
        summary: summarize(samples),
        stopReason: decision.reason === "confident" ? "confident" : "max-repetitions",
        rule,
      };
    }
  }
}
