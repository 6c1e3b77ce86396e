import { MfnasError } from "@mfnas/core";
import type { DeviceDriver } from "./device-driver.ts";
import { parseGrepH } from "./identity.ts";
import {
  ABSENT_SENSOR_BELOW_C,
  classifyZone,
  isTemperature,
  scaled,
  zoneMapName,
  type ZoneKind,
  type ZoneUnit,
} from "./thermal-zones.ts";

/** One `/sys/class/thermal` zone: what it measures (by its type and the phone's zone map) and its value. */
export interface ThermalZone {
  readonly zone: string;
  readonly type: string;
  /** The file's raw value. */
  readonly raw: number;
  readonly kind: ZoneKind;
  /** The unit of `raw`, from the zone's type. */
  readonly unit: ZoneUnit;
  /** `raw` in its unit's scale (°C, %, mA, mV). */
  readonly value: number;
  /** °C for a zone that measures a temperature with a fitted sensor; null for currents, charge, levels, absent sensors. */
  readonly celsius: number | null;
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
  /** The zone map the zones were read with: a SoC code ("sm8250") or "generic". */
  readonly zoneMap: string;
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
  /** Highest CPU or GPU thermal-zone temperature to measure at, °C. Default 45. */
  readonly maxThermalC?: number;
  /** Highest skin / board thermistor temperature to measure at, °C. Default 42. */
  readonly maxSkinC?: number;
  /** Refuse to measure while the screen is on (it heats the phone and steals cycles). Default true. */
  readonly requireScreenOff?: boolean;
}

export const DEFAULT_HEALTH_THRESHOLDS: Required<HealthThresholds> = {
  maxBatteryTempC: 40,
  minBatteryLevel: 20,
  maxThermalC: 45,
  maxSkinC: 42,
  requireScreenOff: true,
};

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

/**
 * Zones from `grep -H .` over each zone's type and temp files, each classified by its type with the SoC's zone map
 * (`socCode` null: generic rules, which take only plainly named temperature zones). Units come from the type,
 * never from the size of the value.
 */
export function parseThermalZones(
  values: ReadonlyMap<string, string>,
  zones: readonly string[],
  socCode: string | null,
): ThermalZone[] {
  const result: ThermalZone[] = [];
  for (const zone of zones) {
    const text = values.get(`/sys/class/thermal/${zone}/temp`);
    const raw = Number(text);
    if (text === undefined || text.trim() === "" || !Number.isFinite(raw)) continue;
    const type = values.get(`/sys/class/thermal/${zone}/type`) ?? "";
    const { kind, unit } = classifyZone(type, socCode);
    const value = scaled(raw, unit);
    const celsius = isTemperature(kind) && value >= ABSENT_SENSOR_BELOW_C ? value : null;
    result.push({ zone, type, raw, kind, unit, value, celsius });
  }
  return result;
}

export interface ReadHealthOptions {
  readonly signal?: AbortSignal;
  /** The phone's SoC code (`soc.ts`), which picks its thermal zone map; null or absent: generic rules. */
  readonly socCode?: string | null;
}

/** Battery (dumpsys battery), every thermal zone with its kind and unit, and screen state (dumpsys power). */
export async function readHealth(
  driver: DeviceDriver,
  serial: string,
  { signal, socCode = null }: ReadHealthOptions = {},
): Promise<DeviceHealth> {
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
    zoneMap: zoneMapName(socCode),
    battery,
    thermalZones: parseThermalZones(values, zones, socCode),
    wakefulness: power.wakefulness,
    screenOn: power.screenOn,
  };
}

/** The zones a gate decision looked at, with the threshold each was held to. */
export interface GateZone {
  readonly zone: string;
  readonly type: string;
  readonly kind: ZoneKind;
  readonly celsius: number;
  readonly limitC: number;
}

