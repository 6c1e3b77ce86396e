/**
 * Device-lab benchmark (prints figures; not a test). Two emulated phones on a private adb server, the agent,
 * Postgres and Redis; a real exported SubGenerator (smallest x4 genome, LR 32x32), each measurement fixed at
 * REPS benchmark_model repetitions of RUNS inferences (the confidence rule set to min = max = REPS).
 * - measurements per hour per phone: MEASUREMENTS jobs through the queue, wall time / phones;
 * - orchestration overhead per measurement: lab wall time per measurement (queue, artifact fetch, push/hash
 *   check, health gate, adb, parse, store) minus REPS times the same runner run directly on the host (the
 *   resident runner the emulated phone uses, sent the same arguments).
 *
 * Run: npx tsx bench/device-lab.ts [MEASUREMENTS=4] [REPS=3] [RUNS=20]
 */
import { execFile, fork } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { QueueEvents } from "bullmq";
import { JOBS, measureQueue } from "@mfnas/core";
import { HOST_CPU_DEVICE_CLASS, benchmarkArgv, startEmulatedPhones } from "@mfnas/devices";
import { JobProducer, createRedis } from "@mfnas/queue";
import { createTestDatabase, uniqueName } from "../tests/support/database.ts";
import { SMALL_RUN, startAdbServer, startAgent, storedSubGenerator, teardownLab } from "../tests/support/device-lab.ts";
import { TEST_REDIS_URL } from "../tests/support/env.ts";

const run = promisify(execFile);
const [measurements = 4, reps = 3, runs = 20] = process.argv.slice(2).map(Number);
const TOOL = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../packages/devices/tools/benchmark-model-litert.mjs",
);
const config = { ...SMALL_RUN, runs };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const database = await createTestDatabase();
const adb = await startAdbServer(5057);
const phones = await startEmulatedPhones(2, { adb: { port: 5057 } });
const dir = await mkdtemp(path.join(os.tmpdir(), "mfnas-bench-"));
const stored = await storedSubGenerator(database.db, dir);
const prefix = uniqueName("mfnas-bench");
const redis = createRedis(TEST_REDIS_URL);
const agent = startAgent({
  driver: adb.driver,
  db: database.db,
  artifacts: stored.store,
  prefix,
  config: {
    measure: {
      thresholds: {},
      cooldown: { maxWaitMs: 60_000, pollMs: 1_000 },
      confidence: { relativeHalfWidth: 0, minRepetitions: reps, maxRepetitions: reps },
    },
  },
});
await agent.agent.start();
await agent.agent.settled();

// The same runner, run directly on the host (no adb, no queue, no store): the resident runner the emulated phone
// uses (LiteRT.js loaded once), sent the same benchmark_model arguments over IPC; and, for reference, a fresh
// runner process per repetition (what a phone without a resident runner would pay: the WebAssembly load).
const modelFile = path.join(dir, "model.tflite");
await writeFile(modelFile, stored.artifact.bytes);
const argv = benchmarkArgv({ path: "/x/benchmark_model", version: "-" }, "/x/model.tflite", config).slice(1);
const args = [`--mfnas_graph_file=${modelFile}`, ...argv];
const resident = fork(TOOL, ["--mfnas_serve"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
await new Promise<void>((resolve) => resident.once("message", () => resolve()));
const direct: number[] = [];
for (let i = 0; i < reps * 2; i++) {
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const onMessage = (m: { id?: number; code?: number }) => {
      if (m.id !== i || m.code === undefined) return;
      resident.off("message", onMessage);
      resolve();
    };
    resident.on("message", onMessage);
    resident.send({ id: i, args });
  });
  direct.push(performance.now() - t0);
}
resident.kill();
const fresh: number[] = [];
for (let i = 0; i < 2; i++) {
  const t0 = performance.now();
  await run(process.execPath, [TOOL, ...args]);
  fresh.push(performance.now() - t0);
}

const producer = new JobProducer({ connection: redis, prefix });
const queueName = measureQueue(HOST_CPU_DEVICE_CLASS).name;
const eventsConnection = redis.duplicate();
const events = new QueueEvents(queueName, { connection: eventsConnection, prefix });
await events.waitUntilReady();
const t0 = performance.now();
const jobs = [];
for (let i = 0; i < measurements; i++) {
  const { jobId } = await producer.enqueue(JOBS.measure.name, {
    requestKey: `bench-${i}`,
    architectureHash: stored.architectureHash,
    artifactSha256: stored.artifact.sha256,
    deviceClass: HOST_CPU_DEVICE_CLASS,
    runtimeConfig: config,
    inputHeight: 32,
    inputWidth: 32,
  });
  jobs.push((await producer.queue(queueName).getJob(jobId))!.waitUntilFinished(events, 600_000));
}
await Promise.all(jobs);
const wallMs = performance.now() - t0;
const rows = await database.db.measurement.findMany({ select: { medianMs: true, conditions: true } });
const perMeasurementMs = (wallMs * phones.length) / measurements;
const runnerMs = median(direct) * reps;
const inLab = rows.flatMap((r) =>
  (r.conditions as { perRepetition: Array<{ wallMs: number }> }).perRepetition.map((p) => p.wallMs),
);

console.log(
  `host: ${os.cpus()[0]?.model ?? "?"} x${os.cpus().length}; ${phones.length} emulated phones; ${measurements} measurements of ${reps} x ${runs} runs`,
);
console.log(`runner run directly on the host: median ${median(direct).toFixed(0)} ms per repetition (resident)`);
console.log(`a fresh runner process per repetition: median ${median(fresh).toFixed(0)} ms (includes the wasm load)`);
console.log(`runner through adb (inside the lab): median ${median(inLab).toFixed(0)} ms per repetition`);
console.log(`lab: ${(wallMs / 1000).toFixed(1)} s wall for ${measurements} measurements on ${phones.length} phones`);
console.log(`measurements per hour per phone: ${(3_600_000 / perMeasurementMs).toFixed(0)}`);
console.log(
  `per measurement: ${perMeasurementMs.toFixed(0)} ms in the lab vs ${runnerMs.toFixed(0)} ms of direct runner time`,
);
console.log(
  `orchestration overhead per measurement: ${(perMeasurementMs - runnerMs).toFixed(0)} ms (${(((perMeasurementMs - runnerMs) / perMeasurementMs) * 100).toFixed(1)}%)`,
);
console.log(`median latency measured: ${median(rows.map((r) => r.medianMs)).toFixed(2)} ms per inference`);

await events.close();
eventsConnection.disconnect();
await teardownLab({ agent, producer, redis, prefix, phones, adb, database });
process.exit(0);
