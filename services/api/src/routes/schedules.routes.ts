import { checkSearchSpec, MfnasError, underField } from "@mfnas/core";
import { ScheduleRepository, ScheduleRunRepository, type Prisma, type ScheduleRow } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { nextFireTimes, parseTimeZone } from "../cron.ts";
import { bodyObject, requireName } from "../dto.ts";
import {
  anyJson,
  arrayOf,
  dateTime,
  idParams,
  nullable,
  object,
  pageOf,
  pageQuery,
  responses,
  uuid,
} from "../schemas.ts";
import { domainValidated } from "../validation.ts";
import type { RouteDeps } from "./deps.ts";

const policies = ["skip", "run_once"] as const;
type Policy = (typeof policies)[number];

const scheduleSchema = object({
  id: uuid,
  name: { type: "string" },
  cron: { type: "string" },
  timezone: { type: "string" },
  searchSpec: anyJson,
  enabled: { type: "boolean" },
  missedRunPolicy: { type: "string", enum: [...policies] },
  nextRuns: { ...arrayOf(dateTime), description: "the next three slots (empty while disabled)" },
  createdAt: dateTime,
  updatedAt: dateTime,
});

const scheduleBody = object(
  {
    name: { type: "string", minLength: 1, maxLength: 200 },
    cron: { type: "string", description: "five fields: minute hour day-of-month month day-of-week" },
    timezone: { type: "string", description: "IANA time zone, default UTC" },
    searchSpec: { type: "object", description: "a search spec, as for POST /v1/searches" },
    enabled: { type: "boolean" },
    missedRunPolicy: { type: "string", enum: [...policies] },
  },
  ["timezone", "enabled", "missedRunPolicy"],
);

const runSchema = object({
  id: uuid,
  slot: dateTime,
  searchId: nullable(uuid),
  createdAt: dateTime,
  search: nullable(
    object({
      name: { type: "string" },
      status: { type: "string" },
      lastGeneration: nullable({ type: "integer" }),
      finishedAt: nullable(dateTime),
    }),
  ),
});

const KEYS = ["name", "cron", "timezone", "searchSpec", "enabled", "missedRunPolicy"] as const;

/** Validates a create (all required fields) or a change (any subset); the error names each bad field. */
function parseSchedule(body: unknown, current: ScheduleRow | null) {
  const input = bodyObject(body);
  const unknown = Object.keys(input).filter((k) => !(KEYS as readonly string[]).includes(k));
  const missing = current ? [] : ["name", "cron", "searchSpec"].filter((k) => input[k] === undefined);
  const fields = [...unknown.map((k) => `${k}: is not allowed`), ...missing.map((k) => `${k}: is required`)];
  if (fields.length > 0) throw new MfnasError("invalid_input", fields.join("; "), { fields });
  const has = (key: string) => input[key] !== undefined;
  const bad = (field: string, message: string) =>
    new MfnasError("invalid_input", `${field}: ${message}`, { fields: [`${field}: ${message}`] });
  if (has("cron") && typeof input["cron"] !== "string") throw bad("cron", "must be a string");
  if (has("timezone") && typeof input["timezone"] !== "string") throw bad("timezone", "must be a string");
  if (has("enabled") && typeof input["enabled"] !== "boolean") throw bad("enabled", "must be a boolean");
  if (has("missedRunPolicy") && !policies.includes(input["missedRunPolicy"] as Policy)) {
    throw bad("missedRunPolicy", `must be one of ${policies.join(", ")}`);
  }
  const name = has("name") ? requireName(input["name"]) : undefined;
  const timezone = has("timezone") ? parseTimeZone(input["timezone"] as string) : undefined;
  const cron = has("cron") ? (input["cron"] as string).trim().replace(/\s+/g, " ") : undefined;
  nextFireTimes(cron ?? current?.cron ?? "", timezone ?? current?.timezone ?? "UTC", 1);
  const searchSpec = has("searchSpec")
    ? (underField("searchSpec", () => checkSearchSpec(input["searchSpec"])) as unknown as Prisma.InputJsonObject)
    : undefined;
  return {
    ...(name !== undefined ? { name } : {}),
    ...(cron !== undefined ? { cron } : {}),
    ...(timezone !== undefined ? { timezone } : {}),
    ...(searchSpec !== undefined ? { searchSpec } : {}),
    ...(has("enabled") ? { enabled: input["enabled"] as boolean } : {}),
    ...(has("missedRunPolicy") ? { missedRunPolicy: input["missedRunPolicy"] as Policy } : {}),
  };
}

function toSchedule(row: ScheduleRow) {
  return { ...row, nextRuns: row.enabled ? nextFireTimes(row.cron, row.timezone, 3) : [] };
}

