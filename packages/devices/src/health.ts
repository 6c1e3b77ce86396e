import { MfnasError } from "@mfnas/core";
import type { DeviceDriver } from "./device-driver.ts";
import { parseGrepH } from "./identity.ts";

export type ThermalUnit = "millidegree" | "decidegree" | "degree";

export interface ThermalZone {
  readonly zone: string;
  readonly type: string;
  /** The file's raw value. */
  readonly raw: number;
  /** The unit inferred for this zone's raw values. */
  readonly unit: ThermalUnit;
  readonly celsius: number;
}

export interface BatteryState {
  readonly levelPercent: number | null;
  readonly temperatureC: number | null;
  /** BatteryManager status code (2 charging, 3 discharging, 5 full). */
  readonly status: number | null;
  readonly powered: boolean;
}

export interface DeviceHealth {
  readonly at: string;
  readonly battery: BatteryState;
  readonly thermalZones: readonly ThermalZone[];
  /** From `dumpsys power`: "Awake", "Asleep", "Dozing", or null if unknown. */
  readonly wakefulness: string | null;
  readonly screenOn: boolean | null;
}

export interface HealthThresholds {
  /** Highest battery temperature to measure at, °C. Default 40. */
  readonly maxBatteryTempC?: number;
  /** Lowest battery level to measure at, %. Default 20. */
  readonly minBatteryLevel?: number;
  /** Highest CPU/SoC thermal-zone temperature to measure at, °C. Default 45. */
  readonly maxThermalC?: number;
  /** Refuse to measure while the screen is on (it heats the phone and steals cycles). Default true. */
  readonly requireScreenOff?: boolean;
}

export const DEFAULT_HEALTH_THRESHOLDS: Required<HealthThresholds> = {
  maxBatteryTempC: 40,
  minBatteryLevel: 20,
  maxThermalC: 45,
  requireScreenOff: true,
};

/**
 * Kernels report zone temperatures in millidegrees (most), decidegrees (some PMICs) or degrees. A phone zone
 * above 150 °C is not plausible, so the magnitude decides.
 */
export function thermalUnit(raw: number): ThermalUnit {
  const abs = Math.abs(raw);
  if (abs >= 1000) return "millidegree";
  if (abs >= 150) return "decidegree";
  return "degree";
}

const SCALE: Record<ThermalUnit, number> = { millidegree: 1000, decidegree: 10, degree: 1 };

export function parseBattery(output: string): BatteryState {
  const field = (name: string) => new RegExp(`^\\s*${name}:\\s*(\\S+)`, "m").exec(output)?.[1];
  const int = (name: string) => {
    const v = Number.parseInt(field(name) ?? "", 10);
    return Number.isInteger(v) ? v : null;
  };
  const tenths = int("temperature");
  return {
    levelPercent: int("level"),
    temperatureC: tenths === null ? null : tenths / 10,
    status: int("status"),
    powered: ["AC powered", "USB powered", "Wireless powered"].some((p) => field(p) === "true"),
  };
}

export function parsePower(output: string): { wakefulness: string | null; screenOn: boolean | null } {
  const wakefulness = /mWakefulness=(\w+)/.exec(output)?.[1] ?? null;
  const display = /Display Power: state=(\w+)/.exec(output)?.[1];
  const screenOn = display !== undefined ? display === "ON" : wakefulness !== null ? wakefulness === "Awake" : null;
  return { wakefulness, screenOn };
}

/** Zone temperatures from `grep -H .` over each zone's type and temp files. */
export function parseThermalZones(values: ReadonlyMap<string, string>, zones: readonly string[]): ThermalZone[] {
  const result: ThermalZone[] = [];
  for (const zone of zones) {
    const raw = Number(values.get(`/sys/class/thermal/${zone}/temp`));
    if (!Number.isFinite(raw) || values.get(`/sys/class/thermal/${zone}/temp`) === undefined) continue;
    const unit = thermalUnit(raw);
    result.push({
      zone,
      type: values.get(`/sys/class/thermal/${zone}/type`) ?? "",
      raw,
      unit,
      celsius: raw / SCALE[unit],
    });
  }
  return result;
}

