import { hostname } from "node:os";
import { z } from "zod";
import { envVar, errorMessage, parseEnv } from "@mfnas/core";
import { EMULATED_PROFILES } from "@mfnas/devices";

const number = (what: string) =>
  z
    .string()
    .refine((v) => v.trim() !== "" && Number.isFinite(Number(v)), `must be a number (${what})`)
    .transform(Number);

const runnerSchema = z.strictObject({ path: z.string().min(1), version: z.string().min(1) });

const schema = z.object({
  /** Results store (Device and Measurement rows). */
  DATABASE_URL: envVar.postgresUrl(),
  /** BullMQ's Redis; measure jobs arrive on `measure.<deviceClass>`. */
  REDIS_URL: envVar.redisUrl().default("redis://127.0.0.1:6379"),
  /** Key prefix of all queues; must equal the producers'. */
  QUEUE_PREFIX: envVar.queuePrefix().default("mfnas"),
  /** Content-addressed artifact directory the models are read from (shared with the exporters). */
  ARTIFACT_DIR: z.string().min(1).default(".mfnas/artifacts"),
  /** The host's adb server; started with `adb start-server` when it does not answer. */
  ADB_HOST: z.string().min(1).default("127.0.0.1"),
  ADB_PORT: envVar.port().default(5037),
  /** Name recorded as the owner of the devices this agent registers. Default: the machine's hostname. */
  DEVICE_LAB_AGENT_HOST: z.string().min(1).default(hostname()),
  /**
   * Runner per device, JSON: {"<serial>": {"path": "...", "version": "..."}, "*": {...}}. Default: every phone
   * runs /data/local/tmp/benchmark_model (emulated phones report their own runtime version).
   */
  DEVICE_LAB_RUNNERS: z
    .string()
    .default("{}")
    .transform((text, ctx) => {
      try {
        return z.record(z.string(), runnerSchema).parse(JSON.parse(text));
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `must be JSON {serial: {path, version}}: ${errorMessage(error)}` });
        return z.NEVER;
      }
    }),
  /**
   * Directory of the operator's benchmark_model binaries, one per Android ABI: <dir>/<abi>/benchmark_model (e.g.
   * <dir>/arm64-v8a/benchmark_model), used for an ABI that has no uploaded runner (`mfnas upload runner`, which
   * wins). A phone whose runner is missing or differs gets it pushed at attach. With neither: phones keep the
   * runner they have (and one without a working runner is "not ready").
   */
  DEVICE_LAB_RUNNER_DIR: z.string().min(1).optional(),
  /** Device class per serial or SoC code, JSON {"<serial or soc>": "<class>"}. Default: the SoC code. */
  DEVICE_LAB_CLASSES: z
    .string()
    .default("{}")
    .transform((text, ctx) => {
      try {
        return z.record(z.string(), z.string()).parse(JSON.parse(text));
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `must be JSON {serialOrSoc: class}: ${errorMessage(error)}` });
        return z.NEVER;
      }
    }),
  /** How often online devices are re-read and their rows touched. */
  DEVICE_LAB_HEARTBEAT_MS: envVar.positiveInt().default(15_000),
  /** A phone that disconnects more than this many times within the window is quarantined. */
  DEVICE_LAB_FLAP_LIMIT: envVar.positiveInt().default(4),
  DEVICE_LAB_FLAP_WINDOW_MS: envVar.positiveInt().default(600_000),
  /** Connect network phones (serial host:port) again when the adb server forgets them, e.g. after it restarted. */
  DEVICE_LAB_RECONNECT_NETWORK: z.enum(["true", "false"]).default("true"),
  /** Health gate: thresholds and the bounded cool-down wait. */
  DEVICE_LAB_MAX_THERMAL_C: number("°C").default(45),
  DEVICE_LAB_MAX_BATTERY_TEMP_C: number("°C").default(40),
  DEVICE_LAB_MIN_BATTERY_LEVEL: number("%").default(20),
  /** Highest skin / board thermistor temperature (xo-therm, skin-therm...) to measure at. */
  DEVICE_LAB_MAX_SKIN_C: number("°C").default(42),
  /**
   * Health thresholds per device class over the ones above, JSON {"<class>": {"maxThermalC": 50, "maxSkinC": 40,
   * "maxBatteryTempC": 40, "minBatteryLevel": 20}}: phones of one SoC idle warmer than another's.
   */
  DEVICE_LAB_CLASS_THRESHOLDS: z
    .string()
    .default("{}")
    .transform((text, ctx) => {
      const thresholds = z.strictObject({
        maxThermalC: z.number().finite().optional(),
        maxSkinC: z.number().finite().optional(),
        maxBatteryTempC: z.number().finite().optional(),
        minBatteryLevel: z.number().finite().optional(),
      });
      try {
        return z.record(z.string(), thresholds).parse(JSON.parse(text));
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `must be JSON {class: {maxThermalC, ...}}: ${errorMessage(error)}` });
        return z.NEVER;
      }
    }),
  DEVICE_LAB_COOLDOWN_MAX_WAIT_MS: envVar.positiveInt().default(120_000),
  DEVICE_LAB_COOLDOWN_POLL_MS: envVar.positiveInt().default(5_000),
  /**
   * Cores a measurement is pinned to (taskset) when its runtime config names no cpuAffinity, from the phone's CPU
   * clusters: big (all but the slowest cluster; Snapdragon 865: cpu4-7, mask f0), prime (the fastest cluster only)
   * or none. A one-cluster phone is never pinned.
   */
  DEVICE_LAB_PINNING: z.enum(["big", "prime", "none"]).default("big"),
  /** Repeat benchmark_model until the 95% CI half-width is at most this fraction of the mean... */
  DEVICE_LAB_CI_TARGET: number("fraction").default(0.02),
  /** ...but at least / at most this many times. */
  DEVICE_LAB_MIN_REPETITIONS: envVar.positiveInt().default(3),
  DEVICE_LAB_MAX_REPETITIONS: envVar.positiveInt().default(10),
  /** Lock and stall-check of measure jobs; unset = the queue's defaults. Shorter = faster takeover after a crash. */
  DEVICE_LAB_LOCK_DURATION_MS: envVar.positiveInt().optional(),
  DEVICE_LAB_STALLED_INTERVAL_MS: envVar.positiveInt().optional(),
  /**
   * Port of the /metrics, /healthz and /readyz server Prometheus scrapes. Each service has its own default
   * (searcher 9461, trainer 9462, evaluator 9463, device-lab 9464, scheduler 9465) so that all of them can run on
   * one machine; 0 picks a free port (logged at start).
   */
  METRICS_PORT: envVar.port().default(9464),
  /** Listen address of that server. Default all interfaces: the scraper runs in another container or host. */
  METRICS_HOST: z.string().min(1).default("0.0.0.0"),
  /**
   * How long to wait at start for PostgreSQL and Redis to answer before stopping with one line naming what is
   * unreachable (exit 69). 30 s covers a database started beside the service.
   */
  STARTUP_WAIT_MS: envVar.positiveInt().default(30_000),
  LOG_LEVEL: envVar.logLevel().default("info"),
});

