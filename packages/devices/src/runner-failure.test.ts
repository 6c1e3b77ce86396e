import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { classifyRunnerFailure } from "./runner-failure.ts";

/** Real outputs (fixtures/*, each with a .source file citing where it was printed). */
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.txt`, import.meta.url), "utf8");

describe("classifyRunnerFailure on what real phones and tools printed", () => {
  it("an op version the runtime does not have is the model's, for good", () => {
    expect(classifyRunnerFailure(fixture("runner-failures/tf-nightly-unknown-op-version"), 1)).toEqual({
      kind: "model",
      reason:
        "Didn't find op for builtin opcode 'MUL' version '5'. An older version of this builtin might be supported. Are you using an old TFLite binary with a newer model?",
    });
  });

  it("a delegate that refuses the model is the model's (on that runtime config)", () => {
    expect(classifyRunnerFailure(fixture("benchmark-model/tf2.4-mi11-nnapi-failed"), 1)).toMatchObject({
      kind: "model",
      reason: "Node number 248 (TfLiteNnapiDelegate) failed to prepare.",
    });
  });

  it("a runner the phone's shell cannot execute is the phone's", () => {
    expect(classifyRunnerFailure(fixture("runner-failures/runner-wrong-abi"), 1)).toEqual({
      kind: "phone",
      reason: "/system/bin/sh: ./benchmark_model: not executable: 64-bit ELF file",
    });
    // Android's mksh for a missing file, and a shell's own 127.
    expect(
      classifyRunnerFailure("/system/bin/sh: /data/local/tmp/benchmark_model: inaccessible or not found\n", 127).kind,
    ).toBe("phone");
    expect(classifyRunnerFailure("", 127).kind).toBe("phone");
    expect(classifyRunnerFailure("ERROR: Could not open '/data/local/tmp/mfnas/x.tflite'.\n", 1).kind).toBe("phone");
  });

  it("a crash with no verdict is unknown (retried)", () => {
    expect(
      classifyRunnerFailure("STARTING!\nLoaded model /data/local/tmp/m.tflite\nSegmentation fault\n", 139),
    ).toEqual({
      kind: "unknown",
      reason: "Segmentation fault",
    });
  });
});
