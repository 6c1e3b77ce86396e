import type { ApiKeyRepository, Db } from "@mfnas/store";
import type { ApiOptions, ApiResources } from "../resources.ts";
import type { SseHub } from "../sse.ts";

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

/** Per-route rate limit of routes that create work (submit, train, clone, resume). */
export function submitLimit(deps: RouteDeps): { rateLimit?: { max: number; timeWindow: number } } {
  const limit = deps.options.rateLimit;
  return limit === false ? {} : { rateLimit: { max: limit.submitMax, timeWindow: limit.windowMs } };
}
