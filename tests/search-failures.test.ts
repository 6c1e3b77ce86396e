import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JOBS, parseSearchSpec } from "@mfnas/core";
import { JobProducer, createRedis } from "@mfnas/queue";
import { submitSearch } from "@mfnas/store";
import { createTestDatabase, uniqueName, type TestDatabase } from "./support/database.ts";
import { TEST_REDIS_URL } from "./support/env.ts";
import { eventually, startService, type ServiceProcess } from "./support/processes.ts";
import { seedSupernetCheckpoint } from "./support/search-lab.ts";

// Chaos for the search path, every service its own process: a validation set the evaluator does not have (every
// evaluation fails for good) and a supernet checkpoint whose bytes were flipped on disk. Each search ends failed
// with the failure named, never succeeded with an empty front.
const SPACE = { scales: [4], trunkWidths: [8, 12], branchWidths: [8], depth: { min: 1, max: 1 } } as const;

describe("searches that cannot succeed end failed, naming why", () => {
  let database: TestDatabase;
  const services: ServiceProcess[] = [];
  const prefix = uniqueName("mfnas-chaos");
  const redis = createRedis(TEST_REDIS_URL);
  const producer = new JobProducer({ connection: redis, prefix });
  let artifactDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createTestDatabase();
    artifactDir = await mkdtemp(path.join(os.tmpdir(), "mfnas-chaos-"));
    env = {
      DATABASE_URL: database.url,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      ARTIFACT_DIR: artifactDir,
      LOG_LEVEL: "info",
    };
    for (const [name, extra] of [
      ["evaluator", { EVALUATOR_BACKEND: "cpu" }],
      ["searcher", {}],
    ] as const) {
      services.push(startService(name, { ...env, ...extra }));
    }
    await Promise.all(services.map((s) => s.waitFor(/ready/, 120_000)));
  }, 240_000);

  afterAll(async () => {
    for (const s of services.splice(0)) if (s.child.exitCode === null) s.child.kill("SIGKILL");
    await producer.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
    await rm(artifactDir, { recursive: true, force: true });
  }, 60_000);

  async function runSearch(supernetId: string, extra: object = {}) {
    const spec = parseSearchSpec({
      name: "chaos",
      seed: 1,
      supernet: { id: supernetId },
      space: SPACE,
      referenceInput: { height: 32, width: 32 },
      objectives: ["psnr", "macs"],
      budget: { generations: 2, population: 4 },
      final: { remeasure: false, exportFormats: [] },
      ...extra,
    });
    const { id } = await submitSearch(database.db, spec, {
      enqueue: (searchId) => producer.enqueue(JOBS.searchRun.name, { searchId }),
    });
    return eventually(
      async () => {
        const search = await database.db.search.findUniqueOrThrow({ where: { id } });
        return search.status === "failed" || search.status === "succeeded" ? search : undefined;
      },
      240_000,
      `search ${id} to end`,
    );
  }

  it("fails a search whose validation set the evaluator does not have, with the reason per candidate", async () => {
    const supernetId = await seedSupernetCheckpoint(database.db, artifactDir, { name: "valset", space: SPACE });
    const search = await runSearch(supernetId, { validationSet: "Set14" });
    expect(search.status).toBe("failed");
    expect(search.error).toMatch(/^4 of 4 candidates of generation 0 failed for good: .*validationSet "Set14"/);
    const candidates = await database.db.candidate.findMany({ where: { searchId: search.id } });
    expect(candidates).toHaveLength(4);
    for (const c of candidates) expect(c.error).toContain('validationSet "Set14"');
  }, 300_000);

  it("fails a search whose supernet checkpoint is corrupt on disk, before evaluating anything", async () => {
    const supernetId = await seedSupernetCheckpoint(database.db, artifactDir, { name: "corrupt", space: SPACE });
    const checkpoint = await database.db.supernetCheckpoint.findFirstOrThrow({ where: { supernetId } });
    const file = path.join(artifactDir, checkpoint.artifactSha256.slice(0, 2), checkpoint.artifactSha256);
    const bytes = await readFile(file);
    for (let i = 100; i < 110; i++) bytes[i] = (bytes[i] ?? 0) ^ 0xff;
    await writeFile(file, bytes);

    const search = await runSearch(supernetId);
    expect(search.status).toBe("failed");
    expect(search.error).toContain(`supernet ${supernetId} checkpoint at step`);
    expect(search.error).toContain(`artifact ${checkpoint.artifactSha256} is corrupt on disk`);
    expect(await database.db.evaluation.count({ where: { supernetId } })).toBe(0);
    expect(await database.db.generation.count({ where: { searchId: search.id } })).toBe(0);
  }, 300_000);
});
