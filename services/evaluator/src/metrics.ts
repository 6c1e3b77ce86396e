import { Counter, Histogram, type Registry } from "prom-client";
import type { EvaluationResult, EvaluationStore } from "./evaluator-store.ts";

/**
 * Evaluation throughput as Prometheus series, taken from the results the handler writes: candidates evaluated
 * (a result written; one found already stored is not counted) and how long scoring took, by path (onnxruntime or
 * tfjs). The evaluator's busy share is the queue package's `mfnas_worker_utilization_ratio{queue="evaluate"}`.
 */
export class EvaluatorMetrics {
  private readonly evaluated: Counter<"path">;
  private readonly duration: Histogram<"path">;

  constructor(registry: Registry) {
    const registers = [registry];
    this.evaluated = new Counter({
      name: "mfnas_evaluator_candidates_evaluated_total",
      help: "Candidates whose quality this process measured and stored, by evaluation path.",
      labelNames: ["path"] as const,
      registers,
    });
    this.duration = new Histogram({
      name: "mfnas_evaluator_evaluation_seconds",
      help: "Time to score one candidate on the validation set, by evaluation path.",
      labelNames: ["path"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers,
    });
    for (const path of ["onnxruntime", "tfjs"]) this.evaluated.inc({ path }, 0);
  }

  /** The store with its writes observed; reads pass through. */
  observe<S extends EvaluationStore>(store: S): S {
    return Object.assign(Object.create(store) as S, {
      recordEvaluation: async (result: EvaluationResult) => {
        const outcome = await store.recordEvaluation(result);
        if (outcome.created) {
          this.evaluated.inc({ path: result.path });
          this.duration.observe({ path: result.path }, result.durationMs / 1000);
        }
        return outcome;
      },
    });
  }
}
