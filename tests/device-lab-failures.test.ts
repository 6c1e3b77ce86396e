import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { measureQueue } from "@mfnas/core";
import { EMULATED_RUNNER_PATH, HOST_CPU_DEVICE_CLASS } from "@mfnas/devices";
import { openLab, type Lab } from "./support/device-lab.ts";
import { eventually } from "./support/processes.ts";

// Runner failures on a real adb server with an emulated phone: a model the runtime cannot load fails for good at
// once and is recorded against the architecture; a phone without a working runner is the phone's problem.
describe("device lab runner failures", () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await openLab({ adbPort: 5051 });
  });
  afterAll(() => lab?.close());

  const measure = (requestKey: string, artifactSha256: string, retryFailed = false) =>
    lab.measure(requestKey, { artifactSha256 }, retryFailed);
  const settled = (jobId: string) => lab.settled(jobId, 50_000);

  it("a model the runtime cannot load fails for good at once and is recorded against the architecture", async () => {
    // Not a TFLite flatbuffer: LiteRT refuses to build an interpreter from it, on any phone.
    const broken = await lab.artifacts.put({
      bytes: new TextEncoder().encode("TFL3 this is not a model".repeat(64)),
      kind: "tflite",
      metadata: { note: "not a model" },
    });
    const job = await settled(await measure("unloadable", broken.sha256));
    expect(await job.getState()).toBe("failed");
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/cannot run this model: Failed to construct interpreter/);
    const failure = await lab.db.measurementFailure.findUniqueOrThrow({ where: { requestKey: "unloadable" } });
    expect(failure).toMatchObject({
      architectureHash: lab.architectureHash,
      deviceClass: HOST_CPU_DEVICE_CLASS,
      serial: lab.phones[0]!.serial,
    });
    expect(failure.reason).toMatch(/^Failed to construct interpreter/);
    expect(failure.rawOutput).toMatch(/ERROR: Failed to construct interpreter/);
    expect(await lab.db.measurement.count({ where: { requestKey: "unloadable" } })).toBe(0);

    // Asked again, it fails at once from the record, without running anything on a phone.
    const again = await settled(await measure("unloadable", broken.sha256, true));
    expect(await again.getState()).toBe("failed");
    expect(again.attemptsMade).toBe(1);
    expect(again.failedReason).toMatch(/cannot run this model \(recorded on /);
    // The phone is fine: it measures a good model next.
    const good = await settled(await measure("good-after-unloadable", lab.artifactSha256));
    expect(await good.getState()).toBe("completed");
  });

  it("a phone whose runner is gone is marked not ready with the reason and takes no more jobs", async () => {
    const phone = lab.phones[0]!;
    const removed = await lab.adb.driver.shell(phone.serial, ["rm", "-f", EMULATED_RUNNER_PATH]);
    expect(removed.exitCode).toBe(0);
    const jobId = await measure("no-runner", lab.artifactSha256);
    const row = await eventually(
      async () => {
        const d = await lab.db.device.findUniqueOrThrow({ where: { serial: phone.serial } });
        return d.state === "quarantined" ? d : undefined;
      },
      30_000,
      "phone quarantined",
    );
    expect(row.quarantineReason).toMatch(/^not ready: .*benchmark_model: (?:not found|inaccessible or not found)$/);
    await eventually(
      () => Promise.resolve(lab.agent.agent.attached().includes(phone.serial) ? undefined : true),
      30_000,
      "worker closed",
    );
    // The job is not failed for good: it waits for another phone of the class.
    const job = (await lab.producer.queue(measureQueue(HOST_CPU_DEVICE_CLASS).name).getJob(jobId))!;
    expect(["waiting", "delayed", "prioritized"]).toContain(await job.getState());
    expect(await lab.db.measurementFailure.count({ where: { requestKey: "no-runner" } })).toBe(0);
  });
});
