import { MfnasError } from "@mfnas/core";
import type { DeviceDriver } from "./device-driver.ts";
import { identifySoc, type SocInfo } from "./soc.ts";

export interface CpuCluster {
  /** CPU numbers sharing one frequency domain. */
  readonly cpus: readonly number[];
  /** cpuinfo_max_freq in kHz (0 when the kernel does not say). */
  readonly maxFreqKhz: number;
}

export interface DeviceIdentity {
  readonly serial: string;
  readonly model: string;
  readonly manufacturer: string | null;
  readonly androidVersion: string | null;
  readonly sdkLevel: number | null;
  readonly abi: string | null;
  readonly soc: SocInfo | null;
  readonly cpuClusters: readonly CpuCluster[];
  /** Whether the device says it is an emulated phone (ro.mfnas.emulated=1). */
  readonly emulated: boolean;
  readonly properties: Readonly<Record<string, string>>;
}

/** Longest identity text kept (model, manufacturer, SoC name, ...); a phone may report anything. */
const MAX_PROPERTY_TEXT = 200;
/** API levels beyond this are not real (and would not fit the store's integer column). */
const MAX_SDK_LEVEL = 1_000;

/**
 * A getprop value as an identity text: control characters (NUL included, which PostgreSQL text refuses) become
 * spaces, runs of whitespace one space, trimmed and cut to MAX_PROPERTY_TEXT characters.
 */
export function propertyText(value: string): string {
  return (
    value
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, " ")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, MAX_PROPERTY_TEXT)
      .trim()
  );
}

/** Parses `getprop` output: `[key]: [value]` lines. */
export function parseGetprop(output: string): Record<string, string> {
  const props: Record<string, string> = {};
  for (const m of output.matchAll(/^\[([^\]]+)\]: \[([^\]]*)\]\s*$/gm)) props[m[1] as string] = m[2] as string;
  return props;
}

/** Parses `grep -H . FILE...` output into path -> first line; lines that are grep's own errors are skipped. */
export function parseGrepH(output: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of output.split("\n")) {
    const m = /^(\/[^:]+):(.*)$/.exec(line.trim());
    if (m && !values.has(m[1] as string)) values.set(m[1] as string, (m[2] as string).trim());
  }
  return values;
}

/** Groups CPUs into clusters by their related_cpus (frequency domain), else by max frequency. */
export function cpuClusters(values: ReadonlyMap<string, string>, cpus: readonly number[]): CpuCluster[] {
  const groups = new Map<string, { cpus: number[]; maxFreqKhz: number }>();
  for (const cpu of cpus) {
    const base = `/sys/devices/system/cpu/cpu${cpu}/cpufreq`;
    const maxFreqKhz = Number(values.get(`${base}/cpuinfo_max_freq`) ?? "0") || 0;
    const key = values.get(`${base}/related_cpus`) ?? `freq:${maxFreqKhz}`;
    const group = groups.get(key) ?? { cpus: [], maxFreqKhz };
    group.cpus.push(cpu);
    group.maxFreqKhz = Math.max(group.maxFreqKhz, maxFreqKhz);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.maxFreqKhz - b.maxFreqKhz || (a.cpus[0] ?? 0) - (b.cpus[0] ?? 0));
}

async function checked(driver: DeviceDriver, serial: string, argv: string[]): Promise<string> {
  const result = await driver.shell(serial, argv, { timeoutMs: 30_000 });
  if (result.exitCode !== 0 && argv[0] !== "grep") {
    throw new MfnasError(
      "transient",
      `${argv.join(" ")} on ${serial} exited ${result.exitCode}: ${result.output.slice(0, 200)}`,
      {
        serial,
      },
    );
  }
  return result.output;
}

/** Serial, model, manufacturer, Android version, SDK, ABI, SoC (ro.soc.model / ro.board.platform) and CPU clusters. */
export async function identifyDevice(driver: DeviceDriver, serial: string): Promise<DeviceIdentity> {
  const props = parseGetprop(await checked(driver, serial, ["getprop"]));
  const cpus = (await checked(driver, serial, ["ls", "/sys/devices/system/cpu"]))
    .split(/\s+/)
    .map((name) => /^cpu(\d+)$/.exec(name)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const files = cpus.flatMap((cpu) => [
    `/sys/devices/system/cpu/cpu${cpu}/cpufreq/cpuinfo_max_freq`,
    `/sys/devices/system/cpu/cpu${cpu}/cpufreq/related_cpus`,
  ]);
  const values =
    files.length > 0 ? parseGrepH(await checked(driver, serial, ["grep", "-H", ".", ...files])) : new Map();
  const text = (key: string) => {
    const value = props[key] === undefined ? undefined : propertyText(props[key]);
    return value ? value : null;
  };
  const sdk = Number.parseInt(props["ro.build.version.sdk"] ?? "", 10);
  return {
    serial,
    model: text("ro.product.model") ?? "unknown",
    manufacturer: text("ro.product.manufacturer"),
    androidVersion: text("ro.build.version.release"),
    sdkLevel: Number.isInteger(sdk) && sdk >= 1 && sdk <= MAX_SDK_LEVEL ? sdk : null,
    abi: text("ro.product.cpu.abi"),
    soc: identifySoc(text("ro.soc.model") ?? undefined, text("ro.board.platform") ?? undefined),
    cpuClusters: cpuClusters(values, cpus),
    emulated: props["ro.mfnas.emulated"] === "1",
    properties: props,
  };
}
