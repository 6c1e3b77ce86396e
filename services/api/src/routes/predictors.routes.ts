import { DEVICE_CLASS_PATTERN, MfnasError } from "@mfnas/core";
import { ArtifactQueryRepository } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { artifactSummary, toArtifact } from "../dto.ts";
import { arrayOf, object, responses } from "../schemas.ts";
import type { RouteDeps } from "./deps.ts";

/** Latency-predictor reports per device class (report artifacts the predictor's fit stores). */
export function registerPredictorRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const artifacts = new ArtifactQueryRepository(deps.db);

  app.get(
    "/predictors",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listPredictors",
        summary: "Latency-predictor reports of every device class (empty until a predictor has been fitted)",
        tags: ["predictors"],
        response: responses({ 200: object({ items: arrayOf(artifactSummary) }) }),
      },
    },
    async () => ({ items: (await artifacts.predictorReports()).map(toArtifact) }),
  );

  app.get(
    "/predictors/:deviceClass/report",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getPredictorReport",
        summary: "The latest latency-predictor report of a device class",
        description:
          "Reports are artifacts of kind report with metadata {report: 'latency-predictor', deviceClass}. " +
          "404 until a predictor has been fitted for the class.",
        tags: ["predictors"],
        params: object({ deviceClass: { type: "string", pattern: DEVICE_CLASS_PATTERN.source } }),
        response: responses({
          200: object({ deviceClass: { type: "string" }, latest: artifactSummary, history: arrayOf(artifactSummary) }),
        }),
      },
    },
    async (request) => {
      const { deviceClass } = request.params as { deviceClass: string };
      const reports = (await artifacts.predictorReports(deviceClass)).map(toArtifact);
      const latest = reports[0];
      if (!latest) {
        throw new MfnasError("not_found", `no latency predictor has been fitted for device class ${deviceClass}`, {
          deviceClass,
        });
      }
      return { deviceClass, latest, history: reports };
    },
  );
}
