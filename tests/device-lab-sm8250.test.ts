import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { HealthDecision } from "@mfnas/devices";
import { openLab, type Lab } from "./support/device-lab.ts";
import { eventually } from "./support/processes.ts";

// The health gate in the lab, end to end on a real adb server: an emulated phone with the SM8250 profile (a real
// Snapdragon 865's properties, CPU clusters and every thermal zone) at 80 % battery. With cool CPU zones it passes
// the gate and measures; with a hot `cpu-1-7-usr` it waits the configured cool-down and the attempt is refused
// with the zone named; cooled again, the retried job measures.
describe("device lab with an SM8250 phone: the health gate", () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await openLab({
      adbPort: 5183,
      phoneOptions: { profile: "sm8250", batteryLevel: 80 },
      agentOptions: {
        config: {
          measure: {
            thresholds: { maxThermalC: 45, maxBatteryTempC: 40, minBatteryLevel: 20 },
            // A short cool-down wait keeps the test short; DEVICE_LAB_COOLDOWN_MAX_WAIT_MS sets it in service.
            cooldown: { maxWaitMs: 1_500, pollMs: 250 },
            confidence: { relativeHalfWidth: 0.5, minRepetitions: 2, maxRepetitions: 3 },
          },
        },
      },
    });
  });
  afterAll(() => lab?.close());

  it("registers the phone as a Snapdragon 865 read by its zone map", async () => {
    const device = await lab.db.device.findUniqueOrThrow({ where: { serial: lab.phones[0]!.serial } });
    expect(device).toMatchObject({ model: "IN2023", soc: "Snapdragon 865", androidVersion: "11", state: "online" });
    expect(device.manufacturer).toMatch(/emulated/);
    expect((device.health as { zoneMap?: string }).zoneMap).toBe("sm8250");
  });

  it("at 80 % battery with cool CPU zones passes the gate and measures, storing the decision", async () => {
    const job = await lab.settled(await lab.measure("sm8250-cool"), 90_000);
    expect(await job.getState()).toBe("completed");
    const m = await lab.db.measurement.findUniqueOrThrow({ where: { requestKey: "sm8250-cool" } });
    const conditions = m.conditions as unknown as {
      healthDecision: HealthDecision;
      healthBefore: { battery: { levelPercent: number }; thermalZones: Array<{ type: string; kind: string }> };
      pinning: { mask: string };
    };
    expect(conditions.healthDecision).toMatchObject({ fit: true, problems: [], zoneMap: "sm8250" });
    const used = conditions.healthDecision.zonesUsed.map((z) => z.type);
    expect(used).toContain("cpu-1-7-usr");
    // Qualcomm's battery-limiter zones are in the reading but never in the gate.
    expect(used).not.toContain("soc");
    expect(used).not.toContain("pm8150b-ibat-lvl0");
    expect(conditions.healthBefore.battery.levelPercent).toBe(80);
    expect(conditions.healthBefore.thermalZones.find((z) => z.type === "soc")?.kind).toBe("battery-percent");
    expect(conditions.pinning.mask).toBe("f0");
  });

  it("with a hot cpu-1-7 zone waits, refuses naming the zone, and measures once it cooled", async () => {
    const phone = lab.phones[0]!;
    await phone.setThermalZone("cpu-1-7-usr", 61_500);
    const runsBefore = phone.output().match(/benchmark started/g)?.length ?? 0;
    const jobId = await lab.measure("sm8250-hot");
    const refused = await eventually(
      async () => {
        const job = await lab.queue.getJob(jobId);
        return job && job.attemptsMade >= 1 && job.failedReason ? job : undefined;
      },
      30_000,
      "the first attempt refused",
    );
    expect(refused.failedReason).toMatch(
      /did not cool down within 1500 ms: thermal_zone\d+ \(cpu-1-7-usr, cpu\) at 61\.5 °C > 45 °C/,
    );
    expect(await refused.getState()).toBe("delayed");
    // The refusal is also the phone's latest gate outcome, kept in its health (the device page's JSON).
    const lastGate = await eventually(
      async () => {
        const device = await lab.db.device.findUniqueOrThrow({ where: { serial: phone.serial } });
        const gate = (device.health as { lastGate?: { fit: boolean; requestKey: string; problems: string[] } })
          .lastGate;
        return gate?.requestKey === "sm8250-hot" ? gate : undefined;
      },
      10_000,
      "the refusal in the phone's health",
    );
    expect(lastGate.fit).toBe(false);
    expect(lastGate.problems).toEqual([
      expect.stringMatching(/^thermal_zone\d+ \(cpu-1-7-usr, cpu\) at 61\.5 °C > 45 °C$/),
    ]);
    expect(phone.output().match(/benchmark started/g)?.length ?? 0).toBe(runsBefore);
    expect(await lab.db.measurement.count({ where: { requestKey: "sm8250-hot" } })).toBe(0);

    await phone.setThermalZone("cpu-1-7-usr", 30_000);
    const job = await lab.settled(jobId, 90_000);
    expect(await job.getState()).toBe("completed");
    const m = await lab.db.measurement.findUniqueOrThrow({ where: { requestKey: "sm8250-hot" } });
    const decision = (m.conditions as unknown as { healthDecision: HealthDecision }).healthDecision;
    expect(decision.fit).toBe(true);
    expect(decision.zonesUsed.find((z) => z.type === "cpu-1-7-usr")?.celsius).toBe(30);
  });
});
