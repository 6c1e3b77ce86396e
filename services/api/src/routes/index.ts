import type { FastifyInstance } from "fastify";
import type { ApiKeyRepository, Db } from "@mfnas/store";
import type { ApiOptions, ApiResources } from "../resources.ts";
import type { SseHub } from "../sse.ts";
import { registerApiKeyRoutes } from "./api-keys.routes.ts";
import { registerArtifactRoutes } from "./artifacts.routes.ts";
import { registerDeviceRoutes } from "./devices.routes.ts";
import { registerEventRoutes } from "./events.routes.ts";
import { registerMeasurementRoutes } from "./measurements.routes.ts";
import { registerResultRoutes } from "./results.routes.ts";
import { registerScheduleRoutes } from "./schedules.routes.ts";
import { registerSearchRoutes } from "./searches.routes.ts";
import { registerSupernetRoutes } from "./supernets.routes.ts";

/** What the /v1 routes are built from. */
export interface RouteDeps {
  readonly db: Db;
  readonly jobs: ApiResources["jobs"];
  readonly artifacts: ApiResources["artifacts"];
  readonly keys: ApiKeyRepository;
  /** Drops a revoked key from this replica's cache of verified keys. */
  readonly forgetKey: (keyId: string) => void;
  readonly options: ApiOptions;
  readonly hub: SseHub;
}

export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  registerSupernetRoutes(app, deps);
  registerSearchRoutes(app, deps);
  registerResultRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerDeviceRoutes(app, deps);
  registerMeasurementRoutes(app, deps);
  registerArtifactRoutes(app, deps);
  registerScheduleRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
}

/** Per-route rate limit of routes that create work (submit, train, clone, resume). */
export function submitLimit(deps: RouteDeps): { rateLimit?: { max: number; timeWindow: number } } {
  const limit = deps.options.rateLimit;
  return limit === false ? {} : { rateLimit: { max: limit.submitMax, timeWindow: limit.windowMs } };
}
