import type { FastifyInstance } from "fastify";
import type { RouteDeps } from "./deps.ts";
import { registerApiKeyRoutes } from "./api-keys.routes.ts";
import { registerArtifactRoutes } from "./artifacts.routes.ts";
import { registerDashboardRoutes } from "./dashboard.routes.ts";
import { registerDeviceRoutes } from "./devices.routes.ts";
import { registerEventRoutes } from "./events.routes.ts";
import { registerMeasurementRoutes } from "./measurements.routes.ts";
import { registerPredictorRoutes } from "./predictors.routes.ts";
import { registerResultRoutes } from "./results.routes.ts";
import { registerScheduleRoutes } from "./schedules.routes.ts";
import { registerSearchRoutes } from "./searches.routes.ts";
import { registerSupernetRoutes } from "./supernets.routes.ts";

export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  registerSupernetRoutes(app, deps);
  registerSearchRoutes(app, deps);
  registerResultRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerDeviceRoutes(app, deps);
  registerMeasurementRoutes(app, deps);
  registerArtifactRoutes(app, deps);
  registerPredictorRoutes(app, deps);
  registerScheduleRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
  registerDashboardRoutes(app, deps);
}
