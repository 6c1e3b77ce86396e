import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { MfnasError, measureQueue, type SearchTarget } from "@mfnas/core";
import { JobProducer, createRedis } from "@mfnas/queue";
import { uniqueName } from "../../../../tests/support/database.ts";
import { TEST_REDIS_URL } from "../../../../tests/support/env.ts";
import { eventually } from "../../../../tests/support/processes.ts";
import { DeviceLabLatencySource, measurementRequestKey } from "./device-lab.latency-source.ts";

const hex = (text: string) => createHash("sha256").update(text).digest("hex");

// Measure jobs are shared by request key: two searches that need the same measurement wait on one job. On real
// Redis and BullMQ (no phone of the class, so every job stays queued): a cancelled search takes out of the queue
// the measurements only it waited on, leaves those another search still waits on, and a searcher that stops
// without a cancel (shutdown) leaves all of its jobs for the resume.
describe("cancelling a search's measurements", () => {
  const redis = createRedis(TEST_REDIS_URL);
  const prefix = uniqueName("mfnas-test");
  const producer = new JobProducer({ connection: redis, prefix });

  afterEach(async () => {
    await producer.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it("removes the queued jobs no other search waits on, and only on a cancel", async () => {
    const target = {
      deviceClass: "phoneless-class",
      runtimeConfig: { runtime: "tflite", threads: 1, delegate: "xnnpack", precision: "fp32", warmupRuns: 1, runs: 3 },
      input: { height: 32, width: 32 },
    } as SearchTarget;
    const model = (name: string) => ({ hash: hex(`arch-${name}`), artifactSha256: hex(`model-${name}`) });
    const [m1, m2, m3] = [model("1"), model("2"), model("3")];
    const jobIdOf = (m: { hash: string; artifactSha256: string }) =>
      `devicelab.measure-${measurementRequestKey(target, m.hash, m.artifactSha256, undefined)}`;
    const source = new DeviceLabLatencySource({
      producer,
      store: {
        measurementsByRequestKey: () => Promise.resolve(new Map()),
        putArtifact: () => Promise.reject(new Error("no probe export in this test")),
      },
    });
    const queue = producer.queue(measureQueue(target.deviceClass).name);
    const queued = async () => (await queue.getJobs(["waiting", "delayed", "prioritized"])).map((j) => j.id).sort();

    const searchA = new AbortController();
    const searchB = new AbortController();
    const waitingA = source.measureModels(target, [m1, m2], searchA.signal);
    const waitingB = source.measureModels(target, [m2, m3], searchB.signal);
    const all = [m1, m2, m3].map(jobIdOf).sort();
    await eventually(async () => ((await queued()).length === 3 ? true : undefined), 10_000, "three jobs queued");

    // A is cancelled: m1 (only A's) goes, m2 (B waits on it too) stays.
    searchA.abort(new MfnasError("cancelled", "search A was cancelled"));
    await expect(waitingA).rejects.toThrow(/stopped while waiting/);
    expect(await queued()).toEqual([jobIdOf(m2), jobIdOf(m3)].sort());
    expect(await queue.getJob(jobIdOf(m1))).toBeUndefined();

    // B's searcher shuts down (not a cancel): its jobs stay for the resume.
    searchB.abort(new Error("shutting down"));
    await expect(waitingB).rejects.toThrow(/stopped while waiting/);
    expect(await queued()).toEqual([jobIdOf(m2), jobIdOf(m3)].sort());

    // C waits on m2 and m3 and is cancelled: nobody else waits on them any more, so both go.
    const searchC = new AbortController();
    const waitingC = source.measureModels(target, [m2, m3, m1], searchC.signal);
    await eventually(async () => ((await queued()).length === 3 ? true : undefined), 10_000, "re-queued");
    expect(await queued()).toEqual(all);
    searchC.abort(new MfnasError("cancelled", "search C was cancelled"));
    await expect(waitingC).rejects.toThrow(/stopped while waiting/);
    expect(await queued()).toEqual([]);
  });
});
