import type { FastifyInstance } from "fastify";
import type { RouteDeps } from "./deps.ts";
import { registerApiKeyRoutes } from "./api-keys.routes.ts";
import { registerArchitectureRoutes } from "./architectures.routes.ts";
import { registerArtifactRoutes } from "./artifacts.routes.ts";
import { registerDeviceLabRoutes } from "./device-lab.routes.ts";
import { registerDeviceRoutes } from "./devices.routes.ts";
import { registerEventRoutes } from "./events.routes.ts";
import { registerMeasurementRoutes } from "./measurements.routes.ts";
import { registerPredictorRoutes } from "./predictors.routes.ts";
import { registerSearchResultRoutes } from "./search-results.routes.ts";
import { registerScheduleRoutes } from "./schedules.routes.ts";
import { registerSearchFinalSetRoutes } from "./search-final-set.routes.ts";
import { registerSearchRoutes } from "./searches.routes.ts";
import { registerSupernetRoutes } from "./supernets.routes.ts";

/**
 * Every route, one file per resource. The order is the order of the OpenAPI document and so of the generated API
 * types (tests/api-types.test.ts): a new resource goes at the end.
 */
export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  registerSupernetRoutes(app, deps);
  registerSearchRoutes(app, deps);
  registerSearchResultRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerDeviceRoutes(app, deps);
  registerMeasurementRoutes(app, deps);
  registerArtifactRoutes(app, deps);
  registerPredictorRoutes(app, deps);
  registerScheduleRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
  registerSearchFinalSetRoutes(app, deps);
  registerArchitectureRoutes(app, deps);
  registerDeviceLabRoutes(app, deps);
}
