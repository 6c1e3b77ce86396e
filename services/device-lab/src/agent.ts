import { DEVICE_CLASS_PATTERN, errorMessage, measureQueue } from "@mfnas/core";
import {
  EMULATED_RUNNER_PATH,
  HOST_CPU_DEVICE_CLASS,
  identifyDevice,
  provisionRunner,
  readHealth,
  type DeviceDriver,
  type DeviceEvent,
  type DeviceIdentity,
  type RunnerCheck,
  type RunnerConfig,
} from "@mfnas/devices";
import { CatalogWorker, type WorkerLog, type createRedis } from "@mfnas/queue";
import type { DeviceRegistration, Prisma } from "@mfnas/store";
import type { DeviceLabStore } from "./device-lab-store.ts";
import { createMeasureHandler, type GateOutcome, type MeasureOptions } from "./measure.job.ts";

type Redis = ReturnType<typeof createRedis>;

export interface AgentConfig {
  readonly agentHost: string;
  readonly prefix: string;
  /** Runner per serial, "*" for the default. */
  readonly runners: Readonly<Record<string, RunnerConfig>>;
  /** Device class per serial or SoC code. */
  readonly classes: Readonly<Record<string, string>>;
  readonly heartbeatMs: number;
  readonly flapLimit: number;
  readonly flapWindowMs: number;
  /**
   * Connect network phones (serial `host:port`) again when the adb server no longer lists them, e.g. after the
   * server restarted: USB phones re-enumerate by themselves, network phones do not. Default true.
   */
  readonly reconnectNetworkPhones?: boolean;
  readonly measure: MeasureOptions;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
}

export type MeasureOutcome = "measured" | "reused" | "failed";

/** Told about measure workers and measurements (the service's metrics). */
export interface AgentObserver {
  workerStarted(worker: CatalogWorker, deviceClass: string): void;
  workerStopped(worker: CatalogWorker): void;
  measured(deviceClass: string, seconds: number, outcome: MeasureOutcome): void;
}

/** The operator's benchmark_model binaries, per Android ABI (e.g. "arm64-v8a"); undefined when there is none. */
export type RunnerBinaries = (abi: string) => Promise<Uint8Array | undefined>;

/** Quarantine reasons this agent sets for a phone without a working runner (it clears them itself when fixed). */
const NOT_READY = "not ready: ";

export interface AgentDeps {
  readonly driver: DeviceDriver;
  /** Binaries pushed to phones whose runner is missing or different; without it phones keep their own. */
  readonly runnerBinaries?: RunnerBinaries;
  readonly store: DeviceLabStore;
  readonly artifacts: { get: (sha256: string) => Promise<Uint8Array> };
  readonly redis: Redis;
  readonly log: WorkerLog;
  readonly config: AgentConfig;
  readonly observer?: AgentObserver;
}

interface AttachedPhone {
  readonly serial: string;
  readonly socCode: string | null;
  /**
   * Kept in every health snapshot next to the reading: the phone's clusters, its runner check and the latest
   * health gate's outcome (a refusal names the zones).
   */
  readonly facts: { readonly cpuClusters: unknown; readonly runner: RunnerCheck; lastGate?: GateOutcome };
  readonly deviceClass: string;
  readonly worker: CatalogWorker;
  readonly connection: Redis;
  busy: boolean;
}

/** The device class of a phone: configured per serial or SoC, else "host-cpu" for emulated phones, else its SoC. */
export function deviceClassOf(identity: DeviceIdentity, classes: Readonly<Record<string, string>>): string {
  const configured = classes[identity.serial] ?? (identity.soc ? classes[identity.soc.code] : undefined);
  if (configured !== undefined) {
    // An operator's mapping is used as written; a bad one is a configuration error worth stopping for.
    if (!DEVICE_CLASS_PATTERN.test(configured)) {
      throw new Error(`device class ${JSON.stringify(configured)} is not a valid name`);
    }
    return configured;
  }
  if (identity.emulated) return HOST_CPU_DEVICE_CLASS;
  return classNameOf(identity.soc?.code ?? "");
}

