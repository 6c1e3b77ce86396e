import { Counter, Gauge, type Registry } from "prom-client";
import { SEARCH_STATUSES_FINAL } from "@mfnas/core";
import type { GenerationWrite, SearchStore } from "./ports.ts";

export interface SearchMetricsOptions {
  /**
   * How long a finished search keeps its per-search series, so that Prometheus scrapes its final values before
   * they go. Default 15 minutes.
   */
  readonly retainFinishedMs?: number;
}

/**
 * Search progress as Prometheus series, taken from what the handler writes to its store: generations written,
 * and per running search its last generation, hypervolume and front size. Per-search series (label `search_id`)
 * are removed a while after the search finishes, so the label set stays bounded.
 */
export class SearchMetrics {
  private readonly generations: Counter;
  private readonly finished: Counter<"status">;
  private readonly lastGeneration: Gauge<"search_id">;
  private readonly hypervolume: Gauge<"search_id">;
  private readonly frontSize: Gauge<"search_id">;
  private readonly removals = new Map<string, NodeJS.Timeout>();

  constructor(
    registry: Registry,
    private readonly options: SearchMetricsOptions = {},
  ) {
    const registers = [registry];
    this.generations = new Counter({
      name: "mfnas_search_generations_total",
      help: "Generations written by the searches of this process.",
      registers,
    });
    this.finished = new Counter({
      name: "mfnas_searches_finished_total",
      help: "Searches this process finished, by final status.",
      labelNames: ["status"] as const,
      registers,
    });
    this.lastGeneration = new Gauge({
      name: "mfnas_search_generation",
      help: "Index of the last generation a search wrote (0-based).",
      labelNames: ["search_id"] as const,
      registers,
    });
    this.hypervolume = new Gauge({
      name: "mfnas_search_hypervolume",
      help: "Hypervolume of a search's first front against its fixed reference point, after its last generation.",
      labelNames: ["search_id"] as const,
      registers,
    });
    this.frontSize = new Gauge({
      name: "mfnas_search_front_size",
      help: "Members of a search's first front (feasible, non-dominated) after its last generation.",
      labelNames: ["search_id"] as const,
      registers,
    });
    for (const status of SEARCH_STATUSES_FINAL) this.finished.inc({ status }, 0);
  }

  generationWritten(generation: GenerationWrite): void {
    const labels = { search_id: generation.searchId };
    this.cancelRemoval(generation.searchId);
    this.generations.inc();
    this.lastGeneration.set(labels, generation.index);
    this.frontSize.set(labels, generation.front.length);
    if (generation.hypervolume !== null) this.hypervolume.set(labels, generation.hypervolume);
  }

  searchFinished(searchId: string, status: "succeeded" | "failed" | "cancelled"): void {
    this.finished.inc({ status });
    this.cancelRemoval(searchId);
    const timer = setTimeout(
      () => {
        this.removals.delete(searchId);
        for (const gauge of [this.lastGeneration, this.hypervolume, this.frontSize])
          gauge.remove({ search_id: searchId });
      },
      this.options.retainFinishedMs ?? 15 * 60_000,
    );
    timer.unref();
    this.removals.set(searchId, timer);
  }

  /** The store with its writes observed; everything else passes through. */
  observe<S extends SearchStore>(store: S): S {
    return Object.assign(Object.create(store) as S, {
      writeGeneration: async (generation: GenerationWrite) => {
        await store.writeGeneration(generation);
        this.generationWritten(generation);
      },
      finish: async (id: string, outcome: Parameters<SearchStore["finish"]>[1]) => {
        await store.finish(id, outcome);
        this.searchFinished(id, outcome.status);
      },
    });
  }

  private cancelRemoval(searchId: string): void {
    clearTimeout(this.removals.get(searchId));
    this.removals.delete(searchId);
  }
}
