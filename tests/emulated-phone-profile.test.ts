import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_SEARCH_SPACE, smallestGenome } from "@mfnas/core";
import {
  identifyDevice,
  parseBenchmarkOutput,
  pushArtifact,
  readCoreFrequencies,
  readHealth,
  startEmulatedPhones,
  type AdbDriver,
  type RunningEmulatedPhone,
} from "@mfnas/devices";
import { exportGenerator } from "@mfnas/export";
import { randomWeights } from "./support/random-weights.ts";
import { startAdbServer } from "./support/device-lab.ts";

const run = promisify(execFile);

// The emulated phone's `sm8250` profile as the lab reads it over a real adb server: the getprop, clusters,
// frequencies, battery and every thermal zone of a real Snapdragon 865 phone, and a runner that behaves like the
// real benchmark_model on the points the lab depends on.
describe("emulated phone with the SM8250 profile", () => {
  const ADB_PORT = 5181;
  let adb: { driver: AdbDriver; stop(): Promise<void> };
  let phone: RunningEmulatedPhone;
  let dump: Array<[string, number]>;

  beforeAll(async () => {
    adb = await startAdbServer(ADB_PORT);
    [phone] = (await startEmulatedPhones(1, {
      adb: { port: ADB_PORT },
      profile: "sm8250",
      batteryLevel: 80,
    })) as [RunningEmulatedPhone];
    dump = (
      await readFile(
        new URL("../packages/devices/src/fixtures/thermal/sm8250-retroid-pocket-5.txt", import.meta.url),
        "utf8",
      )
    )
      .trim()
      .split("\n")
      .map((line) => line.split(": ") as [string, string])
      .map(([type, raw]) => [type, Number(raw)]);
  });
  afterAll(async () => {
    await phone?.stop();
    await adb?.stop();
  });

  it("identifies as an Android 11 Snapdragon 865 with 4+3+1 clusters, and says it is emulated", async () => {
    const identity = await identifyDevice(adb.driver, phone.serial);
    expect(identity).toMatchObject({
      model: "IN2023",
      androidVersion: "11",
      sdkLevel: 30,
      abi: "arm64-v8a",
      soc: { code: "sm8250", name: "Snapdragon 865" },
      emulated: true,
    });
    expect(identity.manufacturer).toMatch(/emulated/);
    expect(identity.properties["ro.board.platform"]).toBe("kona");
    expect(identity.cpuClusters).toEqual([
      { cpus: [0, 1, 2, 3], maxFreqKhz: 1_804_800 },
      { cpus: [4, 5, 6], maxFreqKhz: 2_419_200 },
      { cpus: [7], maxFreqKhz: 2_841_600 },
    ]);
  });

  it("reports every zone of the real dump, the battery at 80 % (and `soc` with it), and a heated cpu-1-7", async () => {
    const health = await readHealth(adb.driver, phone.serial, { socCode: "sm8250" });
    expect(health.battery.levelPercent).toBe(80);
    expect(health.thermalZones.map((z) => z.type).sort()).toEqual(dump.map(([type]) => type).sort());
    const zone = (type: string) => health.thermalZones.find((z) => z.type === type);
    expect(zone("soc")).toMatchObject({ raw: 80, kind: "battery-percent", celsius: null });
    expect(zone("pm8150b-ibat-lvl0")).toMatchObject({ raw: 546, kind: "current", celsius: null });
    expect(zone("pm8150b-vbat-lvl0")).toMatchObject({ raw: 3986, kind: "voltage", celsius: null });
    expect(zone("cpu-1-7-usr")).toMatchObject({ kind: "cpu", celsius: 28.8 });

    await phone.setThermalZone("cpu-1-7-usr", 61_500);
    await phone.setBatteryLevel(55);
    const hot = await readHealth(adb.driver, phone.serial, { socCode: "sm8250" });
    expect(hot.thermalZones.find((z) => z.type === "cpu-1-7-usr")?.celsius).toBe(61.5);
    expect(hot.thermalZones.find((z) => z.type === "soc")?.raw).toBe(55);
    expect(hot.battery.levelPercent).toBe(55);
    await expect(phone.setThermalZone("cpu-9-9-usr", 30_000)).rejects.toThrow(/no zone of type "cpu-9-9-usr"/);
    await phone.setThermalZone("cpu-1-7-usr", 28_800);
  });

  it("has the clusters' governor and frequency files, /proc/cpuinfo, pipes and exit statuses", async () => {
    expect(await readCoreFrequencies(adb.driver, phone.serial, [0, 4, 7])).toEqual([
      { cpu: 0, governor: "schedutil", curKhz: 1_804_800, minKhz: 300_000, maxKhz: 1_804_800 },
      { cpu: 4, governor: "schedutil", curKhz: 2_419_200, minKhz: 710_400, maxKhz: 2_419_200 },
      { cpu: 7, governor: "schedutil", curKhz: 2_841_600, minKhz: 844_800, maxKhz: 2_841_600 },
    ]);
    const min = await adb.driver.shell(phone.serial, ["cat", "/sys/devices/system/cpu/cpu7/cpufreq/cpuinfo_min_freq"]);
    expect(min.output.trim()).toBe("844800");
    // Through Debian's adb client, as an operator would type it: a pipe on the phone's shell.
    const { stdout } = await run("adb", [
      "-P",
      String(ADB_PORT),
      "-s",
      phone.serial,
      "shell",
      "cat /proc/cpuinfo | grep 'CPU part'",
    ]);
    expect(
      stdout
        .trim()
        .split("\n")
        .map((l) => l.split(": ")[1]),
    ).toEqual(["0xd05", "0xd05", "0xd05", "0xd05", "0xd0d", "0xd0d", "0xd0d", "0xd0d"]);
    expect((await adb.driver.shell(phone.serial, ["cat", "/proc/cpuinfo"])).output).toMatch(
      /Hardware\t: Qualcomm Technologies, Inc KONA\n$/,
    );
    expect((await adb.driver.shell(phone.serial, ["false"])).exitCode).toBe(1);
    expect((await adb.driver.shell(phone.serial, ["cat", "/no/such/file"])).exitCode).toBe(1);
  });

  it("runs benchmark_model like the real tool: warns on unknown flags, peak memory only when asked, count=1", async () => {
    const genome = smallestGenome(DEFAULT_SEARCH_SPACE, 4);
    const model = exportGenerator(genome, randomWeights(genome, 7, 0.1), {
      format: "tflite",
      input: { height: 16, width: 16 },
    });
    const { remotePath } = await pushArtifact(adb.driver, phone.serial, model.bytes);
    // No minimum phase durations (the tool's defaults, 0.5 s and 1 s, would repeat the runs past the counts).
    const tool = [
      "/data/local/tmp/benchmark_model",
      `--graph=${remotePath}`,
      "--num_threads=1",
      "--warmup_min_secs=0",
      "--min_secs=0",
    ];

    const plain = await adb.driver.shell(phone.serial, [...tool, "--warmup_runs=1", "--num_runs=1", "--no_such=1"], {
      timeoutMs: 120_000,
    });
    expect(plain.exitCode).toBe(0);
    expect(plain.output).toContain("Unconsumed cmdline flags: --no_such=1");
    expect(plain.output).not.toMatch(/peak memory footprint/i);
    expect(plain.output.match(/count=1 curr=\d+\n/g)).toHaveLength(2); // warm-up and the one inference run
    const parsed = parseBenchmarkOutput(plain.output);
    expect(parsed.memory?.peakMb ?? null).toBeNull();
    expect(parsed.memoryMissingReason).toMatch(/--report_peak_memory_footprint=true/);

    const asked = await adb.driver.shell(
      phone.serial,
      [...tool, "--warmup_runs=1", "--num_runs=3", "--report_peak_memory_footprint=true"],
      { timeoutMs: 120_000 },
    );
    expect(asked.output).not.toContain("Unconsumed cmdline flags");
    expect(parseBenchmarkOutput(asked.output).memory?.peakMb).toBeGreaterThan(0);
  });
});
