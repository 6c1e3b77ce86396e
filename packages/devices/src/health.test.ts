import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { DeviceDriver, ShellResult } from "./device-driver.ts";
import { healthDecision, readHealth } from "./health.ts";
import { classifyZone } from "./thermal-zones.ts";

/**
 * Every thermal zone of a real Snapdragon 865 (SM8250) phone as `type: raw` in its zone order (fixtures/thermal,
 * with its source).
 */
const SM8250_DUMP = readFileSync(new URL("./fixtures/thermal/sm8250-retroid-pocket-5.txt", import.meta.url), "utf8")
  .trim()
  .split("\n")
  .map((line) => {
    const [type, raw] = line.split(": ");
    return { type: type as string, raw: raw as string };
  });

/** A phone answering the health commands from a zone dump, a battery level and a screen state. */
function phone(zones: ReadonlyArray<{ type: string; raw: string }>, level = 80): DeviceDriver {
  const names = zones.map((_, i) => `thermal_zone${i}`);
  const shell = (_serial: string, argv: readonly string[]): Promise<ShellResult> => {
    const command = argv.join(" ");
    if (command === "dumpsys battery") {
      return Promise.resolve({
        output: `Current Battery Service state:\n  AC powered: false\n  USB powered: true\n  status: 2\n  level: ${level}\n  temperature: 255\n`,
        exitCode: 0,
      });
    }
    if (command === "dumpsys power") {
      return Promise.resolve({ output: "  mWakefulness=Asleep\n  Display Power: state=OFF\n", exitCode: 0 });
    }
    if (command === "ls /sys/class/thermal") {
      return Promise.resolve({ output: `cooling_device0\n${names.join("\n")}\n`, exitCode: 0 });
    }
    if (argv[0] === "grep") {
      const lines = zones.flatMap((z, i) => [
        `/sys/class/thermal/${names[i]}/type:${z.type}`,
        `/sys/class/thermal/${names[i]}/temp:${z.raw}`,
      ]);
      return Promise.resolve({ output: `${lines.join("\n")}\n`, exitCode: 0 });
    }
    return Promise.resolve({ output: `${argv[0]}: not found`, exitCode: 127 });
  };
  return {
    list: () => Promise.resolve([]),
    track: () => Promise.resolve({ stop: () => undefined }),
    shell,
    push: () => Promise.resolve(),
  };
}

