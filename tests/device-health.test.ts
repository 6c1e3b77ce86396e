import { readFile, rm, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awaitHealthy, startEmulatedPhones, type AdbDriver, type RunningEmulatedPhone } from "@mfnas/devices";
import { startAdbServer } from "./support/device-lab.ts";

// The health gate over a real adb server on an emulated phone whose thermal zones are those of a real Snapdragon
// 865 (SM8250) phone: every zone of packages/devices/src/fixtures/thermal/sm8250-retroid-pocket-5.txt written as the
// phone's /sys/class/thermal files, read back by `ls` and `grep -H` over adb.
describe("health gate on an emulated phone with a real SM8250 thermal dump", () => {
  const ADB_PORT = 5049;
  let adb: { driver: AdbDriver; stop(): Promise<void> };
  let phone: RunningEmulatedPhone;

  const file = (phonePath: string) => path.join(phone.root, phonePath);
  async function seedZones(override: Readonly<Record<string, string>> = {}) {
    const dump = await readFile(
      new URL("../packages/devices/src/fixtures/thermal/sm8250-retroid-pocket-5.txt", import.meta.url),
      "utf8",
    );
    await rm(file("/sys/class/thermal"), { recursive: true, force: true });
    for (const [i, line] of dump.trim().split("\n").entries()) {
      const [type, raw] = line.split(": ") as [string, string];
      const dir = file(`/sys/class/thermal/thermal_zone${i}`);
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, "type"), `${type}\n`);
      await writeFile(path.join(dir, "temp"), `${override[type] ?? raw}\n`);
    }
  }

  beforeAll(async () => {
    adb = await startAdbServer(ADB_PORT);
    [phone] = (await startEmulatedPhones(1, { adb: { port: ADB_PORT } })) as [RunningEmulatedPhone];
    await writeFile(file("/sys/class/power_supply/battery/capacity"), "80\n");
  });
  afterAll(async () => {
    await phone?.stop();
    await adb?.stop();
  });

  it("passes at 80% battery with cool CPU zones, reading `soc` (72) as the charge", async () => {
    await seedZones();
    const gate = await awaitHealthy(adb.driver, phone.serial, {
      socCode: "sm8250",
      thresholds: { maxThermalC: 45 },
      maxWaitMs: 1_000,
      pollMs: 100,
    });
    expect(gate.readings).toBe(1);
    expect(gate.decision).toMatchObject({ fit: true, problems: [], zoneMap: "sm8250" });
    expect(gate.health.battery.levelPercent).toBe(80);
    expect(gate.health.thermalZones.find((z) => z.type === "soc")).toMatchObject({
      kind: "battery-percent",
      celsius: null,
    });
    expect(gate.decision.zonesUsed.map((z) => z.type)).toContain("cpu-1-7-usr");
  });

  it("with a hot cpu-1-7 zone, waits and then refuses with the zone named", async () => {
    await seedZones({ "cpu-1-7-usr": "61500" });
    const reads: number[] = [];
    const counting: AdbDriver = Object.create(adb.driver) as AdbDriver;
    counting.shell = (serial, argv, options) => {
      if (argv[0] === "grep") reads.push(reads.length);
      return adb.driver.shell(serial, argv, options);
    };
    await expect(
      awaitHealthy(counting, phone.serial, {
        socCode: "sm8250",
        thresholds: { maxThermalC: 45 },
        maxWaitMs: 3_000,
        pollMs: 200,
      }),
    ).rejects.toThrow(/did not cool down within 3000 ms: thermal_zone6 \(cpu-1-7-usr, cpu\) at 61\.5 °C > 45 °C$/);
    expect(reads.length).toBeGreaterThan(1);
  });
});
