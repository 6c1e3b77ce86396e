import {
  DEFAULT_SEARCH_SPACE,
  DEVICE_CLASS_PATTERN,
  JOBS,
  MfnasError,
  narrowSpace,
  underField,
  validatePayload,
  type SearchSpaceOverride,
} from "@mfnas/core";
import { ArtifactQueryRepository } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { artifactSummary, bodyObject, documented, toArtifact } from "../dto.ts";
import { enqueueAgain } from "../jobs.ts";
import { arrayOf, object, responses } from "../schemas.ts";
import { submitLimit, type RouteDeps } from "./deps.ts";

/** The profile request: the job's payload without the device class, which the path names. */
const profileBody = JOBS.latencyProfile.payload.omit({ deviceClass: true });

/**
 * Latency predictors per device class: the reports of their fits (report artifacts), and
 * POST /predictors/:deviceClass/profile, which queues `latency.profile`, the kernel profiling a predictor starts from.
 */
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

  app.post(
    "/predictors/:deviceClass/profile",
    {
      config: { scope: "submit", ...submitLimit(deps) },
      schema: {
        operationId: "profileLatencyKernels",
        summary: "Profile the latency kernels of a device class",
        description:
          "Queues latency.profile: the searcher exports each kernel of the profiling plan alone as TFLite and " +
          "measures it through devicelab.measure on a phone of the class; the profile is stored as a report " +
          "artifact with metadata {report: 'kernel-profile', deviceClass}. Kernels already measured under the " +
          "same runtime config and input are reused. The same request again runs the job again once it finished.",
        tags: ["predictors"],
        params: object({ deviceClass: { type: "string", pattern: DEVICE_CLASS_PATTERN.source } }),
        body: documented(profileBody),
        response: responses({
          202: object({ jobId: { type: "string" }, deviceClass: { type: "string" } }),
        }),
      },
    },
    async (request, reply) => {
      const { deviceClass } = request.params as { deviceClass: string };
      const payload = validatePayload(JOBS.latencyProfile.name, { ...bodyObject(request.body), deviceClass });
      underField("space", () => narrowSpace(DEFAULT_SEARCH_SPACE, (payload.space ?? {}) as SearchSpaceOverride));
      await enqueueAgain(deps.jobs, JOBS.latencyProfile.name, payload);
      return reply.code(202).send({ jobId: JOBS.latencyProfile.jobId(payload), deviceClass });
    },
  );
}
