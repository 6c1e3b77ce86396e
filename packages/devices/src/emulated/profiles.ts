import { readFileSync } from "node:fs";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MfnasError } from "@mfnas/core";
import type { PhoneFs } from "./phone-fs.ts";

/**
 * What an emulated phone looks like to the lab: its getprop values and the files the lab reads (thermal zones,
 * battery, CPU clusters and frequencies, /proc/cpuinfo). Timings always come from the host CPU; a profile only
 * changes what the phone reports about itself.
 * - `host`: the host's own CPUs, two emulated thermal zones; model "mfnas emulated phone (host CPU)".
 * - `sm8250`: an Android 11 Snapdragon 865 phone, every figure from real ones (sources beside each value).
 */
export const EMULATED_PROFILES = ["host", "sm8250"] as const;
export type EmulatedProfileName = (typeof EMULATED_PROFILES)[number];

export interface ProfileSettings {
  readonly serial: string;
  /** Battery charge, 0-100 %. Default: the profile's (host 87, sm8250 the dump's 72). */
  readonly batteryLevel?: number;
  /** Raw value per thermal zone type (millidegrees for temperatures), e.g. {"cpu-1-7-usr": 61500}. */
  readonly thermalZones?: Readonly<Record<string, number>>;
}

export interface PhoneProfile {
  readonly properties: ReadonlyArray<readonly [string, string]>;
  /** Phone path -> content. */
  readonly files: Readonly<Record<string, string>>;
}

/** The profile name from an option or environment value; anything else is refused naming the choices. */
export function parseEmulatedProfile(value: string | undefined): EmulatedProfileName {
  if (value === undefined || value === "") return "host";
  const found = EMULATED_PROFILES.find((p) => p === value);
  if (!found) {
    throw new MfnasError(
      "invalid_input",
      `emulated phone profile: must be one of ${EMULATED_PROFILES.join(", ")}, got ${JSON.stringify(value)}`,
    );
  }
  return found;
}

const THERMAL_DUMP = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../fixtures/thermal/sm8250-retroid-pocket-5.txt",
);

/** The real SM8250 dump (fixtures/thermal): every zone as [type, raw value] in the phone's zone order. */
function sm8250Zones(): Array<[string, number]> {
  return readFileSync(THERMAL_DUMP, "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const [type, raw] = line.split(": ") as [string, string];
      return [type, Number(raw)];
    });
}

/**
 * Snapdragon 865 CPU clusters: 4 Cortex-A55 (silver), 3 Cortex-A77 (gold), 1 Cortex-A77 (prime), each cluster
 * one cpufreq policy. Frequency ranges (kHz) are the first and last entries of cpu0_opp_table, cpu4_opp_table and
 * cpu7_opp_table in Linux's arch/arm64/boot/dts/qcom/sm8250.dtsi, which match what a POCO F3 (kona) reports in
 * cpuinfo_min_freq/cpuinfo_max_freq for cpu0 and cpu4; MIDR part numbers 0xd05 (Cortex-A55) and 0xd0d
 * (Cortex-A77) are Arm's, as that phone's /proc/cpuinfo prints them.
 */
const SM8250_CLUSTERS = [
  { cpus: [0, 1, 2, 3], minKhz: 300_000, maxKhz: 1_804_800, part: "0xd05", variant: "0x1", revision: 0 },
  { cpus: [4, 5, 6], minKhz: 710_400, maxKhz: 2_419_200, part: "0xd0d", variant: "0x1", revision: 0 },
  { cpus: [7], minKhz: 844_800, maxKhz: 2_841_600, part: "0xd0d", variant: "0x1", revision: 0 },
] as const;

/**
 * getprop of an Android 11 SM8250 phone: the OnePlus 8 Pro (IN2023, "instantnoodlep"; TARGET_BOARD_PLATFORM
 * kona in LineageOS's android_device_oneplus_sm8250-common BoardConfigCommon.mk). Android 11 has no ro.soc.*
 * (added in Android 12), so the lab tells the SoC by ro.board.platform, as it must on such phones. The
 * manufacturer and ro.mfnas.* say that it is emulated and runs on the host, which is how the lab tells.
 */
