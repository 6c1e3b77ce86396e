import { measureQueue } from "@mfnas/core";
import { DashboardQueryRepository, DeviceAdminRepository, SearchQueryRepository } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { anyJson, arrayOf, dateTime, nullable, object, responses, uuid } from "../schemas.ts";
import type { RouteDeps } from "./deps.ts";

/** The device lab at a glance: phones, measure.<class> queue counts, utilization, searches waiting for phones. */

const queueCounts = object({
  waiting: { type: "integer" },
  active: { type: "integer" },
  delayed: { type: "integer" },
  prioritized: { type: "integer" },
  failed: { type: "integer" },
});

const deviceLab = object({
  windowStart: dateTime,
  windowEnd: dateTime,
  classes: arrayOf(
    object({
      deviceClass: { type: "string" },
      queue: { type: "string" },
      devices: { type: "integer" },
      online: { type: "integer" },
      counts: queueCounts,
    }),
  ),
  devices: arrayOf(
    object({
      id: uuid,
      serial: { type: "string" },
      model: { type: "string" },
      soc: nullable({ type: "string" }),
      deviceClass: { type: "string" },
      agentHost: nullable({ type: "string" }),
      state: { type: "string" },
      quarantineReason: nullable({ type: "string" }),
      lastSeenAt: nullable(dateTime),
      health: anyJson,
      measurements: { type: "integer", description: "measurements recorded in the window" },
      busyMs: { type: "number", description: "wall time of their benchmark repetitions" },
      untimed: { type: "integer", description: "measurements in the window without per-repetition wall times" },
      utilization: { type: "number", description: "busyMs / window length, at most 1" },
      lastMeasuredAt: nullable(dateTime),
    }),
  ),
  waitingSearches: {
    ...arrayOf(
      object({
        id: uuid,
        name: { type: "string" },
        status: { type: "string" },
        deviceClasses: arrayOf({ type: "string" }),
      }),
    ),
    description: "queued or running searches waiting for phones of device classes that have none online",
  },
});

const WINDOW_MS = 3_600_000;

export function registerDeviceLabRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const reads = new DashboardQueryRepository(deps.db);
  const searches = new SearchQueryRepository(deps.db);
  const devices = new DeviceAdminRepository(deps.db);

  app.get(
    "/device-lab",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getDeviceLab",
        summary: "The device lab at a glance: phones, queue depth per device class, utilization in the last hour",
        description:
          "Queue counts are BullMQ's for each device class's measure.<class> queue. Utilization is the wall time " +
          "of the benchmark repetitions of measurements recorded in the last hour over the hour (pushes, " +
          "cool-down waits and health reads are not counted).",
        tags: ["devices"],
        response: responses({ 200: deviceLab }),
      },
    },
    async () => {
      const windowEnd = new Date();
      const windowStart = new Date(windowEnd.getTime() - WINDOW_MS);
      const [phones, busy, waitingSearches] = await Promise.all([
        devices.list({}),
        reads.busyTime(windowStart),
        searches.waitingForPhones(),
      ]);
      const busyOf = new Map(busy.map((b) => [b.deviceId, b]));
      const classNames = [...new Set(phones.map((p) => p.deviceClass))].sort();
      const classes = await Promise.all(
        classNames.map(async (deviceClass) => {
          const queue = measureQueue(deviceClass).name;
          const counts = await deps.jobs
            .queue(queue)
            .getJobCounts("waiting", "active", "delayed", "prioritized", "failed");
          const members = phones.filter((p) => p.deviceClass === deviceClass);
          return {
            deviceClass,
            queue,
            devices: members.length,
            online: members.filter((p) => p.state === "online").length,
            counts: {
              waiting: counts["waiting"] ?? 0,
              active: counts["active"] ?? 0,
              delayed: counts["delayed"] ?? 0,
              prioritized: counts["prioritized"] ?? 0,
              failed: counts["failed"] ?? 0,
            },
          };
        }),
      );
      return {
        windowStart,
        windowEnd,
        classes,
        devices: phones.map((p) => {
          const b = busyOf.get(p.id);
          return {
            id: p.id,
            serial: p.serial,
            model: p.model,
            soc: p.soc,
            deviceClass: p.deviceClass,
            agentHost: p.agentHost,
            state: p.state,
            quarantineReason: p.quarantineReason,
            lastSeenAt: p.lastSeenAt,
            health: p.health ?? null,
            measurements: b?.measurements ?? 0,
            busyMs: b?.busyMs ?? 0,
            untimed: b?.untimed ?? 0,
            utilization: Math.min(1, (b?.busyMs ?? 0) / WINDOW_MS),
            lastMeasuredAt: b?.lastMeasuredAt ?? null,
          };
        }),
        waitingSearches,
      };
    },
  );
}
