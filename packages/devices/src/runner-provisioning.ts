import { createHash } from "node:crypto";
import type { DeviceDriver } from "./device-driver.ts";
import { DEVICE_MODEL_DIR } from "./benchmark.ts";
import { classifyRunnerFailure } from "./runner-failure.ts";
import { assertDevicePath, flag } from "./shell-quote.ts";
import { toolLine } from "./tool-line.ts";

/** Whether a phone's benchmark_model runs, and which binary it is (recorded with the device and each measurement). */
export interface RunnerCheck {
  readonly ready: boolean;
  /** Why it is not ready, in the phone's or the tool's words; null when ready. */
  readonly reason: string | null;
  readonly path: string;
  /** sha256 of the binary on the phone; null when there is none. */
  readonly sha256: string | null;
  /** Whether this check pushed the binary (it was missing or different). */
  readonly pushed: boolean;
  readonly checkedAt: string;
}

export interface ProvisionOptions {
  /** Where the runner lives on the phone. */
  readonly path: string;
  /** The binary for the phone's ABI, when the operator provided one: pushed when the phone's differs. */
  readonly binary?: Uint8Array;
  readonly signal?: AbortSignal;
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * Makes sure a phone has a working benchmark_model: pushes the operator's binary for its ABI when the phone's is
 * missing or different (temporary name, mode 755, sha256 checked on the phone, then moved into place), then runs
 * it once against a model path that does not exist. Every benchmark_model from TF 1.x on prints `STARTING!` before
 * it opens the model, so that line proves the binary executes on this phone; anything else (the shell's "not
 * found", "not executable: 64-bit ELF file", a linker error) is the reason it is not ready.
 */
export async function provisionRunner(
  driver: DeviceDriver,
  serial: string,
  options: ProvisionOptions,
): Promise<RunnerCheck> {
  const path = assertDevicePath(options.path, "runner path");
  const call = { timeoutMs: 60_000, ...(options.signal ? { signal: options.signal } : {}) };
  const onPhone = async (file: string) => {
    const { output, exitCode } = await driver.shell(serial, ["sha256sum", file], call);
    return exitCode === 0 ? (/^([0-9a-f]{64})\s/.exec(output)?.[1] ?? null) : null;
  };
  let current = await onPhone(path);
  let pushed = false;
  if (options.binary && current !== sha256(options.binary)) {
    const digest = sha256(options.binary);
    const temp = `${path}.part-${process.pid}-${Date.now()}`;
    await driver.shell(serial, ["mkdir", "-p", path.slice(0, path.lastIndexOf("/")) || "/"], call);
    await driver.push(serial, options.binary, temp, call);
    await driver.shell(serial, ["chmod", "755", temp], call);
    const written = await onPhone(temp);
    if (written !== digest) {
      await driver.shell(serial, ["rm", "-f", temp], call).catch(() => undefined);
      return notReady(path, current, false, `pushed runner arrived as sha256 ${written ?? "unreadable"}`);
    }
    const moved = await driver.shell(serial, ["mv", temp, path], call);
    if (moved.exitCode !== 0) return notReady(path, current, false, `mv failed: ${moved.output.trim().slice(0, 200)}`);
    current = digest;
    pushed = true;
  }
  const probe = `${DEVICE_MODEL_DIR}/mfnas-runner-check-no-such-model.tflite`;
  const { output, exitCode } = await driver.shell(serial, [path, flag("graph", probe)], call);
  const started = output.split(/\r?\n/).some((line) => toolLine(line) === "STARTING!");
  if (started) return { ready: true, reason: null, path, sha256: current, pushed, checkedAt: new Date().toISOString() };
  const reason =
    current === null && exitCode === 127
      ? `no runner at ${path}: ${classifyRunnerFailure(output, exitCode).reason}`
      : classifyRunnerFailure(output, exitCode).reason;
  return notReady(path, current, pushed, reason);
}

function notReady(path: string, sha: string | null, pushed: boolean, reason: string): RunnerCheck {
  return { ready: false, reason, path, sha256: sha, pushed, checkedAt: new Date().toISOString() };
}