function sm8250Properties(hostCpu: string): Array<[string, string]> {
  return [
    ["ro.product.model", "IN2023"],
    ["ro.product.manufacturer", "mfnas emulated (OnePlus 8 Pro profile, host CPU)"],
    ["ro.product.brand", "OnePlus"],
    ["ro.product.name", "OnePlus8Pro_EEA"],
    ["ro.product.device", "OnePlus8Pro"],
    ["ro.product.board", "kona"],
    ["ro.board.platform", "kona"],
    ["ro.hardware", "qcom"],
    ["ro.build.version.release", "11"],
    ["ro.build.version.sdk", "30"],
    ["ro.product.cpu.abi", "arm64-v8a"],
    ["ro.product.cpu.abilist", "arm64-v8a,armeabi-v7a,armeabi"],
    ["ro.mfnas.emulated", "1"],
    ["ro.mfnas.profile", "sm8250"],
    ["ro.mfnas.host_cpu", hostCpu],
  ];
}

function sm8250CpuInfo(): string {
  const blocks = SM8250_CLUSTERS.flatMap((cluster) =>
    cluster.cpus.map((cpu) =>
      [
        `processor\t: ${cpu}`,
        "BogoMIPS\t: 38.40",
        "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp cpuid asimdrdm lrcpc dcpop asimddp",
        "CPU implementer\t: 0x41",
        "CPU architecture: 8",
        `CPU variant\t: ${cluster.variant}`,
        `CPU part\t: ${cluster.part}`,
        `CPU revision\t: ${cluster.revision}`,
        "",
      ].join("\n"),
    ),
  );
  return `${blocks.join("\n")}\nHardware\t: Qualcomm Technologies, Inc KONA\n`;
}

function checkSettings(settings: ProfileSettings, zoneTypes: readonly string[]): void {
  const level = settings.batteryLevel;
  if (level !== undefined && !(Number.isInteger(level) && level >= 0 && level <= 100)) {
    throw new MfnasError("invalid_input", `batteryLevel: must be an integer 0-100, got ${String(level)}`);
  }
  for (const [type, value] of Object.entries(settings.thermalZones ?? {})) {
    if (!zoneTypes.includes(type)) {
      throw new MfnasError("invalid_input", `thermalZones: no zone of type ${JSON.stringify(type)} on this phone`);
    }
    if (!Number.isInteger(value)) {
      throw new MfnasError("invalid_input", `thermalZones.${type}: must be an integer raw value, got ${value}`);
    }
  }
}

function thermalFiles(zones: ReadonlyArray<readonly [string, number]>, settings: ProfileSettings) {
  checkSettings(
    settings,
    zones.map(([type]) => type),
  );
  const files: Record<string, string> = {};
  for (const [i, [type, raw]] of zones.entries()) {
    files[`/sys/class/thermal/thermal_zone${i}/type`] = `${type}\n`;
    files[`/sys/class/thermal/thermal_zone${i}/temp`] = `${settings.thermalZones?.[type] ?? raw}\n`;
  }
  return files;
}

interface HostClock {
  readonly curKhz: number;
  readonly maxKhz: number;
  readonly governor: string;
}

/**
 * The host's CPU clocks, per CPU: the kernel's cpufreq files where the host has them; in a virtual machine without
 * cpufreq, /proc/cpuinfo's "cpu MHz" (the clock the hypervisor reports); else Node's os.cpus() speed (0 when
 * unknown, which the lab reads as no figure).
 */
