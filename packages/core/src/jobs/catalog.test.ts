import { describe, expect, it } from "vitest";
import { JOBS, MfnasError, isPermanent, jobDefinition, measureQueue, validatePayload } from "../index.ts";

const sha = "a".repeat(64);

describe("job catalog", () => {
  it("has unique namespaced names and deterministic ids without ':'", () => {
    const names = Object.values(JOBS).map((j) => j.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z]+\.[a-z-]+$/);
    const payload = {
      requestKey: "abc.1",
      architectureHash: sha,
      artifactSha256: sha,
      deviceClass: "sm8250-tflite-cpu4",
      runtimeConfig: { runtime: "tflite", threads: 4, delegate: "xnnpack", precision: "fp32", warmupRuns: 5, runs: 50 },
      inputHeight: 64,
      inputWidth: 64,
    } as const;
    const a = JOBS.measure.jobId(validatePayload("devicelab.measure", payload));
    expect(a).toBe(JOBS.measure.jobId(validatePayload("devicelab.measure", { ...payload })));
    expect(a).not.toContain(":");
    expect(JOBS.measure.queue(payload).name).toBe("measure.sm8250-tflite-cpu4");
    const slot = { scheduleId: "7d8a4c5e-1f0b-4a3c-9d2e-6b5a4c3d2e1f", slot: "2026-11-29T02:00:00Z" };
    expect(JOBS.scheduleFire.jobId(slot)).not.toContain(":");
    expect(JOBS.scheduleFire.jobId(slot)).toBe(JOBS.scheduleFire.jobId({ ...slot }));
  });

  it("rejects bad payloads with a permanent error naming the field", () => {
    const bad = () => validatePayload("trainer.train-supernet", { supernetId: "x" });
    expect(bad).toThrow(MfnasError);
    expect(bad).toThrow(/supernetId/);
    try {
      bad();
    } catch (e) {
      expect(isPermanent(e)).toBe(true);
      expect((e as MfnasError).code).toBe("invalid_payload");
    }
    expect(() => validatePayload("search.run", { searchId: "7d8a4c5e-1f0b-4a3c-9d2e-6b5a4c3d2e1f", more: 1 })).toThrow(
      /Unrecognized key/,
    );
  });

  it("rejects unknown job names and unsafe device classes", () => {
    expect(() => jobDefinition("search.nope")).toThrow(/unknown job name "search.nope"/);
    expect(() => measureQueue("Pixel 8; rm -rf /")).toThrow(/device class/);
  });

  it("classifies errors for retry decisions", () => {
    expect(isPermanent(new MfnasError("transient", "x"))).toBe(false);
    expect(isPermanent(new MfnasError("timeout", "x"))).toBe(false);
    expect(isPermanent(new Error("socket hang up"))).toBe(false);
    expect(isPermanent(new MfnasError("not_found", "x"))).toBe(true);
  });
});
