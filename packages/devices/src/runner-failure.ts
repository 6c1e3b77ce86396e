import { toolLine } from "./tool-line.ts";

/**
 * Whose fault a failed benchmark_model run is, from what the tool and the phone's shell printed:
 * - `model`: the runtime cannot load or run this model (an op or op version it does not know, an invalid model, a
 *   requested delegate that refused it). Any phone with the same runtime fails the same way: the request fails for
 *   good at once and is recorded against the architecture.
 * - `phone`: the phone cannot run the tool (missing, not executable, wrong ABI, libraries not found) or lost the
 *   pushed model: the phone's problem, not the job's.
 * - `unknown`: anything else (a crash, a kill); retried, possibly on another phone.
 * A lost adb connection never gets here: the driver reports it as a transient error.
 */
export type RunnerFailureKind = "model" | "phone" | "unknown";

export interface RunnerFailure {
  readonly kind: RunnerFailureKind;
  /** The line that decided it (the tool's or the shell's own words), or the output's last line. */
  readonly reason: string;
}

const MODEL: readonly RegExp[] = [
  // tensorflow/lite/core/api/flatbuffer_conversions & op resolver: an op (version) this runtime does not have.
  /^Didn't find op for builtin opcode/,
  /^Didn't find custom op for name/,
  /^Encountered unresolved custom op/,
  /^Op builtin_code out of range/,
  /^Operator with CUSTOM builtin_code has no custom_code/,
  /^Registration failed/,
  // The model file is there but is not a model this runtime reads.
  /^The model is not a valid Flatbuffer/,
  /^Model provided has model identifier/,
  /^Failed to (?:initialize|construct) (?:the )?interpreter/,
  /^Failed to allocate tensors/,
  /^Node number \d+ \([\w ]+\) failed to (?:prepare|invoke)/,
  // The requested delegate refused the model: the same on every phone of the class.
  /^Failed to apply \w+ delegate/,
];

const PHONE: readonly RegExp[] = [
  /not executable: (?:32|64)-bit ELF file/,
  /CANNOT LINK EXECUTABLE/,
  /inaccessible or not found$/,
  /: (?:not found|Permission denied|No such file or directory)$/,
  // benchmark_model: the pushed model is not where it was put.
  /^Could not open '[^']*'/,
];

/** Classifies a benchmark_model run that exited with `exitCode` (non-zero) after printing `output`. */
export function classifyRunnerFailure(output: string, exitCode: number): RunnerFailure {
  const lines = output
    .split(/\r?\n/)
    .map(toolLine)
    .filter((l) => l !== "");
  const find = (patterns: readonly RegExp[]) => lines.find((l) => patterns.some((p) => p.test(l)));
  const phone = find(PHONE);
  if (phone !== undefined) return { kind: "phone", reason: phone };
  // 126/127: the shell could not execute the tool at all.
  if (exitCode === 126 || exitCode === 127) {
    return { kind: "phone", reason: lines.at(-1) ?? `runner exited ${exitCode}` };
  }
  const model = find(MODEL);
  if (model !== undefined) return { kind: "model", reason: model };
  return { kind: "unknown", reason: lines.at(-1) ?? `runner exited ${exitCode}` };
}
