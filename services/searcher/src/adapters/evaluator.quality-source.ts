import { JOBS, QUEUES } from "@mfnas/core";
import type { JobProducer } from "@mfnas/queue";
import { awaitResults, failedJobs } from "../await-results.ts";
import type { Quality, QualityRequest, QualitySource } from "../ports.ts";

/** What the evaluator source reads from the results store. */
interface EvaluationStore {
  /** Stored evaluations of genomes (by genome hash) for one supernet checkpoint and validation set. */
  evaluations(
    key: { supernetId: string; checkpointStep: number; validationSet: string },
    genomeHashes: readonly string[],
  ): Promise<Map<string, Quality>>;
}

export interface EvaluatorQualityOptions {
  readonly store: EvaluationStore;
  readonly producer: JobProducer;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Quality from the evaluator service: genomes not yet evaluated for this checkpoint and validation set are queued
 * as `evaluator.evaluate-candidate` jobs (deterministic ids, so a resumed search re-queues nothing that runs), and
 * the results are read back from Postgres, where they stay for every later search.
 */
export class EvaluatorQualitySource implements QualitySource {
  constructor(private readonly options: EvaluatorQualityOptions) {}

  async evaluate(request: QualityRequest, signal: AbortSignal): Promise<Map<string, Quality | Error>> {
    const { store, producer } = this.options;
    const key = {
      supernetId: request.supernetId,
      checkpointStep: request.checkpointStep,
      validationSet: request.validationSet,
    };
    const hashes = request.genomes.map((g) => g.hash);
    const stored = await store.evaluations(key, hashes);
    const jobIds = new Map<string, string>();
    for (const g of request.genomes) {
      if (stored.has(g.hash)) continue;
      const payload = { ...key, genomeHash: g.hash, genome: g.encoded };
      // A job that failed for good in an earlier search (say, before a fix) is tried again once by this one.
      const { jobId } = await producer.enqueue(JOBS.evaluateCandidate.name, payload, { retryFailed: true });
      jobIds.set(g.hash, jobId);
    }
    const queue = producer.queue(QUEUES.evaluate.name);
    return awaitResults(hashes, {
      signal,
      fetch: (pending) => store.evaluations(key, pending),
      failures: (pending) => failedJobs(queue, jobIds, pending, "evaluation failed"),
      ...(this.options.onProgress ? { onProgress: this.options.onProgress } : {}),
    });
  }
}
