import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CoreFrequency } from "@mfnas/devices";
import { openLab, type Lab } from "./support/device-lab.ts";

// Pinning on a real adb server: an emulated phone with the `sm8250` profile, whose /sys/devices/system/cpu has a
// Snapdragon 865's cluster layout (4 silver, 3 gold, 1 prime core, each cluster its own cpufreq policy), is measured
// under `taskset f0`, and the gold and prime cores' governor and frequencies are stored around every repetition.
describe("big-core pinning from the phone's clusters", () => {
  let lab: Lab;

  beforeAll(async () => {
    lab = await openLab({ adbPort: 5055, phoneOptions: { profile: "sm8250" } });
  });
  afterAll(() => lab?.close());

  it("runs under taskset f0 and stores the gold and prime cores' frequencies per repetition", async () => {
    const job = await lab.settled(await lab.measure("pinned"), 60_000);
    expect(await job.getState()).toBe("completed");
    const m = await lab.db.measurement.findUniqueOrThrow({ where: { requestKey: "pinned" } });
    const conditions = m.conditions as unknown as {
      command: string;
      cpuAffinity: string;
      pinning: { policy: string; mask: string; cpus: number[] };
      perRepetition: Array<{ frequencies: { before: CoreFrequency[]; after: CoreFrequency[]; throttling: string[] } }>;
      throttledRepetitions: number;
    };
    expect(conditions.pinning).toEqual({ policy: "big", mask: "f0", cpus: [4, 5, 6, 7] });
    expect(conditions.cpuAffinity).toBe("f0");
    expect(conditions.command).toMatch(/^taskset f0 \/data\/local\/tmp\/benchmark_model /);
    expect(m.rawOutput).toMatch(/=== repetition 1: taskset f0 /);
    expect(conditions.perRepetition).toHaveLength(m.samples);
    for (const r of conditions.perRepetition) {
      expect(r.frequencies.before.map((f) => f.cpu)).toEqual([4, 5, 6, 7]);
      expect(r.frequencies.after[3]).toEqual({
        cpu: 7,
        governor: "schedutil",
        curKhz: 2_841_600,
        minKhz: 844_800,
        maxKhz: 2_841_600,
      });
      expect(r.frequencies.throttling).toEqual([]);
    }
    expect(conditions.throttledRepetitions).toBe(0);
  });
});
