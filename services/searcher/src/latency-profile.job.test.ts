import { describe, expect, it } from "vitest";
import { MfnasError, kernelFigures, kernelKey, type PayloadOf } from "@mfnas/core";
import { parseProfile, type KernelMeasurer } from "@mfnas/latency";
import { createLatencyProfileHandler } from "./latency-profile.job.ts";

const PAYLOAD: PayloadOf<"latency.profile"> = {
  deviceClass: "sm8250",
  runtimeConfig: { runtime: "tflite", threads: 4, delegate: "xnnpack", precision: "fp32", warmupRuns: 5, runs: 50 },
  inputHeight: 16,
  inputWidth: 16,
  space: { scales: [2], trunkWidths: [16], branchWidths: [8], branchKinds: ["conv3"], depth: { min: 1, max: 1 } },
};
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** A handler over a measurer that answers each kernel with `answer`, and a report store in memory. */
function handlerWith(answer: (key: string, macs: number) => number | Error) {
  const stored: { text: string; metadata: Record<string, unknown> }[] = [];
  const measurer: KernelMeasurer = {
    measureKernels: (kernels) =>
      Promise.resolve(new Map(kernels.map((k) => [kernelKey(k), answer(kernelKey(k), kernelFigures(k).macs)]))),
  };
  const handler = createLatencyProfileHandler({
    kernelMeasurer: () => measurer,
    putReport: (bytes, metadata) => {
      stored.push({ text: new TextDecoder().decode(bytes), metadata });
      return Promise.resolve({ sha256: "f".repeat(64) });
    },
    log: quiet,
  });
  const run = (payload = PAYLOAD) =>
    handler({
      payload,
      jobId: "j",
      attemptsMade: 0,
      signal: new AbortController().signal,
      progress: () => Promise.resolve(),
    });
  return { run, stored };
}

describe("latency.profile handler", () => {
  it("stores the measured kernels and names the ones that failed", async () => {
    const { run, stored } = handlerWith((key, macs) =>
      key.startsWith("skip") ? new Error("model rejected") : 0.1 + macs / 1e8,
    );
    const result = await run();
    expect(result.failed).toBe(1);
    expect(result.measured).toBe(result.kernels - 1);
    const profile = parseProfile(stored[0]?.text ?? "");
    expect(Object.values(profile.failed)).toEqual(["model rejected"]);
    expect(profile.scope).toMatchObject({
      deviceClass: "sm8250",
      input: { height: 16, width: 16 },
      statistic: "median",
    });
    expect(stored[0]?.metadata).toMatchObject({ report: "kernel-profile", measured: result.measured, failed: 1 });
  });

  it("fails for good when no kernel could be measured, and refuses a space outside the default one", async () => {
    const { run, stored } = handlerWith(() => new Error("runner missing"));
    const error = await run().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MfnasError);
    expect((error as MfnasError).code).toBe("unsupported");
    expect((error as MfnasError).message).toMatch(/no kernel could be measured on sm8250 \(.+: runner missing\)/);
    expect(stored).toEqual([]);
    const bad = await run({ ...PAYLOAD, space: { depth: { min: 99 } } }).catch((e: unknown) => e);
    expect((bad as MfnasError).code).toBe("invalid_input");
  });
});
