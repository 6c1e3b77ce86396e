import { Redis } from "ioredis";

/**
 * A Redis connection suitable for BullMQ. Workers block on Redis commands, so ioredis must retry requests
 * forever (maxRetriesPerRequest: null) instead of failing them during a Redis restart.
 */
export function createRedis(url: string, name = "mfnas"): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, connectionName: name });
}
