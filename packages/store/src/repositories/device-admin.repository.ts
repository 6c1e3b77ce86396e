import type { Db } from "../client.ts";
import type { DeviceState, Prisma } from "../generated/prisma/client.ts";

const DEVICE = {
  id: true,
  serial: true,
  model: true,
  manufacturer: true,
  soc: true,
  abi: true,
  androidVersion: true,
  sdkLevel: true,
  deviceClass: true,
  agentHost: true,
  state: true,
  quarantineReason: true,
  lastSeenAt: true,
  health: true,
  createdAt: true,
  updatedAt: true,
} as const satisfies Prisma.DeviceSelect;

export type DeviceRow = Prisma.DeviceGetPayload<{ select: typeof DEVICE }>;

/** The API's view of the device lab's phones: list, health, and an operator's quarantine and release. */
export class DeviceAdminRepository {
  constructor(private readonly db: Db) {}

  list(filters: { deviceClass?: string | undefined; state?: DeviceState | undefined }) {
    return this.db.device.findMany({
      where: {
        ...(filters.deviceClass !== undefined ? { deviceClass: filters.deviceClass } : {}),
        ...(filters.state !== undefined ? { state: filters.state } : {}),
      },
      orderBy: [{ deviceClass: "asc" }, { serial: "asc" }],
      select: DEVICE,
    });
  }

  get(id: string) {
    return this.db.device.findUnique({ where: { id }, select: DEVICE });
  }

  async measurementCount(id: string): Promise<number> {
    return this.db.measurement.count({ where: { deviceId: id } });
  }

  /** Takes a phone out of service; measure jobs skip quarantined phones. Returns the row, or null if unknown. */
  async quarantine(id: string, reason: string) {
    const { count } = await this.db.device.updateMany({
      where: { id },
      data: { state: "quarantined", quarantineReason: reason },
    });
    return count === 1 ? this.get(id) : null;
  }

  /**
   * Ends a quarantine. The phone goes to `offline` (not straight to `online`): its agent's next health check
   * decides whether it is fit to measure again.
   */
  async release(id: string): Promise<{ released: boolean; device: DeviceRow | null }> {
    const { count } = await this.db.device.updateMany({
      where: { id, state: "quarantined" },
      data: { state: "offline", quarantineReason: null },
    });
    return { released: count === 1, device: await this.get(id) };
  }

  /** Class of the device with this serial, or null when it is not known yet. */
  async classOf(serial: string): Promise<string | null> {
    return (await this.db.device.findUnique({ where: { serial }, select: { deviceClass: true } }))?.deviceClass ?? null;
  }

  /**
   * A device-lab agent's report on one phone: registers it on first sight, then updates its identity, state,
   * health and lastSeenAt. A quarantined phone stays quarantined whatever the agent reports: only an operator
   * releases it.
   */
  async report(serial: string, report: DeviceReport): Promise<DeviceRow> {
    const { state, health, ...identity } = report;
    const now = new Date();
    const healthValue = health === undefined ? {} : { health: health as Prisma.InputJsonValue };
    await this.db.$transaction(async (tx) => {
      await tx.device.upsert({
        where: { serial },
        create: { serial, ...identity, state, lastSeenAt: now, ...healthValue },
        update: { ...identity, lastSeenAt: now, ...healthValue },
      });
      await tx.device.updateMany({ where: { serial, state: { not: "quarantined" } }, data: { state } });
    });
    return this.db.device.findUniqueOrThrow({ where: { serial }, select: DEVICE });
  }
}

export interface DeviceReport {
  readonly deviceClass: string;
  readonly model: string;
  readonly manufacturer?: string | null;
  readonly soc?: string | null;
  readonly abi?: string | null;
  readonly androidVersion?: string | null;
  readonly sdkLevel?: number | null;
  readonly agentHost?: string | null;
  readonly state: Exclude<DeviceState, "quarantined">;
  readonly health?: unknown;
}
