/**
 * What a `/sys/class/thermal` zone measures, told by its `type`, never by the size of its value. The kernel's
 * thermal ABI reports temperatures in millidegrees Celsius, but Qualcomm kernels also register their battery
 * current limiter (BCL) as thermal zones: `soc` is the battery's state of charge in percent, `pm8150b-ibat-lvl0`
 * a current in mA, `pm8150b-vbat-lvl0` a voltage in mV. Read as temperatures, a phone at 72 % charge has a 72 °C
 * "CPU" (fixtures/thermal/sm8250-retroid-pocket-5.txt, a real SM8250 dump).
 */
export type ZoneKind =
  /** CPU cores and clusters (gate the measurement). */
  | "cpu"
  /** GPU (gates the measurement). */
  | "gpu"
  /** Other on-die sensors: memory controller, video, DSP, NPU, modem, always-on subsystem. */
  | "die"
  /** Board thermistors: skin, crystal oscillator, connectors, RF power amplifiers. */
  | "skin"
  | "battery-temperature"
  /** PMIC die temperature. */
  | "pmic"
  /** Virtual zones that aggregate others with weights (their value is not one sensor's temperature). */
  | "virtual"
  | "battery-percent"
  | "current"
  | "voltage"
  /** BCL trip levels and counters. */
  | "bcl-level"
  /** Not known to be a temperature: kept in the reading, never used by the gate. */
  | "unknown";

export type ZoneUnit = "millidegree" | "decidegree" | "degree" | "percent" | "milliampere" | "millivolt" | "level";

export interface ZoneClass {
  readonly kind: ZoneKind;
  readonly unit: ZoneUnit;
}

const TEMPERATURE_KINDS: ReadonlySet<ZoneKind> = new Set(["cpu", "gpu", "die", "skin", "battery-temperature", "pmic"]);

export function isTemperature(kind: ZoneKind): boolean {
  return TEMPERATURE_KINDS.has(kind);
}

type Rule = readonly [RegExp, ZoneKind, ZoneUnit];

/** Never temperatures, whatever the SoC: battery current limiter zones (checked before any temperature rule). */
const NON_TEMPERATURE: readonly Rule[] = [
  [/^socd?$|^batt(?:ery)?[-_]?(?:soc|capacity|percent)/, "battery-percent", "percent"],
  [/ibat|[-_]curr(?:ent)?(?:[-_]|$)|^iavg/, "current", "milliampere"],
  [/vbat|vph|[-_]volt(?:age)?(?:[-_]|$)/, "voltage", "millivolt"],
  [/bcl|lvl\d*$|^cx[-_]?vdd/, "bcl-level", "level"],
];

/**
 * Qualcomm SM8250 (Snapdragon 865, "kona"), from a real dump of every zone (fixtures/thermal) and Qualcomm's thermal
 * HAL configuration for kona: `cpu-0-N-usr` are the silver cluster's sensors, `cpu-1-N-usr` the gold/prime
 * cluster's, `cpuss-N` and `apc-N-max-step` the CPU subsystem, `gpuss-N` the GPU; `-step` zones are the same
 * sensors exposed to the step-wise governor. `gpu-skin-avg-step` is a weighted virtual zone (7600 in the dump).
 * Thermistors that are not fitted read -40000.
 */
const SM8250: readonly Rule[] = [
  [/^(?:cpu-[01]-\d+|cpuss-\d+|apc-\d+-max)(?:-usr|-step)?$/, "cpu", "millidegree"],
  [/^gpuss-(?:\d+|max)(?:-usr|-step)?$/, "gpu", "millidegree"],
  [/-avg-step$|^vts-|virt/, "virtual", "millidegree"],
  [/^(?:aoss-?\d+|cwlan|video|ddr|q6-hvx|camera|cmpss|npu|pop-mem|mdm-\w+)(?:-usr|-step)?$/, "die", "millidegree"],
  [/-therm(?:-usr|-adc|-monitor)?$|^mmw-pa\d+(?:-usr)?$|^quiet-therm/, "skin", "millidegree"],
  [/^pm\d+\w*_tz$/, "pmic", "millidegree"],
  [/^(?:battery|bms)$/, "battery-temperature", "millidegree"],
];

/**
 * Zone maps per SoC code (`soc.ts`). A SoC without one gets only the generic rules below, which take a zone for a
 * temperature only when its type says so plainly.
 */
const ZONE_MAPS: Readonly<Record<string, readonly Rule[]>> = {
  sm8250: SM8250,
};

/** Types that are plainly temperatures on any SoC; everything else is `unknown` and left out of the gate. */
const GENERIC: readonly Rule[] = [
  [
    /^(?:cpu|cpuss|cluster|big|little|mid|prime|apc|tsens[-_]?tz[-_]?sensor)[-_]?\d*(?:[-_](?:\d+|usr|step|therm|thermal|max))*$/,
    "cpu",
    "millidegree",
  ],
  [/^cpu[-_]?(?:emulated|therm(?:al)?)$|^mtktscpu$|^soc[-_]thermal$|^x86_pkg_temp$/, "cpu", "millidegree"],
  [
    /^gpu(?:ss)?[-_]?\d*(?:[-_](?:\d+|usr|step|therm|thermal|max))*$|^gpu[-_]emulated$|^mtktsgpu$/,
    "gpu",
    "millidegree",
  ],
  [/^(?:battery|bms|battery[-_]emulated)$/, "battery-temperature", "millidegree"],
  [/(?:skin|xo|quiet|case)[-_]therm/, "skin", "millidegree"],
];

/** What a zone of `type` measures on a phone with SoC `socCode` (null: unknown SoC, generic rules only). */
export function classifyZone(type: string, socCode: string | null): ZoneClass {
  const name = type.trim().toLowerCase();
  for (const [pattern, kind, unit] of NON_TEMPERATURE) if (pattern.test(name)) return { kind, unit };
  const map = socCode ? ZONE_MAPS[socCode] : undefined;
  for (const [pattern, kind, unit] of [...(map ?? []), ...GENERIC]) if (pattern.test(name)) return { kind, unit };
  return { kind: "unknown", unit: "millidegree" };
}

/** Which zone map served a SoC: its code, or "generic". */
export function zoneMapName(socCode: string | null): string {
  return socCode && ZONE_MAPS[socCode] ? socCode : "generic";
}

const SCALE: Readonly<Record<ZoneUnit, number>> = {
  millidegree: 1000,
  decidegree: 10,
  degree: 1,
  percent: 1,
  milliampere: 1,
  millivolt: 1,
  level: 1,
};

/** A raw zone value in its unit's natural scale (°C for temperatures). */
export function scaled(raw: number, unit: ZoneUnit): number {
  return raw / SCALE[unit];
}

/**
 * Not-fitted thermistors read -40 °C (-40000) on Qualcomm boards, and some drivers report -273 °C for an absent
 * sensor: such a reading says nothing about the phone's heat.
 */
export const ABSENT_SENSOR_BELOW_C = -30;
