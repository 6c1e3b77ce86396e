import { MfnasError } from "@mfnas/core";
import { MeasurementQueryRepository } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { measurementSummary, toMeasurement } from "../dto.ts";
import { idParams, object, pageOf, pageQuery, responses, sha256, uuid } from "../schemas.ts";
import type { RouteDeps } from "./deps.ts";

export function registerMeasurementRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const measurements = new MeasurementQueryRepository(deps.db);

  app.get(
    "/measurements",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listMeasurements",
        summary: "Latency measurements with their conditions, newest first",
        tags: ["measurements"],
        querystring: object(
          {
            architectureHash: sha256,
            deviceId: uuid,
            deviceClass: { type: "string", pattern: "^[a-z0-9][a-z0-9_-]{0,62}$" },
            runtime: { type: "string", minLength: 1, maxLength: 64 },
            ...pageQuery(),
          },
          ["architectureHash", "deviceId", "deviceClass", "runtime", "cursor", "limit"],
        ),
        response: responses({ 200: pageOf(measurementSummary) }),
      },
    },
    async (request) => {
      const q = request.query as {
        architectureHash?: string;
        deviceId?: string;
        deviceClass?: string;
        runtime?: string;
        cursor?: string;
        limit: number;
      };
      const page = await measurements.list(q, q);
      return { items: page.items.map(toMeasurement), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/measurements/:id",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getMeasurement",
        summary: "One measurement; the benchmark tool's raw output with ?raw=true",
        tags: ["measurements"],
        params: idParams,
        querystring: object({ raw: { type: "boolean", default: false } }, ["raw"]),
        response: responses({ 200: measurementSummary }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const { raw } = request.query as { raw: boolean };
      const row = await measurements.get(id, { raw });
      if (!row) throw new MfnasError("not_found", `measurement ${id} does not exist`, { id });
      return toMeasurement(row);
    },
  );
}
