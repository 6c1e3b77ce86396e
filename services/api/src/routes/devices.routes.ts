import { DEVICE_CLASS_PATTERN, MfnasError } from "@mfnas/core";
import { DeviceAdminRepository, type DeviceRow } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { assertAgentClass, isAgent } from "../auth.ts";
import { anyJson, arrayOf, dateTime, idParams, nullable, object, responses, uuid } from "../schemas.ts";
import type { RouteDeps } from "./deps.ts";

const states = ["online", "offline", "unauthorized", "quarantined"] as const;
const deviceClass = { type: "string", pattern: DEVICE_CLASS_PATTERN.source } as const;

const device = object({
  id: uuid,
  serial: { type: "string" },
  model: { type: "string" },
  manufacturer: nullable({ type: "string" }),
  soc: nullable({ type: "string" }),
  abi: nullable({ type: "string" }),
  androidVersion: nullable({ type: "string" }),
  sdkLevel: nullable({ type: "integer" }),
  deviceClass: { type: "string" },
  agentHost: nullable({ type: "string" }),
  state: { type: "string", enum: [...states] },
  quarantineReason: nullable({ type: "string" }),
  lastSeenAt: nullable(dateTime),
  health: { ...anyJson, description: "latest snapshot: battery, thermal zones, screen state" },
  createdAt: dateTime,
  updatedAt: dateTime,
});

const deviceDetail = object({
  ...(device["properties"] as Record<string, object>),
  measurements: { type: "integer", description: "measurements taken on this phone" },
});

const text = (max: number) => nullable({ type: "string", minLength: 1, maxLength: max });

function toDevice(row: DeviceRow) {
  return { ...row, health: row.health ?? null };
}

export function registerDeviceRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const devices = new DeviceAdminRepository(deps.db);

  async function detail(row: DeviceRow | null, id: string) {
    if (!row) throw new MfnasError("not_found", `device ${id} does not exist`, { id });
    return { ...toDevice(row), measurements: await devices.measurementCount(row.id) };
  }

  app.get(
    "/devices",
    {
      config: { scope: "read-or-agent" },
      schema: {
        operationId: "listDevices",
        summary: "Phones of the device lab (an agent token sees its own device class only)",
        tags: ["devices"],
        querystring: object({ deviceClass, state: { type: "string", enum: [...states] } }, ["deviceClass", "state"]),
        response: responses({ 200: object({ items: arrayOf(device) }) }),
      },
    },
    async (request) => {
      const q = request.query as { deviceClass?: string; state?: (typeof states)[number] };
      const principal = request.principal;
      if (principal && isAgent(principal)) {
        if (q.deviceClass !== undefined) assertAgentClass(principal, q.deviceClass);
        q.deviceClass = principal.deviceClass ?? undefined;
      }
      return { items: (await devices.list(q)).map(toDevice) };
    },
  );

  app.get(
    "/devices/:id",
    {
      config: { scope: "read-or-agent" },
      schema: {
        operationId: "getDevice",
        summary: "A phone with its health",
        tags: ["devices"],
        params: idParams,
        response: responses({ 200: deviceDetail }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const row = await devices.get(id);
      if (row && request.principal) assertAgentClass(request.principal, row.deviceClass);
      return detail(row, id);
    },
  );

  app.post(
    "/devices/:id/quarantine",
    {
      config: { scope: "admin" },
      schema: {
        operationId: "quarantineDevice",
        summary: "Take a phone out of service",
        tags: ["devices"],
        params: idParams,
        body: object({ reason: { type: "string", minLength: 1, maxLength: 500 } }),
        response: responses({ 200: deviceDetail }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { reason } = request.body as { reason: string };
      return detail(await devices.quarantine(id, reason), id);
    },
  );

  app.post(
    "/devices/:id/release",
    {
      config: { scope: "admin" },
      schema: {
        operationId: "releaseDevice",
        summary: "End a quarantine",
        description:
          "The phone becomes offline until its agent's next health check finds it fit. 409 if not quarantined.",
        tags: ["devices"],
        params: idParams,
        response: responses({ 200: deviceDetail }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { released, device: row } = await devices.release(id);
      if (row && !released) {
        throw new MfnasError("conflict", `device ${id} is ${row.state}, not quarantined`, { state: row.state });
      }
      return detail(row, id);
    },
  );

  app.put(
    "/agent/devices/:serial",
    {
      config: { scope: "agent" },
      schema: {
        operationId: "reportAgentDevice",
        summary: "A device-lab agent reports one of its phones (register, state, health)",
        description:
          "Agent tokens only, and only for their own device class; a phone known under another class is refused. " +
          "A quarantined phone stays quarantined.",
        tags: ["devices"],
        params: object({ serial: { type: "string", pattern: "^[A-Za-z0-9._:-]{1,128}$" } }),
        body: object(
          {
            deviceClass,
            model: { type: "string", minLength: 1, maxLength: 200 },
            manufacturer: text(200),
            soc: text(200),
            abi: text(64),
            androidVersion: text(64),
            sdkLevel: nullable({ type: "integer", minimum: 1, maximum: 1000 }),
            agentHost: text(253),
            state: { type: "string", enum: ["online", "offline", "unauthorized"] },
            health: { type: "object", additionalProperties: true, maxProperties: 64 },
          },
          ["manufacturer", "soc", "abi", "androidVersion", "sdkLevel", "agentHost", "health"],
        ),
        response: responses({ 200: device }),
      },
    },
    async (request) => {
      const { serial } = request.params as { serial: string };
      const body = request.body as Parameters<DeviceAdminRepository["report"]>[1];
      const principal = request.principal;
      if (!principal) throw new MfnasError("unauthenticated", "agent token required");
      assertAgentClass(principal, body.deviceClass);
      const known = await devices.classOf(serial);
      if (known !== null) assertAgentClass(principal, known);
      if (known !== null && known !== body.deviceClass) {
        throw new MfnasError("conflict", `device ${serial} is registered under class ${known}`, { known });
      }
      return toDevice(await devices.report(serial, body));
    },
  );
}
