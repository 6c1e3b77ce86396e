import { createHash } from "node:crypto";
import { QueueEvents } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EMULATED_RUNNER_PATH, type RunnerCheck } from "@mfnas/devices";
import { runnerBinaries } from "@mfnas/device-lab";
import { openLab, type Lab } from "./support/device-lab.ts";
import { eventually } from "./support/processes.ts";

// A phone without benchmark_model on a real adb server: shown "not ready" and given no job; once the operator
// uploads a runner for its ABI (an artifact of kind runner, as POST /v1/artifacts stores it), the agent pushes it,
// checks that it runs, and the phone measures.
describe("runner provisioning", () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await openLab({ adbPort: 5053, agent: false });
  });
  afterAll(() => lab?.close());

  const device = (serial: string) => lab.db.device.findUniqueOrThrow({ where: { serial } });
  const runnerOf = async (serial: string) =>
    ((await device(serial)).health as unknown as { runner?: RunnerCheck }).runner;

  it("a phone with no runner is not ready and gets no job; after the binary is provided it is pushed and measures", async () => {
    const phone = lab.phones[0]!;
    // The phone's own runner, as the operator's "binary" for its ABI; then the phone loses it.
    const binary = new TextEncoder().encode(
      (await lab.adb.driver.shell(phone.serial, ["cat", EMULATED_RUNNER_PATH])).output,
    );
    const abi = (await lab.adb.driver.shell(phone.serial, ["getprop", "ro.product.cpu.abi"])).output.trim();
    expect((await lab.adb.driver.shell(phone.serial, ["rm", "-f", EMULATED_RUNNER_PATH])).exitCode).toBe(0);

    // The agent starts with what the service's main.ts passes: the runner uploaded last for the phone's ABI (no
    // runner directory here). Its attach fails the runner check, so settling leaves the phone not ready.
    await lab.startAgent({ deps: { runnerBinaries: runnerBinaries(lab.db, lab.artifacts) } });
    // Attach (and its runner check) may be retried at a heartbeat when a first attempt failed on a busy machine.
    const row = await eventually(
      async () => {
        const d = await lab.db.device.findUnique({ where: { serial: phone.serial } });
        return d?.state === "quarantined" ? d : undefined;
      },
      30_000,
      "phone marked not ready",
    );
    expect(row.quarantineReason).toMatch(/^not ready: no runner at \/data\/local\/tmp\/benchmark_model: /);
    expect(lab.agent.agent.attached()).not.toContain(phone.serial);

    const jobId = await lab.measure("after-provisioning");
    // Checked again at a later heartbeat, still without a runner: the job still waits.
    const first = (await runnerOf(phone.serial))!.checkedAt;
    await eventually(
      async () => ((await runnerOf(phone.serial))?.checkedAt !== first ? true : undefined),
      30_000,
      "checked again",
    );
    const queue = lab.queue;
    expect(await (await queue.getJob(jobId))!.getState()).toBe("waiting");

    const events = new QueueEvents(queue.name, { connection: lab.redis.duplicate(), prefix: lab.prefix });
    await events.waitUntilReady();
    try {
      // Stored as an upload stores a runner; the emulated phone's runner is a script, not the ELF binary the
      // upload route would insist on, so it goes to the store directly.
      await lab.artifacts.put({ bytes: binary, kind: "runner", metadata: { upload: "runner", abi } });
      const job = (await queue.getJob(jobId))!;
      await job.waitUntilFinished(events, 60_000);
    } finally {
      await events.close();
    }
    const ready = await device(phone.serial);
    expect(ready.state).toBe("online");
    expect(ready.quarantineReason).toBeNull();
    const sha256 = createHash("sha256").update(binary).digest("hex");
    expect((ready.health as unknown as { runner: RunnerCheck }).runner).toMatchObject({
      ready: true,
      pushed: true,
      sha256,
    });
    const m = await lab.db.measurement.findUniqueOrThrow({ where: { requestKey: "after-provisioning" } });
    expect((m.conditions as { runner: { sha256: string } }).runner.sha256).toBe(sha256);
  });
});
