import { describe, expect, it } from "vitest";
import { pinningFor, throttlingBetween, type CoreFrequency } from "./cpu-frequency.ts";

// Snapdragon 865 (SM8250): 4 silver cores at 1.80 GHz, 3 gold at 2.42 GHz and 1 prime at 2.84 GHz, each cluster
// its own cpufreq policy (cpuinfo_max_freq in kHz), as identifyDevice groups them.
const SD865 = [
  { cpus: [0, 1, 2, 3], maxFreqKhz: 1_804_800 },
  { cpus: [4, 5, 6], maxFreqKhz: 2_419_200 },
  { cpus: [7], maxFreqKhz: 2_841_600 },
];

describe("pinningFor", () => {
  it("pins a Snapdragon 865 to its gold and prime cores (f0), or the prime core alone (80)", () => {
    expect(pinningFor(SD865, "big")).toEqual({ policy: "big", mask: "f0", cpus: [4, 5, 6, 7] });
    expect(pinningFor(SD865, "prime")).toEqual({ policy: "prime", mask: "80", cpus: [7] });
    expect(pinningFor([...SD865].reverse(), "big").mask).toBe("f0");
    expect(pinningFor(SD865, "none").mask).toBeNull();
  });

  it("does not pin a one-cluster device", () => {
    expect(pinningFor([{ cpus: [0, 1, 2, 3], maxFreqKhz: 3_000_000 }], "big")).toMatchObject({ mask: null });
  });
});

describe("throttlingBetween", () => {
  const core = (maxKhz: number, governor = "schedutil"): CoreFrequency => ({
    cpu: 7,
    governor,
    curKhz: 2_841_600,
    minKhz: 844_800,
    maxKhz,
  });
  it("flags a lowered frequency cap or a changed governor, not a changing current frequency", () => {
    expect(throttlingBetween([core(2_841_600)], [core(2_841_600)])).toEqual([]);
    expect(throttlingBetween([core(2_841_600)], [{ ...core(2_841_600), curKhz: 1_000_000 }])).toEqual([]);
    expect(throttlingBetween([core(2_841_600)], [core(2_419_200)])).toEqual([
      "cpu7 frequency cap fell from 2841600 to 2419200 kHz",
    ]);
    expect(throttlingBetween([core(2_841_600)], [core(2_841_600, "powersave")])).toEqual([
      "cpu7 governor changed from schedutil to powersave",
    ]);
  });
});
