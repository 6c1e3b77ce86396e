import { z } from "zod";
import { DEFAULT_UPLOAD_LIMITS, UPLOAD_KINDS, envVar, errorMessage, issueMessages, parseEnv } from "@mfnas/core";

const schema = z.object({
  /** Results store. Prisma's `?schema=` parameter selects the Postgres schema (default public). */
  DATABASE_URL: envVar.postgresUrl(),
  /** BullMQ's Redis (jobs the API queues) and the rate-limit counters every replica shares. */
  REDIS_URL: envVar.redisUrl().default("redis://127.0.0.1:6379"),
  /** Key prefix of all queues; must match the workers'. */
  QUEUE_PREFIX: envVar.queuePrefix().default("mfnas"),
  /** Root of the local artifact store (the trainer's and exporters' ARTIFACT_DIR); uploads are written to it. */
  ARTIFACT_DIR: z
    .string()
    .refine((p) => p.startsWith("/"), "must be an absolute path")
    .default("/var/lib/mfnas/artifacts"),
  /** Listen address. The default serves this machine only; set 0.0.0.0 behind a proxy or in a container. */
  API_HOST: z.string().min(1).default("127.0.0.1"),
  API_PORT: envVar.port().default(8080),
  /**
   * Port of the API's /metrics (and /healthz, /readyz) for Prometheus, apart from the API's own port so that
   * metrics are never reachable where the API is published. Default 9460 (workers use 9461-9465); 0 = any free port.
   */
  API_METRICS_PORT: envVar.port().default(9460),
  /** Listen address of the metrics port. Default: API_HOST's default, loopback; 0.0.0.0 for a scraper elsewhere. */
  METRICS_HOST: z.string().min(1).default("127.0.0.1"),
  /**
   * A token `mfnas_<12 hex>_<43 base64url>` recorded (hashed) as an admin key at start if it is not stored yet:
   * the bootstrap path for the first admin key. Unset = no bootstrap (use scripts/create-api-key.ts).
   */
  API_BOOTSTRAP_ADMIN_KEY: z
    .string()
    .regex(/^mfnas_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/, "must look like mfnas_<12 hex>_<43 base64url>")
    .optional(),
  /** Requests per key (per client address on public routes) per minute. */
  API_RATE_LIMIT_PER_MINUTE: envVar.positiveInt().default(600),
  /**
   * Requests per client address per minute, counted before authentication (so requests with no key or a wrong
   * key are limited). Twice the per-key limit by default: one address may carry several keys (a NAT, a CI host).
   */
  API_RATE_LIMIT_PER_ADDRESS_PER_MINUTE: envVar.positiveInt().default(1_200),
  /** Submissions (searches, training, clones, resumes) per key per minute. */
  API_SUBMIT_LIMIT_PER_MINUTE: envVar.positiveInt().default(60),
  /** Largest request body in bytes; a search spec is a few KiB. */
  API_BODY_LIMIT_BYTES: envVar.positiveInt().default(262_144),
  /** How often event streams poll Postgres, in ms. */
  API_SSE_POLL_MS: envVar.positiveInt().default(1_000),
  /**
   * Largest upload per kind in bytes, JSON over core's DEFAULT_UPLOAD_LIMITS (e.g. {"dataset": 2147483648}). An
   * upload is held in memory while it is checked, so a limit is also the memory one upload may take.
   */
  API_UPLOAD_LIMITS: z
    .string()
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return DEFAULT_UPLOAD_LIMITS;
      let given: unknown;
      try {
        given = JSON.parse(text);
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `must be JSON {kind: bytes}: ${errorMessage(error)}` });
        return z.NEVER;
      }
      const parsed = z
        .partialRecord(
          z.enum(UPLOAD_KINDS),
          z
            .int()
            .min(1)
            .max(2 ** 31 - 1),
        )
        .safeParse(given);
      if (!parsed.success) {
        ctx.addIssue({
          code: "custom",
          message: `must be JSON {kind: bytes} with kinds ${UPLOAD_KINDS.join(", ")}: ${issueMessages(parsed.error, "(root)").join("; ")}`,
        });
        return z.NEVER;
      }
      return { ...DEFAULT_UPLOAD_LIMITS, ...parsed.data };
    }),
  /** Trust X-Forwarded-For (only behind a reverse proxy that sets it). */
  API_TRUST_PROXY: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  /**
   * How long to wait at start for PostgreSQL and Redis to answer before stopping with one line naming what is
   * unreachable (exit 69). 30 s covers a database started beside the service.
   */
  STARTUP_WAIT_MS: envVar.positiveInt().default(30_000),
  LOG_LEVEL: envVar.logLevel().default("info"),
});

export type ApiEnv = z.infer<typeof schema>;

/** Parses the environment once; a bad or missing variable stops the process with a message naming it. */
export function loadEnv(source: Readonly<Record<string, string | undefined>> = process.env): ApiEnv {
  try {
    return parseEnv(schema, source);
  } catch (error) {
    process.stderr.write(`api: ${errorMessage(error)}\n`);
    process.exit(78); // EX_CONFIG
  }
}
