import {
  DEFAULT_SEARCH_SPACE,
  DEVICE_CLASS_PATTERN,
  JOBS,
  narrowSpace,
  validatePayload,
  type SearchSpaceOverride,
} from "@mfnas/core";
import type { FastifyInstance } from "fastify";
import { bodyObject, documented } from "../dto.ts";
import { enqueueAgain } from "../jobs.ts";
import { object, responses } from "../schemas.ts";
import { underField } from "../validation.ts";
import { submitLimit, type RouteDeps } from "./deps.ts";

/** The profile request: the job's payload without the device class, which the path names. */
const profileBody = JOBS.latencyProfile.payload.omit({ deviceClass: true });

/** POST /predictors/:deviceClass/profile: queues `latency.profile`, the kernel profiling a predictor starts from. */
export function registerPredictorRoutes(app: FastifyInstance, deps: RouteDeps): void {
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
