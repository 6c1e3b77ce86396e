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
}
