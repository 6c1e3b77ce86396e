import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { DeviceDriver, ShellResult } from "./device-driver.ts";
import { provisionRunner } from "./runner-provisioning.ts";

const SHA = "a".repeat(64);

/** A phone whose runner answers `run` (the shell's output and exit status) to any invocation. */
function phone(run: ShellResult): DeviceDriver {
  return {
    list: () => Promise.resolve([]),
    track: () => Promise.resolve({ stop: () => undefined }),
    shell: (_serial, argv) =>
      Promise.resolve(argv[0] === "sha256sum" ? { output: `${SHA}  ${argv[1]}\n`, exitCode: 0 } : run),
    push: () => Promise.resolve(),
  };
}

describe("provisionRunner", () => {
  it("a runner the phone's shell cannot execute (a real phone's words) is not ready, with that reason", async () => {
    const output = readFileSync(new URL("./fixtures/runner-failures/runner-wrong-abi.txt", import.meta.url), "utf8");
    const check = await provisionRunner(phone({ output, exitCode: 1 }), "s", {
      path: "/data/local/tmp/benchmark_model",
    });
    expect(check).toMatchObject({
      ready: false,
      reason: "/system/bin/sh: ./benchmark_model: not executable: 64-bit ELF file",
      sha256: SHA,
      pushed: false,
    });
  });

  it("a runner that starts (TF 1.x prints STARTING! bare, newer ones with INFO:) is ready", async () => {
    for (const output of ["STARTING!\nCould not open 'x'.\n", "INFO: STARTING!\nERROR: Could not open 'x'.\n"]) {
      const check = await provisionRunner(phone({ output, exitCode: 1 }), "s", {
        path: "/data/local/tmp/benchmark_model",
      });
      expect(check).toMatchObject({ ready: true, reason: null, sha256: SHA });
    }
  });
});