/** A health gate's decision: the problems (empty = fit) and the zones it used, stored with each measurement. */
export interface HealthDecision {
  readonly fit: boolean;
  readonly problems: readonly string[];
  readonly zoneMap: string;
  readonly zonesUsed: readonly GateZone[];
  readonly thresholds: Required<HealthThresholds>;
}

/**
 * Holds a reading to the thresholds: battery temperature and level (dumpsys battery), the screen, and the
 * temperature zones by kind: CPU and GPU zones against `maxThermalC`, skin thermistors against `maxSkinC`. Zones
 * that are not temperatures (battery charge, currents, voltages, BCL levels), virtual, unknown or absent
 * sensors are never used.
 */
export function healthDecision(health: DeviceHealth, thresholds: HealthThresholds = {}): HealthDecision {
  const t = { ...DEFAULT_HEALTH_THRESHOLDS, ...thresholds };
  const problems: string[] = [];
  const { temperatureC, levelPercent } = health.battery;
  if (temperatureC !== null && temperatureC > t.maxBatteryTempC) {
    problems.push(`battery at ${temperatureC} °C > ${t.maxBatteryTempC} °C`);
  }
  if (levelPercent !== null && levelPercent < t.minBatteryLevel) {
    problems.push(`battery level ${levelPercent}% < ${t.minBatteryLevel}%`);
  }
  const limits: Partial<Record<ZoneKind, number>> = { cpu: t.maxThermalC, gpu: t.maxThermalC, skin: t.maxSkinC };
  const zonesUsed: GateZone[] = [];
  for (const z of health.thermalZones) {
    const limitC = limits[z.kind];
    if (limitC === undefined || z.celsius === null) continue;
    zonesUsed.push({ zone: z.zone, type: z.type, kind: z.kind, celsius: z.celsius, limitC });
    if (z.celsius > limitC) problems.push(`${z.zone} (${z.type}, ${z.kind}) at ${z.celsius} °C > ${limitC} °C`);
  }
  if (t.requireScreenOff && health.screenOn === true) problems.push("screen is on");
  return { fit: problems.length === 0, problems, zoneMap: health.zoneMap, zonesUsed, thresholds: t };
}

/** Reasons the device is not fit to measure now; empty = fit. */
export function healthProblems(health: DeviceHealth, thresholds: HealthThresholds = {}): string[] {
  return [...healthDecision(health, thresholds).problems];
}

export interface HealthGateOptions {
  readonly thresholds?: HealthThresholds;
  /** Longest time to wait for the phone to cool down. Default 120 000 ms. */
  readonly maxWaitMs?: number;
  /** Time between readings while waiting. Default 5 000 ms. */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** The phone's SoC code: picks its thermal zone map. */
  readonly socCode?: string | null;
}

/**
 * Waits (bounded) until the phone passes every health threshold. Returns the passing reading and how long it
 * waited; past the bound it throws a `transient` error with the problems, so the job is retried later.
 */
export async function awaitHealthy(
  driver: DeviceDriver,
  serial: string,
  options: HealthGateOptions = {},
): Promise<{ health: DeviceHealth; decision: HealthDecision; waitedMs: number; readings: number }> {
  const started = Date.now();
  const maxWaitMs = options.maxWaitMs ?? 120_000;
  const pollMs = options.pollMs ?? 5_000;
  for (let readings = 1; ; readings++) {
    const health = await readHealth(driver, serial, {
      ...(options.signal ? { signal: options.signal } : {}),
      socCode: options.socCode ?? null,
    });
    const decision = healthDecision(health, options.thresholds);
    const { problems } = decision;
    const waitedMs = Date.now() - started;
    if (problems.length === 0) return { health, decision, waitedMs, readings };
    if (waitedMs + pollMs > maxWaitMs) {
      throw new MfnasError(
        "transient",
        `device ${serial} did not cool down within ${maxWaitMs} ms: ${problems.join("; ")}`,
        { serial, problems, waitedMs, readings },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    if (options.signal?.aborted)
      throw options.signal.reason instanceof Error ? options.signal.reason : new Error("aborted");
  }
}
