// A real API over this test's own Postgres schema, Redis queue prefix and artifact directory, with one key of
// each kind. Tests drive it with fastify's inject, or listen on a loopback port for event streams.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildApi, type ApiOptions } from "@mfnas/api";
import { JobProducer, createRedis } from "@mfnas/queue";
import { ApiKeyRepository, LocalArtifactStore } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { createTestDatabase, uniqueName, type TestDatabase } from "./database.ts";
import { TEST_REDIS_URL } from "./env.ts";

export interface TestApi {
  readonly app: FastifyInstance;
  readonly database: TestDatabase;
  readonly jobs: JobProducer;
  readonly artifacts: LocalArtifactStore;
  /** Bearer headers of an admin, submit, read and agent (device class pixel-7) key, and of a revoked key. */
  readonly auth: Record<"admin" | "submit" | "read" | "agent" | "revoked", { authorization: string }>;
  close(): Promise<void>;
}

export async function startTestApi(options: Partial<ApiOptions> = {}): Promise<TestApi> {
  const database = await createTestDatabase();
  const redis = createRedis(TEST_REDIS_URL, "api-test");
  const jobs = new JobProducer({ connection: redis, prefix: uniqueName("api") });
  const artifactDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-api-"));
  const artifacts = new LocalArtifactStore(artifactDir, database.db);
  const app = await buildApi({
    db: database.db,
    jobs,
    redis,
    artifacts,
    options: {
      sse: { pollMs: 50, heartbeatMs: 100 },
      auth: { cacheMs: 0, touchEveryMs: 60_000 },
      // Rate-limit counters of this API alone: test files run side by side from one client address.
      rateLimitNamespace: `${uniqueName("api-rate")}:`,
      ...options,
    },
  });
  const keys = new ApiKeyRepository(database.db);
  const bearer = async (scopes: ("read" | "submit" | "admin" | "agent")[], deviceClass?: string) => {
    const key = await keys.issue({ name: scopes.join("+"), scopes, deviceClass: deviceClass ?? null });
    return { authorization: `Bearer ${key.token}`, id: key.id };
  };
  const revoked = await bearer(["admin"]);
  await keys.revoke(revoked.id);
  const auth = {
    admin: await bearer(["admin"]),
    submit: await bearer(["submit"]),
    read: await bearer(["read"]),
    agent: await bearer(["agent"], "pixel-7"),
    revoked,
  };
  const strip = (h: { authorization: string }) => ({ authorization: h.authorization });
  return {
    app,
    database,
    jobs,
    artifacts,
    auth: {
      admin: strip(auth.admin),
      submit: strip(auth.submit),
      read: strip(auth.read),
      agent: strip(auth.agent),
      revoked: strip(auth.revoked),
    },
    async close() {
      await app.close();
      await jobs.close();
      redis.disconnect();
      await database.drop();
      await rm(artifactDir, { recursive: true, force: true });
    },
  };
}

/** Makes a test API listen on a loopback port (for event streams and browsers); returns its base URL. */
export async function listenLocally(t: TestApi): Promise<string> {
  await t.app.listen({ host: "127.0.0.1", port: 0 });
  const address = t.app.server.address();
  if (typeof address !== "object" || address === null) throw new Error("the API has no address");
  return `http://127.0.0.1:${address.port}`;
}