function hostClocks(): HostClock[] {
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8").trim();
    } catch {
      return undefined;
    }
  };
  const mhz = [...(read("/proc/cpuinfo") ?? "").matchAll(/^cpu MHz\s*:\s*([\d.]+)/gm)].map((m) => Number(m[1]));
  return os.cpus().map((cpu, i) => {
    const sys = (file: string) => read(`/sys/devices/system/cpu/cpu${i}/cpufreq/${file}`);
    const fallback = Math.round((mhz[i] ?? cpu.speed) * 1000);
    const curKhz = Number(sys("scaling_cur_freq") ?? fallback) || 0;
    return {
      curKhz,
      maxKhz: Number(sys("cpuinfo_max_freq") ?? fallback) || curKhz,
      governor: sys("scaling_governor") ?? "host",
    };
  });
}

/** Rewrites a host-profile phone's current-frequency files with the host's clocks now (after each run). */
export async function refreshHostClocks(fs: PhoneFs): Promise<void> {
  for (const [i, clock] of hostClocks().entries()) {
    await writeFile(fs.hostPath(`/sys/devices/system/cpu/cpu${i}/cpufreq/scaling_cur_freq`), `${clock.curKhz}\n`);
  }
}

function hostProfile(settings: ProfileSettings, hostCpu: string): PhoneProfile {
  const cpus = hostClocks();
  const files: Record<string, string> = {
    ...thermalFiles(
      [
        ["cpu-emulated", 36_000],
        ["battery-emulated", 31_000],
      ],
      settings,
    ),
    "/sys/class/power_supply/battery/capacity": `${settings.batteryLevel ?? 87}\n`,
    "/sys/class/power_supply/battery/temp": "310\n",
    "/sys/class/power_supply/battery/status": "Charging\n",
    "/sys/devices/system/cpu/possible": `0-${cpus.length - 1}\n`,
  };
  for (const [i, clock] of cpus.entries()) {
    const base = `/sys/devices/system/cpu/cpu${i}/cpufreq`;
    files[`${base}/cpuinfo_max_freq`] = `${clock.maxKhz}\n`;
    files[`${base}/related_cpus`] = `${cpus.map((_, j) => j).join(" ")}\n`;
    files[`${base}/scaling_governor`] = `${clock.governor}\n`;
    // The host's clock as the kernel's cpufreq policy would show it (no min: the host does not say).
    files[`${base}/scaling_cur_freq`] = `${clock.curKhz}\n`;
    files[`${base}/scaling_max_freq`] = `${clock.maxKhz}\n`;
  }
  return {
    properties: [
      ["ro.product.model", "mfnas emulated phone (host CPU)"],
      ["ro.product.manufacturer", "mfnas"],
      ["ro.product.brand", "mfnas"],
      ["ro.product.name", "mfnas_emulated"],
      ["ro.product.device", "emulated"],
      ["ro.hardware", "emulated"],
      ["ro.build.version.release", "emulated"],
      ["ro.build.version.sdk", ""],
      ["ro.product.cpu.abi", hostAbi()],
      ["ro.soc.manufacturer", "host"],
      ["ro.soc.model", "host-cpu"],
      ["ro.board.platform", "host"],
      ["ro.mfnas.emulated", "1"],
      ["ro.mfnas.profile", "host"],
      ["ro.mfnas.host_cpu", hostCpu],
    ],
    files,
  };
}

