import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { RuntimeConfig, SearchTarget } from "@mfnas/core";
import { HOST_CPU_DEVICE_CLASS, startEmulatedPhones } from "@mfnas/devices";
import type { GenomeSample, KernelSample, LatencyPredictor } from "@mfnas/latency";
import { JobProducer, createRedis } from "@mfnas/queue";
import { LocalArtifactStore, SearchRepository } from "@mfnas/store";
import {
  DeviceLabLatencySource,
  DeviceLabKernelMeasurer,
  putAccuracyReport,
  putPredictorModel,
  type PutReport,
} from "@mfnas/searcher";
import { createTestDatabase, uniqueName } from "./database.ts";
import { startAdbServer, startAgent, teardownLab } from "./device-lab.ts";
import { TEST_REDIS_URL } from "./env.ts";

/** How the latency benches run the emulated phone: one thread, XNNPACK, fp32, 2 warm-ups and `runs` timed runs. */
export function emulatedPhoneRuntime(runs = 10): RuntimeConfig {
  return { runtime: "tflite", threads: 1, delegate: "xnnpack", precision: "fp32", warmupRuns: 2, runs };
}

/**
 * A device lab for latency-predictor work: one emulated phone (host CPU) on a private adb server, the agent, a
 * fresh database and artifact store, and the searcher's device-lab adapters over them — the real measure path.
 */
export async function startLatencyLab(options: {
  port: number;
  runtimeConfig: RuntimeConfig;
  input: { height: number; width: number };
  confidence: { relativeHalfWidth: number; minRepetitions: number; maxRepetitions: number };
}) {
  const database = await createTestDatabase();
  const adb = await startAdbServer(options.port);
  const phones = await startEmulatedPhones(1, { adb: { port: options.port } });
  const artifacts = new LocalArtifactStore(await mkdtemp(path.join(os.tmpdir(), "mfnas-latency-")), database.db);
  const prefix = uniqueName("mfnas-latency");
  const redis = createRedis(TEST_REDIS_URL);
  const agent = startAgent({
    driver: adb.driver,
    db: database.db,
    artifacts,
    prefix,
    config: {
      measure: {
        thresholds: {},
        cooldown: { maxWaitMs: 60_000, pollMs: 1_000 },
        confidence: options.confidence,
      },
    },
  });
  await agent.agent.start();
  await agent.agent.settled();
  const producer = new JobProducer({ connection: redis, prefix });
  const searches = new SearchRepository(database.db);
  const putArtifact = async (a: { bytes: Uint8Array; kind: "tflite"; mediaType: string; metadata: object }) =>
    (await artifacts.put({ ...a, metadata: JSON.parse(JSON.stringify(a.metadata)) as Record<string, never> })).sha256;
  const target: SearchTarget = {
    deviceClass: HOST_CPU_DEVICE_CLASS,
    runtimeConfig: options.runtimeConfig,
    input: options.input,
  };
  /** A device-lab latency source of its own (its own count of new measurements). */
  const latencySource = () =>
    new DeviceLabLatencySource({
      producer,
      store: { measurementsByRequestKey: (keys) => searches.measurementsByRequestKey(keys), putArtifact },
    });
  const kernelMeasurer = new DeviceLabKernelMeasurer(target, latencySource(), {
    ensureArchitectures: (rows, version, input) => searches.ensureArchitectures(rows, version, input),
    putArtifact,
  });
  /** Stores the predictor and its accuracy report as artifacts, as the searcher does (the shape the API serves). */
  const putReport: PutReport = (bytes, metadata) =>
    artifacts.put({ bytes, kind: "report", mediaType: "application/json", metadata });
  const storeReport = async (
    predictor: LatencyPredictor,
    data: { kernels: readonly KernelSample[]; samples: readonly GenomeSample[] },
    report: object,
  ) =>
    putAccuracyReport(putReport, predictor, await putPredictorModel(putReport, predictor, data), {
      ...report,
      kernels: data.kernels.length,
    });
  return {
    database,
    db: database.db,
    artifacts,
    producer,
    searches,
    target,
    latencySource,
    kernelMeasurer,
    putArtifact,
    storeReport,
    stop: () => teardownLab({ agent, producer, redis, prefix, phones, adb, database }),
  };
}
