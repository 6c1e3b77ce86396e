import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_SEARCH_SPACE, MfnasError, QUEUES, createRng, sampleGenome } from "@mfnas/core";
import { CatalogWorker, JobProducer, createRedis, type WorkerLog } from "@mfnas/queue";
import { uniqueName } from "../../../../tests/support/database.ts";
import { TEST_REDIS_URL } from "../../../../tests/support/env.ts";
import { candidateGenome } from "../search-run.job.ts";
import { EvaluatorQualitySource } from "./evaluator.quality-source.ts";

const quiet: WorkerLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe("queued quality source on real Redis", () => {
  const redis = createRedis(TEST_REDIS_URL);
  const prefix = uniqueName("mfnas-test");
  const producer = new JobProducer({ connection: redis, prefix });
  let worker: CatalogWorker | undefined;

  afterEach(async () => {
    await worker?.close();
    await producer.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("answers stored results, and the failure reason of a job that failed for good, without waiting forever", async () => {
    const rng = createRng(2);
    const genomes = [0, 1].map(() =>
      candidateGenome(sampleGenome(DEFAULT_SEARCH_SPACE, rng), { height: 32, width: 32 }),
    );
    const [good, bad] = genomes as [(typeof genomes)[number], (typeof genomes)[number]];
    const stored = new Map<string, { psnr: number; ssim: number }>();
    worker = new CatalogWorker({
      connection: redis,
      prefix,
      queue: QUEUES.evaluate,
      log: quiet,
      handlers: {
        "evaluator.evaluate-candidate": ({ payload }) => {
          if (payload.genomeHash === bad.hash) throw new MfnasError("invalid_input", "genome outside the space");
          stored.set(payload.genomeHash, { psnr: 30, ssim: 0.9 });
          return Promise.resolve({ evaluated: true });
        },
      },
    });
    await worker.start();
    const source = new EvaluatorQualitySource({
      producer,
      store: {
        evaluations: (_key, hashes) =>
          Promise.resolve(new Map(hashes.flatMap((h) => (stored.has(h) ? [[h, stored.get(h)!]] : [])))),
      },
    });
    const results = await source.evaluate(
      {
        supernetId: "3f1c2b4e-8d7a-4c1e-9b2f-5a6d7e8f9012",
        checkpointStep: 1,
        validationSet: "bundled:val",
        genomes,
      },
      new AbortController().signal,
    );
    expect(results.get(good.hash)).toEqual({ psnr: 30, ssim: 0.9 });
    const failure = results.get(bad.hash);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(/genome outside the space/);
  });
});