describe("thermal zones of a real SM8250 phone, by type", () => {
  it("reads `soc` as the battery's charge, ibat/vbat as currents and voltages, never as temperatures", async () => {
    const health = await readHealth(phone(SM8250_DUMP), "sm8250", { socCode: "sm8250" });
    expect(health.zoneMap).toBe("sm8250");
    expect(health.thermalZones).toHaveLength(70);
    const byType = new Map(health.thermalZones.map((z) => [z.type, z]));
    expect(byType.get("soc")).toMatchObject({
      raw: 72,
      kind: "battery-percent",
      unit: "percent",
      value: 72,
      celsius: null,
    });
    expect(byType.get("pm8150b-ibat-lvl0")).toMatchObject({
      kind: "current",
      unit: "milliampere",
      value: 546,
      celsius: null,
    });
    expect(byType.get("pm8150b-vbat-lvl1")).toMatchObject({
      kind: "voltage",
      unit: "millivolt",
      value: 3986,
      celsius: null,
    });
    expect(byType.get("pm8150l-bcl-lvl0")).toMatchObject({ kind: "bcl-level", celsius: null });
    expect(byType.get("cpu-1-7-usr")).toMatchObject({ kind: "cpu", unit: "millidegree", celsius: 28.8 });
    expect(byType.get("cpuss-1-usr")).toMatchObject({ kind: "cpu", celsius: 31.9 });
    expect(byType.get("gpuss-1-usr")).toMatchObject({ kind: "gpu", celsius: 27.9 });
    expect(byType.get("xo-therm-usr")).toMatchObject({ kind: "skin", celsius: 28.423 });
    expect(byType.get("battery")).toMatchObject({ kind: "battery-temperature", celsius: 25.5 });
    expect(byType.get("pm8150l_tz")).toMatchObject({ kind: "pmic", celsius: 31.359 });
    // A weighted virtual zone (7600) and thermistors not fitted on this board (-40000) say nothing about heat.
    expect(byType.get("gpu-skin-avg-step")).toMatchObject({ kind: "virtual", celsius: null });
    expect(byType.get("camera-therm-usr")).toMatchObject({ kind: "skin", celsius: null });
    // Every temperature read is a plausible one: the units came from the types.
    const temperatures = health.thermalZones.flatMap((z) => (z.celsius === null ? [] : [z.celsius]));
    expect(Math.min(...temperatures)).toBeGreaterThan(25);
    expect(Math.max(...temperatures)).toBeLessThan(35);
  });

  it("accepts the phone at 80% battery (the charge zone reads 72), holding each CPU and GPU zone to the limit", async () => {
    const health = await readHealth(phone(SM8250_DUMP, 80), "sm8250", { socCode: "sm8250" });
    const decision = healthDecision(health, { maxThermalC: 45 });
    expect(decision.problems).toEqual([]);
    expect(decision.fit).toBe(true);
    const used = decision.zonesUsed.map((z) => z.type);
    expect(used).toContain("cpu-1-7-usr");
    expect(used).toContain("cpu-0-0-usr");
    expect(used).toContain("gpuss-0-usr");
    expect(used).toContain("xo-therm-usr");
    for (const excluded of [
      "soc",
      "pm8150b-ibat-lvl0",
      "pm8150b-vbat-lvl0",
      "bms",
      "gpu-skin-avg-step",
      "camera-therm-usr",
    ]) {
      expect(used).not.toContain(excluded);
    }
    expect(decision.zonesUsed.filter((z) => z.kind === "cpu")).toHaveLength(28); // 12 cpu-*-usr, 12 cpu-*-step, cpuss-0/1, apc-0/1-max-step;
    expect(Math.max(...decision.zonesUsed.filter((z) => z.kind === "cpu").map((z) => z.celsius))).toBe(34.6);
  });

  it("refuses it with the hot zone named when cpu-1-7 is hot", async () => {
    const hot = SM8250_DUMP.map((z) => (z.type === "cpu-1-7-usr" ? { ...z, raw: "52300" } : z));
    const decision = healthDecision(await readHealth(phone(hot), "sm8250", { socCode: "sm8250" }), { maxThermalC: 45 });
    expect(decision.fit).toBe(false);
    expect(decision.problems).toEqual(["thermal_zone6 (cpu-1-7-usr, cpu) at 52.3 °C > 45 °C"]);
  });

  it("with no zone map for the SoC, uses only plainly named temperature zones", async () => {
    const health = await readHealth(phone(SM8250_DUMP), "unknown", { socCode: "exynos990" });
    expect(health.zoneMap).toBe("generic");
    const decision = healthDecision(health, { maxThermalC: 45 });
    expect(decision.fit).toBe(true);
    const kinds = new Map(health.thermalZones.map((z) => [z.type, z.kind]));
    expect(kinds.get("soc")).toBe("battery-percent");
    expect(kinds.get("pm8150b-ibat-lvl1")).toBe("current");
    expect(kinds.get("cpu-1-7-usr")).toBe("cpu");
    expect(kinds.get("gpuss-0-usr")).toBe("gpu");
    // Not plainly a temperature without the SoC's map: kept in the reading, left out of the gate.
    expect(kinds.get("ddr-usr")).toBe("unknown");
    expect(kinds.get("pm8150_tz")).toBe("unknown");
    expect(decision.zonesUsed.map((z) => z.type)).not.toContain("ddr-usr");
  });

  it("classifies by type alone: a large current or a 45 °C-looking percentage is never a temperature", () => {
    expect(classifyZone("soc", null)).toEqual({ kind: "battery-percent", unit: "percent" });
    expect(classifyZone("socd", "sm8250")).toEqual({ kind: "battery-percent", unit: "percent" });
    expect(classifyZone("pmi632-ibat-lvl0", null)).toEqual({ kind: "current", unit: "milliampere" });
    expect(classifyZone("soc_thermal", null)).toEqual({ kind: "cpu", unit: "millidegree" });
    expect(classifyZone("cpu-emulated", null)).toEqual({ kind: "cpu", unit: "millidegree" });
  });
});
