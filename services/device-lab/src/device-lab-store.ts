import type { DeviceLabRepository } from "@mfnas/store";

/** What the device lab needs from the results store (implemented by @mfnas/store's DeviceLabRepository). */
export type DeviceLabStore = Pick<
  DeviceLabRepository,
  | "registerDevice"
  | "getDevice"
  | "heartbeat"
  | "markOffline"
  | "markUnauthorized"
  | "markAgentDevicesOffline"
  | "quarantine"
  | "release"
  | "architectureExists"
  | "findMeasurement"
  | "recordMeasurement"
  | "recordMeasurementFailure"
  | "findMeasurementFailure"
>;