function sm8250Profile(settings: ProfileSettings, hostCpu: string): PhoneProfile {
  const zones = sm8250Zones();
  // On Qualcomm kernels the BCL's `soc` zone is the battery's charge: it follows the battery level.
  const level = settings.batteryLevel ?? zones.find(([type]) => type === "soc")?.[1] ?? 72;
  const withCharge = zones.map(([type, raw]): [string, number] => [type, type === "soc" ? level : raw]);
  const files: Record<string, string> = {
    ...thermalFiles(withCharge, settings),
    // The dump's `battery` zone (25.5 °C) in power_supply's decidegrees.
    "/sys/class/power_supply/battery/capacity": `${level}\n`,
    "/sys/class/power_supply/battery/temp": "255\n",
    "/sys/class/power_supply/battery/status": "Charging\n",
    "/sys/devices/system/cpu/possible": "0-7\n",
    "/sys/devices/system/cpu/present": "0-7\n",
    "/sys/devices/system/cpu/online": "0-7\n",
    "/proc/cpuinfo": sm8250CpuInfo(),
  };
  for (const cluster of SM8250_CLUSTERS) {
    for (const cpu of cluster.cpus) {
      const base = `/sys/devices/system/cpu/cpu${cpu}/cpufreq`;
      files[`${base}/related_cpus`] = `${cluster.cpus.join(" ")}\n`;
      files[`${base}/affected_cpus`] = `${cluster.cpus.join(" ")}\n`;
      files[`${base}/cpuinfo_min_freq`] = `${cluster.minKhz}\n`;
      files[`${base}/cpuinfo_max_freq`] = `${cluster.maxKhz}\n`;
      files[`${base}/scaling_governor`] = "schedutil\n";
      files[`${base}/scaling_min_freq`] = `${cluster.minKhz}\n`;
      files[`${base}/scaling_max_freq`] = `${cluster.maxKhz}\n`;
      // Under a benchmark schedutil runs the busy cluster at its top frequency.
      files[`${base}/scaling_cur_freq`] = `${cluster.maxKhz}\n`;
    }
  }
  return { properties: sm8250Properties(hostCpu), files };
}

const ANDROID_ABI: Partial<Record<NodeJS.Architecture, string>> = {
  arm64: "arm64-v8a",
  arm: "armeabi-v7a",
  ia32: "x86",
  x64: "x86_64",
};

function hostAbi(): string {
  return ANDROID_ABI[process.arch] ?? process.arch;
}

/** The getprop values and files of a profile, with the battery level and zone values the settings ask for. */
export function phoneProfile(name: EmulatedProfileName, settings: ProfileSettings): PhoneProfile {
  const hostCpu = os.cpus()[0]?.model.trim() ?? "unknown";
  const profile = name === "sm8250" ? sm8250Profile(settings, hostCpu) : hostProfile(settings, hostCpu);
  return { ...profile, properties: [["ro.serialno", settings.serial], ...profile.properties] };
}

/** Writes the profile's files under the phone's root. */
export async function writeProfileFiles(fs: PhoneFs, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [phonePath, content] of Object.entries(files)) {
    const target = fs.hostPath(phonePath);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
  }
}

/**
 * Sets a running phone's battery level (dumpsys battery's `level`, power_supply's capacity and, where the phone
 * has one, Qualcomm's `soc` zone) by rewriting its files under `root`.
 */
export async function setBatteryLevel(fs: PhoneFs, level: number): Promise<void> {
  checkSettings({ serial: "", batteryLevel: level }, []);
  await writeFile(fs.hostPath("/sys/class/power_supply/battery/capacity"), `${level}\n`);
  const soc = (await zoneDirectories(fs)).get("soc");
  if (soc) await writeFile(path.join(soc, "temp"), `${level}\n`);
}

/** Sets the raw value of a running phone's thermal zone, by its type (millidegrees for temperatures). */
export async function setThermalZone(fs: PhoneFs, type: string, raw: number): Promise<void> {
  const zones = await zoneDirectories(fs);
  checkSettings({ serial: "", thermalZones: { [type]: raw } }, [...zones.keys()]);
  await writeFile(path.join(zones.get(type) ?? "", "temp"), `${raw}\n`);
}

async function zoneDirectories(fs: PhoneFs): Promise<Map<string, string>> {
  const base = fs.hostPath("/sys/class/thermal");
  const zones = new Map<string, string>();
  for (const name of await readdir(base).catch(() => [])) {
    const type = await readFile(path.join(base, name, "type"), "utf8").catch(() => undefined);
    if (type !== undefined) zones.set(type.trim(), path.join(base, name));
  }
  return zones;
}
