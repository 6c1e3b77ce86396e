import type { DeviceDriver } from "./device-driver.ts";
import { parseGrepH, type CpuCluster } from "./identity.ts";

/**
 * Which cores a measurement is pinned to, from the CPU clusters the agent reads at attach (sorted slowest first):
 * - `big` (default): every cluster but the slowest, i.e. the gold and prime cores (Snapdragon 865: cpu4-6 gold,
 *   cpu7 prime, mask f0), as TFLite's benchmark guide pins with `taskset f0`;
 * - `prime`: the fastest cluster only (SD865: cpu7, mask 80);
 * - `none`: no pinning.
 * A phone with one cluster is not pinned (all cores are alike).
 */
export type PinningPolicy = "big" | "prime" | "none";

export interface Pinning {
  readonly policy: PinningPolicy;
  /** `taskset` mask in hex; null when not pinned. */
  readonly mask: string | null;
  readonly cpus: readonly number[];
}

export function pinningFor(clusters: readonly CpuCluster[], policy: PinningPolicy): Pinning {
  const sorted = [...clusters].sort((a, b) => a.maxFreqKhz - b.maxFreqKhz);
  if (policy === "none" || sorted.length < 2) return { policy, mask: null, cpus: [] };
  const chosen = policy === "prime" ? sorted.slice(-1) : sorted.slice(1);
  const cpus = chosen.flatMap((c) => c.cpus).sort((a, b) => a - b);
  const mask = cpus.reduce((m, cpu) => m | (1 << cpu), 0);
  // taskset masks the lab passes are 1-4 hex digits: phones have at most 16 cores.
  if (cpus.length === 0 || cpus.some((cpu) => cpu > 15)) return { policy, mask: null, cpus: [] };
  return { policy, mask: mask.toString(16), cpus };
}

/** The CPUs of a taskset mask. */
export function cpusOfMask(mask: string): number[] {
  const bits = Number.parseInt(mask, 16);
  return Array.from({ length: 16 }, (_, cpu) => cpu).filter((cpu) => (bits >> cpu) & 1);
}

/** One core's cpufreq policy as the kernel reports it (kHz). */
export interface CoreFrequency {
  readonly cpu: number;
  readonly governor: string | null;
  readonly curKhz: number | null;
  readonly minKhz: number | null;
  readonly maxKhz: number | null;
}

const FILES = ["scaling_governor", "scaling_cur_freq", "scaling_min_freq", "scaling_max_freq"] as const;

/** Governor and current/min/max frequency of each of `cpus` (`grep -H .` over their cpufreq files). */
export async function readCoreFrequencies(
  driver: DeviceDriver,
  serial: string,
  cpus: readonly number[],
  signal?: AbortSignal,
): Promise<CoreFrequency[]> {
  if (cpus.length === 0) return [];
  const path = (cpu: number, file: string) => `/sys/devices/system/cpu/cpu${cpu}/cpufreq/${file}`;
  const { output } = await driver.shell(
    serial,
    ["grep", "-H", ".", ...cpus.flatMap((cpu) => FILES.map((f) => path(cpu, f)))],
    { timeoutMs: 30_000, ...(signal ? { signal } : {}) },
  );
  const values = parseGrepH(output);
  const khz = (cpu: number, file: string) => {
    const v = Number(values.get(path(cpu, file)));
    return Number.isFinite(v) && v > 0 ? v : null;
  };
  return cpus.map((cpu) => ({
    cpu,
    governor: values.get(path(cpu, "scaling_governor")) ?? null,
    curKhz: khz(cpu, "scaling_cur_freq"),
    minKhz: khz(cpu, "scaling_min_freq"),
    maxKhz: khz(cpu, "scaling_max_freq"),
  }));
}

/**
 * Signs that a run was throttled, comparing the cores' policies before and after it: a lowered frequency cap
 * (`scaling_max_freq`, what Android's thermal mitigation lowers) or a changed governor.
 */
export function throttlingBetween(before: readonly CoreFrequency[], after: readonly CoreFrequency[]): string[] {
  const signs: string[] = [];
  for (const b of before) {
    const a = after.find((x) => x.cpu === b.cpu);
    if (!a) continue;
    if (b.maxKhz !== null && a.maxKhz !== null && a.maxKhz < b.maxKhz) {
      signs.push(`cpu${b.cpu} frequency cap fell from ${b.maxKhz} to ${a.maxKhz} kHz`);
    }
    if (b.governor !== null && a.governor !== null && a.governor !== b.governor) {
      signs.push(`cpu${b.cpu} governor changed from ${b.governor} to ${a.governor}`);
    }
  }
  return signs;
}
