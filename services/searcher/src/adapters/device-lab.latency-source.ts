import { createHash, randomUUID } from "node:crypto";
import { canonicalJson, JOBS, MfnasError, measureQueue, type SearchTarget } from "@mfnas/core";
import { EXPORTER_VERSION, exportGenerator } from "@mfnas/export";
import type { EnqueuedJob, JobProducer } from "@mfnas/queue";
import { awaitResults, failedJobs } from "../await-results.ts";
import type { CandidateGenome, Latency, LatencyRequest, LatencySource } from "../ports.ts";
import { probeWeights } from "./probe-weights.ts";

/** What the device-lab source needs from the results store and the artifact store. */
interface DeviceLabStore {
  /** Stored measurements by request key. */
  measurementsByRequestKey(keys: readonly string[]): Promise<Map<string, Latency>>;
  putArtifact(artifact: { bytes: Uint8Array; kind: "tflite"; mediaType: string; metadata: object }): Promise<string>;
}

export interface DeviceLabLatencyOptions {
  readonly store: DeviceLabStore;
  readonly producer: JobProducer;
  readonly onProgress?: (target: string, done: number, total: number) => void;
}

/**
 * The request key of a measurement: what is measured (architecture, or the exact model for tagged requests),
 * where (device class, runtime config, input size) and with which exporter. The same key across searches is the
 * same Measurement row, so a candidate measured once is never measured again.
 */
export function measurementRequestKey(
  target: SearchTarget,
  architectureHash: string,
  artifactSha256: string | undefined,
  tag: string | undefined,
): string {
  const where = createHash("sha256")
    .update(canonicalJson({ deviceClass: target.deviceClass, runtime: target.runtimeConfig, input: target.input }))
    .update(`\u0000${EXPORTER_VERSION}\u0000${tag ?? ""}\u0000${artifactSha256 ?? "probe"}`)
    .digest("hex")
    .slice(0, 32);
  return `lat.${architectureHash.slice(0, 32)}.${where}`;
}

/**
 * Latency measured on phones of each target's device class, through the `measure.<deviceClass>` queue. For
 * search candidates it exports a latency probe (the candidate's architecture with seeded weights) as TFLite;
 * for the final Pareto set the caller passes the models exported with their inherited weights.
 */
export class DeviceLabLatencySource implements LatencySource {
  private requested = 0;

  constructor(private readonly options: DeviceLabLatencyOptions) {}

  get newMeasurements(): number {
    return this.requested;
  }

  async measure(request: LatencyRequest, signal: AbortSignal): Promise<Map<string, Latency | Error>> {
    return this.measureModels(
      request.target,
      request.genomes.map((g) => ({ hash: g.hash, artifactSha256: request.artifacts?.get(g.hash), candidate: g })),
      signal,
      request.tag,
    );
  }

  /**
   * Measures models by architecture hash: stored artifacts, or (for candidates without one) latency probes
   * exported here. Kernel profiling uses it with the kernels' own small models.
   */
  async measureModels(
    target: SearchTarget,
    models: readonly { hash: string; artifactSha256?: string | undefined; candidate?: CandidateGenome }[],
    signal: AbortSignal,
    tag?: string,
  ): Promise<Map<string, Latency | Error>> {
    const { store, producer } = this.options;
    const keyOf = new Map<string, string>();
    for (const m of models) keyOf.set(m.hash, measurementRequestKey(target, m.hash, m.artifactSha256, tag));
    const stored = await store.measurementsByRequestKey([...keyOf.values()]);
    const missing = models.filter((m) => !stored.has(keyOf.get(m.hash) ?? ""));
    const jobIds = new Map<string, string>();
    // This call's token in each job's demand: measure jobs are shared by request key across searches.
    const waiter = randomUUID();
    const enqueued: EnqueuedJob[] = [];
    for (const m of missing) {
      const requestKey = keyOf.get(m.hash) ?? "";
      const artifactSha256 =
        m.artifactSha256 ?? (m.candidate ? await this.exportProbe(m.candidate, target) : undefined);
      if (artifactSha256 === undefined) throw new Error(`no model to measure for ${m.hash}`);
      // As for evaluations: a measurement that failed for good earlier is tried again once by this request.
      const job = await producer.enqueue(
        JOBS.measure.name,
        {
          requestKey,
          architectureHash: m.hash,
          artifactSha256,
          deviceClass: target.deviceClass,
          runtimeConfig: target.runtimeConfig,
          inputHeight: target.input.height,
          inputWidth: target.input.width,
        },
        { retryFailed: true, waiter },
      );
      enqueued.push(job);
      jobIds.set(requestKey, job.jobId);
      this.requested++;
    }
    const queue = producer.queue(measureQueue(target.deviceClass).name);
    let results: Map<string, Latency | Error>;
    try {
      results = await awaitResults([...keyOf.values()], {
        signal,
        fetch: (keys) => store.measurementsByRequestKey(keys),
        failures: (keys) => failedJobs(queue, jobIds, keys, "measurement failed"),
        onProgress: (done, total) => this.options.onProgress?.(target.name ?? target.deviceClass, done, total),
      });
    } catch (error) {
      // A cancelled search takes its queued measurements that no other search waits on out of the queues; a
      // searcher shutting down leaves them for the search's resume. The error it stopped with is what counts: a
      // failed withdrawal only leaves jobs queued, as before demand was tracked.
      const cancelled = signal.reason instanceof MfnasError && signal.reason.code === "cancelled";
      await producer.withdraw(waiter, enqueued, { removeUnwanted: cancelled }).catch(() => undefined);
      throw error;
    }
    await producer.withdraw(waiter, enqueued, { removeUnwanted: false });
    return new Map(models.map((m) => [m.hash, results.get(keyOf.get(m.hash) ?? "") ?? new Error("lost")]));
  }

  private async exportProbe(candidate: CandidateGenome, target: SearchTarget): Promise<string> {
    const artifact = exportGenerator(candidate.genome, probeWeights(candidate.genome), {
      format: "tflite",
      precision: target.runtimeConfig.precision === "fp16" ? "float16" : "float32",
      input: target.input,
    });
    return this.options.store.putArtifact({
      bytes: artifact.bytes,
      kind: "tflite",
      mediaType: "application/vnd.tflite",
      metadata: { ...artifact.metadata, purpose: "latency-probe" },
    });
  }
}