export function registerScheduleRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const schedules = new ScheduleRepository(deps.db);

  async function get(id: string): Promise<ScheduleRow> {
    const row = await schedules.get(id);
    if (!row) throw new MfnasError("not_found", `schedule ${id} does not exist`, { id });
    return row;
  }

  app.post(
    "/schedules",
    {
      config: { scope: "admin" },
      schema: {
        operationId: "createSchedule",
        summary: "Create a recurring search",
        tags: ["schedules"],
        body: domainValidated(scheduleBody, "parseSchedule"),
        response: responses({ 201: scheduleSchema }),
      },
    },
    async (request, reply) => {
      const input = parseSchedule(request.body, null);
      const row = await schedules.create({
        name: input.name ?? "",
        cron: input.cron ?? "",
        timezone: input.timezone ?? "UTC",
        searchSpec: input.searchSpec ?? {},
        enabled: input.enabled ?? true,
        missedRunPolicy: input.missedRunPolicy ?? "skip",
      });
      return reply.code(201).header("location", `/v1/schedules/${row.id}`).send(toSchedule(row));
    },
  );

  app.get(
    "/schedules",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listSchedules",
        summary: "List schedules, newest first",
        tags: ["schedules"],
        querystring: object({ enabled: { type: "boolean" }, ...pageQuery() }, ["enabled", "cursor", "limit"]),
        response: responses({ 200: pageOf(scheduleSchema) }),
      },
    },
    async (request) => {
      const q = request.query as { enabled?: boolean; cursor?: string; limit: number };
      const page = await schedules.list(q, q);
      return { items: page.items.map(toSchedule), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/schedules/:id",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getSchedule",
        summary: "A schedule and its next slots",
        tags: ["schedules"],
        params: idParams,
        response: responses({ 200: scheduleSchema }),
      },
    },
    async (request) => toSchedule(await get((request.params as { id: string }).id)),
  );

  app.patch(
    "/schedules/:id",
    {
      config: { scope: "admin" },
      schema: {
        operationId: "updateSchedule",
        summary: "Change a schedule (any subset of its fields)",
        tags: ["schedules"],
        params: idParams,
        body: domainValidated({ ...scheduleBody, required: [] }, "parseSchedule"),
        response: responses({ 200: scheduleSchema }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const change = parseSchedule(request.body, await get(id));
      const row = await schedules.update(id, change);
      if (!row) throw new MfnasError("not_found", `schedule ${id} does not exist`, { id });
      return toSchedule(row);
    },
  );

  app.delete(
    "/schedules/:id",
    {
      config: { scope: "admin" },
      schema: {
        operationId: "deleteSchedule",
        summary: "Delete a schedule and its slot history (the searches it started stay)",
        tags: ["schedules"],
        params: idParams,
        response: responses({ 204: { type: "null", description: "deleted" } }),
      },
    },
    async (request, reply) => {
      const { id } = request.params as { id: string };
      if (!(await schedules.delete(id))) throw new MfnasError("not_found", `schedule ${id} does not exist`, { id });
      return reply.code(204).send();
    },
  );

  const trendPoint = object({
    runId: uuid,
    slot: dateTime,
    searchId: nullable(uuid),
    searchName: nullable({ type: "string" }),
    status: { type: "string", description: "the search's status, or skipped when the slot started none" },
    finishedAt: nullable(dateTime),
    generations: { type: "integer" },
    hypervolume: nullable({ type: "number" }),
    frontSize: nullable({ type: "integer" }),
  });
  app.get(
    "/schedules/:id/trend",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getScheduleTrend",
        summary: "Tonight's front against earlier nights: final-front hypervolume and size per run, newest first",
        tags: ["schedules"],
        params: idParams,
        querystring: object({ limit: { type: "integer", minimum: 1, maximum: 1000, default: 30 } }, ["limit"]),
        response: responses({
          200: object({
            runs: arrayOf(trendPoint),
            comparison: object({
              latest: nullable(trendPoint),
              previous: nullable(trendPoint),
              changeFromPrevious: nullable({ type: "number" }),
              bestEarlierHypervolume: nullable({ type: "number" }),
              meanEarlierHypervolume: nullable({ type: "number" }),
              latestIsBest: nullable({ type: "boolean" }),
            }),
          }),
        }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      await get(id);
      return new ScheduleRunRepository(deps.db).frontTrend(id, (request.query as { limit: number }).limit);
    },
  );

  app.get(
    "/schedules/:id/runs",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listScheduleRuns",
        summary: "History of a schedule: its slots, newest first, with the search each started",
        tags: ["schedules"],
        params: idParams,
        querystring: object(pageQuery(), ["cursor", "limit"]),
        response: responses({ 200: pageOf(runSchema) }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      await get(id);
      return schedules.runs(id, request.query as { cursor?: string; limit: number });
    },
  );
}