export type DeviceLabEnv = z.infer<typeof schema>;

/** Parses the environment once; a bad or missing variable stops the process with a message naming it. */
export function loadEnv(source: Readonly<Record<string, string | undefined>> = process.env): DeviceLabEnv {
  try {
    return parseEnv(schema, source);
  } catch (error) {
    process.stderr.write(`device-lab: ${errorMessage(error)}\n`);
    process.exit(78); // EX_CONFIG
  }
}

const emulatedPhonesSchema = z.object({
  /**
   * What `npm run emulated-phones` phones report about themselves: `host` (the host's CPUs; the default, true to
   * what is measured) or `sm8250` (a real Android 11 Snapdragon 865 phone's properties, thermal zones and CPU
   * clusters, for trying the lab's SM8250 paths without a phone). Timings are the host CPU's either way.
   */
  EMULATED_PHONE_PROFILE: z.enum(EMULATED_PROFILES).default("host"),
});

/** The emulated-phones command's environment (a `--profile` option overrides it). */
export function loadEmulatedPhonesEnv(
  source: Readonly<Record<string, string | undefined>> = process.env,
): z.infer<typeof emulatedPhonesSchema> {
  try {
    return parseEnv(emulatedPhonesSchema, source);
  } catch (error) {
    process.stderr.write(`emulated-phones: ${errorMessage(error)}\n`);
    process.exit(78); // EX_CONFIG
  }
}