/** What the agent registers for a phone: its identity's facts, its class and this host (health is added apart). */
export function deviceRegistration(
  identity: DeviceIdentity,
  deviceClass: string,
  agentHost: string,
): Omit<DeviceRegistration, "health"> {
  return {
    serial: identity.serial,
    model: identity.model,
    manufacturer: identity.manufacturer,
    soc: identity.soc?.name ?? null,
    abi: identity.abi,
    androidVersion: identity.androidVersion,
    sdkLevel: identity.sdkLevel,
    deviceClass,
    agentHost,
  };
}

/** A SoC code as a device class name (lowercase letters, digits, '-' and '_'); "unknown-soc" when none is left. */
function classNameOf(code: string): string {
  const name = code
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[^a-z0-9]+/, "")
    .slice(0, 63);
  return DEVICE_CLASS_PATTERN.test(name) ? name : "unknown-soc";
}

function runnerOf(identity: DeviceIdentity, runners: Readonly<Record<string, RunnerConfig>>): RunnerConfig {
  const configured = runners[identity.serial] ?? runners["*"];
  if (configured) return configured;
  const version = identity.properties["ro.mfnas.runtime"];
  return { path: EMULATED_RUNNER_PATH, version: version ?? "benchmark_model (version not configured)" };
}

/**
 * The device-lab agent: follows the adb server's device list, registers each phone (identity, class, health),
 * runs one measure worker per phone on its class's queue (one job at a time per phone; every phone of a class
 * consumes the same queue), heartbeats, marks phones offline when they go, and quarantines a phone that keeps
 * dropping off.
 */
export class DeviceLabAgent {
  private readonly phones = new Map<string, AttachedPhone>();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly disconnects = new Map<string, number[]>();
  /** Quarantined serials seen by this agent: not re-registered on every heartbeat. */
  private readonly quarantined = new Set<string>();
  private tracking: { stop(): void } | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Network phones this agent has seen online, to connect again if the adb server forgets them. */
  private readonly networkPhones = new Map<string, { host: string; port: number }>();
  private stopped = false;

  constructor(private readonly deps: AgentDeps) {}

  /** Serials with a running measure worker. */
  attached(): string[] {
    return [...this.phones.keys()];
  }

