import { DEFAULT_UPLOAD_LIMITS, type UploadKind } from "@mfnas/core";
import type { JobProducer } from "@mfnas/queue";
import type { Db, LocalArtifactStore } from "@mfnas/store";
import type { FastifyServerOptions } from "fastify";

/** What the API is built from; tests and main.ts pass real Postgres, Redis and an artifact directory. */
export interface ApiResources {
  readonly db: Db;
  /** Enqueues training and search jobs; its queues are also read to resume a finished job. */
  readonly jobs: Pick<JobProducer, "enqueue" | "queue">;
  /** Redis for readiness and for rate-limit counters shared by every replica; absent = in-process counters. */
  readonly redis?: RedisConnection;
  readonly artifacts: Pick<LocalArtifactStore, "get" | "put">;
  readonly options?: Partial<ApiOptions>;
}

/** An ioredis connection (the queue package's createRedis); typed by what the API calls. */
export interface RedisConnection {
  ping(): Promise<unknown>;
}

export interface ApiOptions {
  /** Largest request body in bytes. Default 256 KiB: a search spec is a few KiB. */
  readonly bodyLimitBytes: number;
  /**
   * Requests per window: `max` per key (per client address on public routes), `submitMax` per key on routes
   * that create work, and `addressMax` per client address before authentication (every request, with or
   * without a valid key). False turns limiting off.
   */
  readonly rateLimit:
    | { readonly max: number; readonly submitMax: number; readonly addressMax: number; readonly windowMs: number }
    | false;
  /** Prefix of the rate-limit counters in Redis; replicas of one deployment share it. */
  readonly rateLimitNamespace: string;
  /** Server-sent events: how often Postgres is polled and how often a heartbeat comment is sent. */
  readonly sse: { readonly pollMs: number; readonly heartbeatMs: number };
  /** How long a verified key is trusted before the store is asked again; how often lastUsedAt is written. */
  readonly auth: { readonly cacheMs: number; readonly touchEveryMs: number };
  readonly logger: FastifyServerOptions["logger"];
  /** Largest upload of each kind in bytes (POST /v1/artifacts); default core's DEFAULT_UPLOAD_LIMITS. */
  readonly uploadLimits: Readonly<Record<UploadKind, number>>;
  /** Honour X-Forwarded-For from a reverse proxy for client addresses (rate limits by IP). */
  readonly trustProxy: boolean;
}

export const DEFAULT_API_OPTIONS: ApiOptions = {
  bodyLimitBytes: 256 * 1024,
  rateLimit: { max: 600, submitMax: 60, addressMax: 1_200, windowMs: 60_000 },
  rateLimitNamespace: "mfnas-api-rate:",
  sse: { pollMs: 1_000, heartbeatMs: 15_000 },
  auth: { cacheMs: 5_000, touchEveryMs: 60_000 },
  logger: false,
  trustProxy: false,
  uploadLimits: DEFAULT_UPLOAD_LIMITS,
};
