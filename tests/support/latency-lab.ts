import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { RuntimeConfig, SearchTarget } from "@mfnas/core";
import { HOST_CPU_DEVICE_CLASS, startEmulatedPhones } from "@mfnas/devices";
import { type KernelSample, type LatencyPredictor } from "@mfnas/latency";
import { JobProducer, createRedis } from "@mfnas/queue";
import { LocalArtifactStore, SearchRepository } from "@mfnas/store";
import { DeviceLabLatencySource } from "../../services/searcher/src/adapters/device-lab.latency-source.ts";
import { DeviceLabKernelMeasurer } from "../../services/searcher/src/adapters/kernel-measurer.ts";
import { serializePredictor } from "@mfnas/latency";
import { createTestDatabase, uniqueName } from "./database.ts";
import { startAdbServer, startAgent, teardownLab } from "./device-lab.ts";
import { TEST_REDIS_URL } from "./env.ts";

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
  /** Stores the predictor and its accuracy report as artifacts (the report in the shape the API serves). */
  const storeReport = async (predictor: LatencyPredictor, kernels: readonly KernelSample[], report: object) => {
    const model = await artifacts.put({
      bytes: new TextEncoder().encode(serializePredictor(predictor)),
      kind: "report",
      mediaType: "application/json",
      metadata: { report: "latency-model", deviceClass: target.deviceClass, predictorVersion: predictor.version },
    });
    const figures = JSON.parse(JSON.stringify(report)) as Record<string, never>;
    return artifacts.put({
      bytes: new TextEncoder().encode(JSON.stringify({ ...figures, kernels: kernels.length }, null, 2)),
      kind: "report",
      mediaType: "application/json",
      metadata: {
        ...figures,
        report: "latency-predictor",
        deviceClass: target.deviceClass,
        predictorVersion: predictor.version,
        predictorArtifact: model.sha256,
      },
    });
  };
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
