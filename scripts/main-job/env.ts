import path from "node:path";
import { z } from "zod";
import { envVar } from "@mfnas/core";

/**
 * The settings every single-machine command shares (the main job, `npm run services`): where PostgreSQL, Redis,
 * the artifact store and the output are, with the defaults of a local install.
 */
export function singleMachineEnv(root: string) {
  return {
    DATABASE_URL: envVar.postgresUrl().default("postgresql://postgres@127.0.0.1:5432/mfnas"),
    REDIS_URL: envVar.redisUrl().default("redis://127.0.0.1:6379"),
    QUEUE_PREFIX: envVar.queuePrefix().default("mfnas"),
    /** The content-addressed artifact store (teacher weights, checkpoints, exported models). */
    ARTIFACT_DIR: z.string().min(1).default(path.join(root, ".mfnas/artifacts")),
    /** Where results and service logs (logs/<service>.log) are written. */
    OUTPUT_DIR: z.string().min(1).default(path.join(root, "mfnas-output")),
  };
}