/** Battery (dumpsys battery), every thermal zone with its unit, and screen state (dumpsys power). */
export async function readHealth(driver: DeviceDriver, serial: string, signal?: AbortSignal): Promise<DeviceHealth> {
  const options = { timeoutMs: 30_000, ...(signal ? { signal } : {}) };
  const battery = parseBattery((await driver.shell(serial, ["dumpsys", "battery"], options)).output);
  const power = parsePower((await driver.shell(serial, ["dumpsys", "power"], options)).output);
  const zones = (await driver.shell(serial, ["ls", "/sys/class/thermal"], options)).output
    .split(/\s+/)
    .filter((name) => /^thermal_zone\d+$/.test(name));
  const files = zones.flatMap((z) => [`/sys/class/thermal/${z}/type`, `/sys/class/thermal/${z}/temp`]);
  const values =
    files.length > 0
      ? parseGrepH((await driver.shell(serial, ["grep", "-H", ".", ...files], options)).output)
      : new Map<string, string>();
  return {
    at: new Date().toISOString(),
    battery,
    thermalZones: parseThermalZones(values, zones),
    wakefulness: power.wakefulness,
    screenOn: power.screenOn,
  };
}

const CPU_ZONE = /cpu|soc|tsens|cluster|apc|big|little|mid/i;

/** Reasons the device is not fit to measure now; empty = fit. */
export function healthProblems(health: DeviceHealth, thresholds: HealthThresholds = {}): string[] {
  const t = { ...DEFAULT_HEALTH_THRESHOLDS, ...thresholds };
  const problems: string[] = [];
  const { temperatureC, levelPercent } = health.battery;
  if (temperatureC !== null && temperatureC > t.maxBatteryTempC) {
    problems.push(`battery at ${temperatureC} °C > ${t.maxBatteryTempC} °C`);
  }
  if (levelPercent !== null && levelPercent < t.minBatteryLevel) {
    problems.push(`battery level ${levelPercent}% < ${t.minBatteryLevel}%`);
  }
  const cpuZones = health.thermalZones.filter((z) => CPU_ZONE.test(z.type));
  for (const zone of cpuZones.length > 0 ? cpuZones : health.thermalZones) {
    if (zone.celsius > t.maxThermalC)
      problems.push(`${zone.zone} (${zone.type}) at ${zone.celsius} °C > ${t.maxThermalC} °C`);
  }
  if (t.requireScreenOff && health.screenOn === true) problems.push("screen is on");
  return problems;
}

export interface HealthGateOptions {
  readonly thresholds?: HealthThresholds;
  /** Longest time to wait for the phone to cool down. Default 120 000 ms. */
  readonly maxWaitMs?: number;
  /** Time between readings while waiting. Default 5 000 ms. */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Waits (bounded) until the phone passes every health threshold. Returns the passing reading and how long it
 * waited; past the bound it throws a `transient` error with the problems, so the job is retried later.
 */
export async function awaitHealthy(
  driver: DeviceDriver,
  serial: string,
  options: HealthGateOptions = {},
): Promise<{ health: DeviceHealth; waitedMs: number; readings: number }> {
  const started = Date.now();
  const maxWaitMs = options.maxWaitMs ?? 120_000;
  const pollMs = options.pollMs ?? 5_000;
  for (let readings = 1; ; readings++) {
    const health = await readHealth(driver, serial, options.signal);
    const problems = healthProblems(health, options.thresholds);
    const waitedMs = Date.now() - started;
    if (problems.length === 0) return { health, waitedMs, readings };
    if (waitedMs + pollMs > maxWaitMs) {
      throw new MfnasError(
        "transient",
        `device ${serial} did not cool down within ${maxWaitMs} ms: ${problems.join("; ")}`,
        {
          serial,
          problems,
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    if (options.signal?.aborted)
      throw options.signal.reason instanceof Error ? options.signal.reason : new Error("aborted");
  }
}
