import { MfnasError, RUNTIMES, type Runtime } from "@mfnas/core";
import type { RuntimeRunner } from "./runtime-runner.ts";
import { tfliteRunner } from "./tflite-runner.ts";

/**
 * The one choice of runner by runtime. Its type requires an entry for every runtime core lists, so a runtime
 * cannot be added to `RUNTIMES` (and accepted in specs) without a runner here.
 */
export const RUNTIME_RUNNERS: { readonly [R in Runtime]: RuntimeRunner } = {
  tflite: tfliteRunner,
};

/** The runner of `runtime`; a runtime without one is `unsupported`, naming the runtimes that have one. */
export function runnerFor(runtime: string): RuntimeRunner {
  if (!Object.hasOwn(RUNTIME_RUNNERS, runtime)) {
    throw new MfnasError(
      "unsupported",
      `runtime ${JSON.stringify(runtime)} has no runner; runtimes: ${RUNTIMES.join(", ")}`,
      { field: "runtime", runtimes: [...RUNTIMES] },
    );
  }
  return RUNTIME_RUNNERS[runtime as Runtime];
}
