import type { Db } from "../client.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import { isUniqueViolation } from "./errors.ts";

export interface DeviceRegistration {
  readonly serial: string;
  readonly model: string;
  readonly manufacturer: string | null;
  readonly soc: string | null;
  readonly abi: string | null;
  readonly androidVersion: string | null;
  readonly sdkLevel: number | null;
  readonly deviceClass: string;
  readonly agentHost: string;
  readonly health?: Prisma.InputJsonObject;
}

export interface NewMeasurement {
  readonly requestKey: string;
  readonly architectureHash: string;
  readonly deviceId: string;
  readonly deviceClass: string;
  readonly runtime: string;
  readonly runtimeVersion: string;
  readonly runtimeConfig: Prisma.InputJsonObject;
  readonly inputHeight: number;
  readonly inputWidth: number;
  readonly samples: number;
  readonly medianMs: number;
  readonly meanMs: number;
  readonly stdMs: number;
  readonly p90Ms: number;
  readonly minMs: number;
  readonly maxMs: number;
  readonly initMs: number | null;
  readonly peakMemoryMb: number | null;
  readonly conditions: Prisma.InputJsonObject;
  readonly rawOutput: string;
}

/** A measure request the runtime can never serve (see the MeasurementFailure model). */
export interface NewMeasurementFailure {
  readonly requestKey: string;
  readonly architectureHash: string;
  readonly deviceClass: string;
  readonly serial: string;
  readonly runtime: string;
  readonly runtimeVersion: string;
  readonly runtimeConfig: Prisma.InputJsonObject;
  readonly reason: string;
  readonly rawOutput: string;
}

const DEVICE = { id: true, serial: true, state: true, quarantineReason: true, deviceClass: true } as const;

/** Devices and measurements as the device-lab agent writes them. */
export class DeviceLabRepository {
  constructor(private readonly db: Db) {}

  /**
   * Creates or refreshes a Device row and marks it online, unless it is quarantined: a quarantined phone keeps
   * that state (and its reason) until an operator clears it.
   */
  async registerDevice(d: DeviceRegistration) {
    const facts = {
      model: d.model,
      manufacturer: d.manufacturer,
      soc: d.soc,
      abi: d.abi,
      androidVersion: d.androidVersion,
      sdkLevel: d.sdkLevel,
      deviceClass: d.deviceClass,
      agentHost: d.agentHost,
      lastSeenAt: new Date(),
      ...(d.health ? { health: d.health } : {}),
    };
    await this.db.device.upsert({
      where: { serial: d.serial },
      create: { serial: d.serial, ...facts, state: "online" },
      update: facts,
    });
    await this.db.device.updateMany({
      where: { serial: d.serial, state: { not: "quarantined" } },
      data: { state: "online" },
    });
    return this.db.device.findUniqueOrThrow({ where: { serial: d.serial }, select: DEVICE });
  }

  getDevice(serial: string) {
    return this.db.device.findUnique({ where: { serial }, select: DEVICE });
  }

  /** Heartbeat: the device is still there (and, if given, its latest health). */
  async heartbeat(serial: string, health?: Prisma.InputJsonObject): Promise<void> {
    await this.db.device.updateMany({
      where: { serial, state: "online" },
      data: { lastSeenAt: new Date(), ...(health ? { health } : {}) },
    });
  }

  async markOffline(serial: string): Promise<void> {
    await this.db.device.updateMany({
      where: { serial, state: { in: ["online", "unauthorized"] } },
      data: { state: "offline" },
    });
  }

  async markUnauthorized(serial: string): Promise<void> {
    await this.db.device.updateMany({
      where: { serial, state: { in: ["online", "offline"] } },
      data: { state: "unauthorized" },
    });
  }

  /** At agent start and stop: its devices not attached now are offline. */
  async markAgentDevicesOffline(agentHost: string, except: readonly string[] = []): Promise<number> {
    const { count } = await this.db.device.updateMany({
      where: { agentHost, state: { in: ["online", "unauthorized"] }, serial: { notIn: [...except] } },
      data: { state: "offline" },
    });
    return count;
  }

  async quarantine(serial: string, reason: string): Promise<void> {
    await this.db.device.updateMany({ where: { serial }, data: { state: "quarantined", quarantineReason: reason } });
  }

  /** Takes a phone out of quarantine (online, no reason): the agent that quarantined it found it fixed. */
  async release(serial: string): Promise<void> {
    await this.db.device.updateMany({
      where: { serial, state: "quarantined" },
      data: { state: "online", quarantineReason: null, lastSeenAt: new Date() },
    });
  }

  async architectureExists(hash: string): Promise<boolean> {
    return (await this.db.architecture.count({ where: { hash } })) > 0;
  }

  findMeasurement(requestKey: string) {
    return this.db.measurement.findUnique({
      where: { requestKey },
      select: { id: true, deviceId: true, medianMs: true, samples: true },
    });
  }

  /**
   * Writes the Measurement row and the device's latest health in one transaction. The request key is unique, so
   * a second write of the same request changes nothing and reports `created: false`.
   */
  async recordMeasurement(
    m: NewMeasurement,
    deviceHealth?: Prisma.InputJsonObject,
  ): Promise<{ id: string; created: boolean }> {
    try {
      const [row] = await this.db.$transaction([
        this.db.measurement.create({ data: m, select: { id: true } }),
        this.db.device.update({
          where: { id: m.deviceId },
          data: { lastSeenAt: new Date(), ...(deviceHealth ? { health: deviceHealth } : {}) },
          select: { id: true },
        }),
      ]);
      return { id: row.id, created: true };
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const existing = await this.db.measurement.findUniqueOrThrow({
        where: { requestKey: m.requestKey },
        select: { id: true },
      });
      return { id: existing.id, created: false };
    }
  }

  /** Records, once per request key, that the runtime could not load or run an architecture's model. */
  async recordMeasurementFailure(f: NewMeasurementFailure): Promise<void> {
    await this.db.measurementFailure.createMany({ data: [f], skipDuplicates: true });
  }

  /** The recorded permanent failure of a measure request, if any. */
  findMeasurementFailure(requestKey: string) {
    return this.db.measurementFailure.findUnique({
      where: { requestKey },
      select: { id: true, reason: true, runtimeVersion: true, serial: true },
    });
  }
}
