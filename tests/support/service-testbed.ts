// Per-test Postgres schema, Redis queue prefix and service processes for tests that run services as processes;
// afterwards every process still running is killed and the schema and the prefix's keys are removed.
import type { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { createRedis } from "@mfnas/queue";
import { createTestDatabase, uniqueName, type TestDatabase } from "./database.ts";
import { TEST_REDIS_URL } from "./env.ts";
import { startService, type ServiceProcess } from "./processes.ts";

export interface ServiceTestbed {
  readonly database: TestDatabase;
  readonly redis: Redis;
  readonly prefix: string;
  /** Starts a service's main.ts with this test's DATABASE_URL, REDIS_URL and QUEUE_PREFIX (and `env`). */
  start(service: string, env?: Record<string, string>): ServiceProcess;
}

/**
 * Registers the hooks; the returned getter is valid inside each test. `shared`: one testbed for all the tests of
 * the file (services started once), instead of a fresh one per test.
 */
export function useServiceTestbed(options: { shared?: boolean } = {}): () => ServiceTestbed {
  let current: ServiceTestbed | undefined;
  const services: ServiceProcess[] = [];
  const setUp = async () => {
    const database = await createTestDatabase();
    const redis = createRedis(TEST_REDIS_URL);
    const prefix = uniqueName("mfnas-test");
    current = {
      database,
      redis,
      prefix,
      start(service, env = {}) {
        const s = startService(service, {
          DATABASE_URL: database.url,
          REDIS_URL: TEST_REDIS_URL,
          QUEUE_PREFIX: prefix,
          ...env,
        });
        services.push(s);
        return s;
      },
    };
  };
  const tearDown = async () => {
    for (const s of services.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    if (!current) return;
    const keys = await current.redis.keys(`${current.prefix}:*`);
    if (keys.length > 0) await current.redis.del(...keys);
    current.redis.disconnect();
    await current.database.drop();
    current = undefined;
  };
  if (options.shared) {
    beforeAll(setUp);
    afterAll(tearDown);
  } else {
    beforeEach(setUp);
    afterEach(tearDown);
  }
  return () => {
    if (!current) throw new Error("the service testbed is only available inside a test");
    return current;
  };
}