  async start(): Promise<void> {
    const { driver, store, config, log } = this.deps;
    this.tracking = await driver.track(
      (event) => this.onEvent(event),
      (error) => log.error("device tracking failed", { error: error.message }),
    );
    const now = await driver.list();
    await store.markAgentDevicesOffline(
      config.agentHost,
      now.filter((d) => d.state === "device").map((d) => d.serial),
    );
    for (const device of now) this.onEvent({ type: "added", serial: device.serial, state: device.state });
    this.heartbeat = setInterval(() => void this.beat(), config.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Waits until every queued attach/detach has been handled (for callers that need a settled state). */
  async settled(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  /** Stops tracking, hands running jobs back to their queues, and marks this agent's phones offline. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.tracking?.stop();
    clearInterval(this.heartbeat);
    await this.settled();
    await Promise.all([...this.phones.keys()].map((serial) => this.detach(serial, "agent stopping", false)));
    await this.deps.store.markAgentDevicesOffline(this.deps.config.agentHost);
  }

  private onEvent(event: DeviceEvent): void {
    const serial = event.serial;
    const previous = this.chains.get(serial) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        if (this.stopped) return;
        if (event.type === "removed") await this.detach(serial, "removed from adb", true);
        else if (event.state === "device") await this.attach(serial);
        else {
          await this.detach(serial, `adb state ${event.state}`, true);
          if (event.state === "unauthorized") await this.deps.store.markUnauthorized(serial);
        }
      })
      .catch((error: unknown) => this.deps.log.error("device event failed", { serial, error: errorMessage(error) }));
    this.chains.set(serial, next);
  }

  private async attach(serial: string): Promise<void> {
    if (this.phones.has(serial)) return;
    const { driver, store, config, log } = this.deps;
    const identity = await identifyDevice(driver, serial);
    const deviceClass = deviceClassOf(identity, config.classes);
    const socCode = identity.soc?.code ?? null;
    const health = await readHealth(driver, serial, { socCode }).catch(() => undefined);
    const row = await store.registerDevice({
      ...deviceRegistration(identity, deviceClass, config.agentHost),
      health: JSON.parse(JSON.stringify({ ...health, cpuClusters: identity.cpuClusters })) as Prisma.InputJsonObject,
    });
    const notReadyBefore = row.state === "quarantined" && (row.quarantineReason ?? "").startsWith(NOT_READY);
    if (row.state === "quarantined" && !notReadyBefore) {
      this.quarantined.add(serial);
      log.warn("device is quarantined; not measuring on it", { serial, reason: row.quarantineReason });
      return;
    }
    // A phone without a working benchmark_model takes no jobs: it is shown "not ready: <reason>" and checked
    // again at every heartbeat (the operator may provide a binary meanwhile), then released here.
    const configuredRunner = runnerOf(identity, config.runners);
    const binary = identity.abi ? await this.deps.runnerBinaries?.(identity.abi) : undefined;
    const check = await provisionRunner(driver, serial, {
      path: configuredRunner.path,
      ...(binary ? { binary } : {}),
    });
    await store.heartbeat(
      serial,
      JSON.parse(
        JSON.stringify({ ...health, cpuClusters: identity.cpuClusters, runner: check }),
      ) as Prisma.InputJsonObject,
    );
    if (!check.ready) {
      const reason = `${NOT_READY}${check.reason ?? "runner check failed"}`.slice(0, 500);
      if (row.quarantineReason !== reason) {
        await store.quarantine(serial, reason);
        log.warn("device not ready: no working runner", { serial, reason });
      }
      return;
    }
    if (notReadyBefore) {
      await store.release(serial);
      log.info("device ready: runner works", { serial, sha256: check.sha256, pushed: check.pushed });
    }
    const runner = { ...configuredRunner, ...(check.sha256 ? { sha256: check.sha256 } : {}) };
    const connection = this.deps.redis.duplicate();
    const phone: AttachedPhone = {
      serial,
      socCode,
      facts: { cpuClusters: identity.cpuClusters, runner: check },
      deviceClass,
      connection,
      busy: false,
      worker: undefined as never,
    };
    const handler = createMeasureHandler({
      store,
      artifacts: this.deps.artifacts,
      driver,
      phone: {
        serial,
        deviceId: row.id,
        deviceClass,
        model: identity.model,
        soc: identity.soc?.name ?? null,
        socCode,
        emulated: identity.emulated,
        runner,
        healthFacts: { cpuClusters: identity.cpuClusters, runner: check },
        cpuClusters: identity.cpuClusters,
      },
      options: config.measure,
      log,
      onPhoneProblem: (reason) => this.phoneProblem(serial, reason),
      onGate: (gate) => {
        phone.facts.lastGate = gate;
        if (!gate.fit) log.warn("health gate refused the phone", { serial, ...gate });
      },
    });
    const worker = new CatalogWorker({
      connection,
      prefix: config.prefix,
      queue: measureQueue(deviceClass),
      handlers: {
        "devicelab.measure": async (ctx) => {
          phone.busy = true;
          const started = performance.now();
          let outcome: MeasureOutcome = "failed";
          try {
            const result = await handler(ctx);
            const skipped = typeof result === "object" && result !== null && "skipped" in result && result.skipped;
            outcome = skipped === true ? "reused" : "measured";
            return result;
          } finally {
            phone.busy = false;
            this.deps.observer?.measured(deviceClass, (performance.now() - started) / 1000, outcome);
          }
        },
      },
      concurrency: 1,
      log,
      name: `device-lab-${config.agentHost}-${serial}`,
      ...(config.lockDurationMs !== undefined ? { lockDurationMs: config.lockDurationMs } : {}),
      ...(config.stalledIntervalMs !== undefined ? { stalledIntervalMs: config.stalledIntervalMs } : {}),
    });
    Object.assign(phone, { worker });
    this.phones.set(serial, phone);
    this.deps.observer?.workerStarted(worker, deviceClass);
    await worker.start();
    log.info("device online", { serial, model: identity.model, soc: identity.soc?.name, deviceClass });
  }

  /**
   * A phone that cannot run the runner takes no more jobs: it is marked "not ready: <reason>" (shown on the device
   * page) and its worker closed; every heartbeat checks it again and releases it once the runner works. Queued
   * behind the running job's settlement, never awaited by the handler (closing the worker waits for the handler).
   */
  private phoneProblem(serial: string, reason: string): void {
    const previous = this.chains.get(serial) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        const notReady = `${NOT_READY}${reason}`.slice(0, 500);
        await this.deps.store.quarantine(serial, notReady);
        this.deps.log.warn("device not ready: its runner failed", { serial, reason: notReady });
        await this.detach(serial, notReady, false);
      })
      .catch((error: unknown) =>
        this.deps.log.error("marking not ready failed", { serial, error: errorMessage(error) }),
      );
    this.chains.set(serial, next);
  }

  private async detach(serial: string, reason: string, countAsDisconnect: boolean): Promise<void> {
    const phone = this.phones.get(serial);
    this.phones.delete(serial);
    if (phone) {
      // Closing the worker aborts a running measurement and puts its job back on the class's queue.
      await phone.worker.close();
      this.deps.observer?.workerStopped(phone.worker);
      phone.connection.disconnect();
      this.deps.log.info("device offline", { serial, reason });
    }
    await this.deps.store.markOffline(serial);
    if (countAsDisconnect && phone) await this.checkFlapping(serial);
  }

  private async checkFlapping(serial: string): Promise<void> {
    const { flapLimit, flapWindowMs } = this.deps.config;
    const now = Date.now();
    const recent = [...(this.disconnects.get(serial) ?? []), now].filter((t) => now - t <= flapWindowMs);
    this.disconnects.set(serial, recent);
    if (recent.length > flapLimit) {
      const reason = `flapping: ${recent.length} disconnects within ${Math.round(flapWindowMs / 1000)} s (limit ${flapLimit})`;
      await this.deps.store.quarantine(serial, reason);
      this.quarantined.add(serial);
      this.deps.log.warn("device quarantined", { serial, reason });
    }
  }

  /**
   * The adb server's track-devices stream does not always report a network device going offline (adb keeps
   * reconnecting it), so every heartbeat also compares the server's list with the attached phones.
   */
  private async reconcile(): Promise<void> {
    const listed = await this.deps.driver.list();
    const online = new Set(listed.filter((d) => d.state === "device").map((d) => d.serial));
    for (const serial of online) {
      const address = networkAddress(serial);
      if (address) this.networkPhones.set(serial, address);
    }
    await this.reconnectForgotten(listed.map((d) => d.serial));
    for (const serial of this.phones.keys()) {
      if (online.has(serial)) continue;
      const entry = listed.find((d) => d.serial === serial);
      this.onEvent(entry ? { type: "changed", serial, state: entry.state } : { type: "removed", serial });
    }
    for (const serial of online) {
      if (!this.phones.has(serial) && !this.quarantined.has(serial))
        this.onEvent({ type: "added", serial, state: "device" });
    }
  }

  /** `adb connect` for remembered network phones the server no longer lists at all (it restarted). */
  private async reconnectForgotten(listed: readonly string[]): Promise<void> {
    const { driver, config, log } = this.deps;
    if (config.reconnectNetworkPhones === false || !driver.connect) return;
    const known = new Set(listed);
    for (const [serial, { host, port }] of this.networkPhones) {
      if (known.has(serial) || this.quarantined.has(serial)) continue;
      try {
        await driver.connect(host, port);
        log.info("network phone connected again", { serial });
      } catch (error) {
        log.warn("could not connect network phone again", { serial, error: errorMessage(error) });
      }
    }
  }

  private async beat(): Promise<void> {
    await this.reconcile().catch((error: unknown) =>
      this.deps.log.warn("listing devices failed", { error: errorMessage(error) }),
    );
    for (const phone of this.phones.values()) {
      try {
        // A busy phone is not disturbed with extra commands; its row is only touched.
        const health = phone.busy
          ? undefined
          : await readHealth(this.deps.driver, phone.serial, { socCode: phone.socCode });
        await this.deps.store.heartbeat(
          phone.serial,
          health ? (JSON.parse(JSON.stringify({ ...health, ...phone.facts })) as Prisma.InputJsonObject) : undefined,
        );
      } catch (error) {
        this.deps.log.warn("heartbeat failed", { serial: phone.serial, error: errorMessage(error) });
      }
    }
  }
}

/** Host and port of a network phone's serial (`127.0.0.1:5555`, `phone.lan:5555`); undefined for USB serials. */
function networkAddress(serial: string): { host: string; port: number } | undefined {
  const m = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(serial);
  if (!m) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65_535 ? { host: m[1] as string, port } : undefined;
}
