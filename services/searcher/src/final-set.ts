import { targetName, type SearchSpace, type SearchSpec } from "@mfnas/core";
import type { ObjectiveAxis } from "./objectives.ts";
import { latencyMs, type CandidateGenome, type Latency, type LatencySource, type SearchBook } from "./ports.ts";

export type FinalFormat = "tflite" | "onnx" | "tfjs";

export interface ExportRequest {
  /** Inherited weights from this supernet checkpoint; absent = a cost-only search, exported with probe weights. */
  readonly supernet?: { readonly id: string; readonly checkpointStep: number };
  /** The supernet's own space (its weight layout); for a cost-only search, the space searched. */
  readonly space: SearchSpace;
  readonly genomes: readonly CandidateGenome[];
  readonly format: FinalFormat;
  readonly precision: "float32" | "float16";
  readonly input: { readonly height: number; readonly width: number };
}

/** Exports SubGenerators and stores them in the artifact store. */
export interface FinalExporter {
  /** The stored artifact's sha256 per genome hash. */
  export(request: ExportRequest, signal: AbortSignal): Promise<Map<string, string>>;
}

export interface FinalMember {
  readonly hash: string;
  readonly genome: string;
  readonly objectives: readonly number[];
  readonly params: number;
  readonly macs: number;
  /** Cost model at the reference input: peak activation memory and memory traffic (memory access cost), bytes. */
  readonly peakActivationBytes: number;
  readonly memoryTrafficBytes: number;
  /** Per target: the latency the search used and the final re-measurement of the exported model. */
  readonly latency: Record<string, { searchMs: number | null; finalMs: number | null; finalMeasurementId?: string }>;
  /** Exported files by format (sha256 in the artifact store), at the reference input. */
  readonly exports: Partial<Record<FinalFormat, string>>;
  /** The TFLite model measured for each target (that target's input and precision). */
  readonly targetModels: Record<string, string>;
  readonly errors?: string[];
}

export interface SearchResult {
  readonly axes: readonly { name: string; unit: string; negated: boolean }[];
  readonly reference: readonly number[] | null;
  readonly checkpointStep: number | null;
  readonly measurementsRequested: number;
  /** Hypervolume of the final front against `reference` (as the last generation's). */
  readonly hypervolume: number | null;
  /** Candidate latencies answered by a predictor instead of a device measurement (predicted searches only). */
  readonly measurementsSaved?: number;
  readonly front: FinalMember[];
}

export interface FinalizeContext {
  readonly searchId: string;
  readonly spec: SearchSpec;
  /** The supernet's space (the default space for a cost-only search). */
  readonly supernetSpace: SearchSpace;
  readonly axes: readonly ObjectiveAxis[];
  readonly book: SearchBook;
  /** The final Pareto set. */
  readonly front: readonly CandidateGenome[];
  readonly hypervolume: number | null;
}

/**
 * The end of a search: export the final Pareto set with its inherited weights and measure those very models on
 * each target's phones again (tagged with the search, so they are fresh measurements, never predictions), then
 * report the set with both figures. Every step is keyed by what it computes, so a resumed search redoes nothing.
 */
export async function finalizeSearch(
  context: FinalizeContext,
  resources: { exporter?: FinalExporter; latency?: LatencySource },
  signal: AbortSignal,
): Promise<SearchResult> {
  const { spec, book, front, supernetSpace: space } = context;
  const supernet =
    spec.supernet && book.checkpointStep !== null
      ? { id: spec.supernet.id, checkpointStep: book.checkpointStep }
      : undefined;
  const base = { ...(supernet ? { supernet } : {}), space, genomes: front };
  const exports = new Map<FinalFormat, Map<string, string>>();
  const targetModels = new Map<string, Map<string, string>>();
  const finalLatency = new Map<string, Map<string, Latency | Error>>();
  if (resources.exporter && front.length > 0) {
    for (const format of spec.final.exportFormats) {
      exports.set(
        format,
        await resources.exporter.export({ ...base, format, precision: "float32", input: spec.referenceInput }, signal),
      );
    }
    for (const target of spec.targets) {
      const precision = target.runtimeConfig.precision === "fp16" ? "float16" : "float32";
      const models = await resources.exporter.export(
        { ...base, format: "tflite", precision, input: target.input },
        signal,
      );
      targetModels.set(targetName(target), models);
      if (spec.final.remeasure && resources.latency) {
        const measured = await resources.latency.measure(
          { target, genomes: front, artifacts: models, tag: `final.${context.searchId}` },
          signal,
        );
        finalLatency.set(targetName(target), measured);
      }
    }
  }
  const latencyAxis = (target: string) => context.axes.findIndex((a) => a.target === target);
  const members = front.map((c): FinalMember => {
    const objectives = book.figures[c.hash]?.objectives ?? [];
    const errors: string[] = [];
    const latency: FinalMember["latency"] = {};
    for (const target of spec.targets) {
      const name = targetName(target);
      const axis = latencyAxis(name);
      const final = finalLatency.get(name)?.get(c.hash);
      if (final instanceof Error) errors.push(`${name}: ${final.message}`);
      latency[name] = {
        searchMs: axis >= 0 ? (objectives[axis] ?? null) : null,
        finalMs: final && !(final instanceof Error) ? latencyMs(final, target) : null,
        ...(final && !(final instanceof Error) ? { finalMeasurementId: final.measurementId } : {}),
      };
    }
    const files: FinalMember["exports"] = {};
    for (const [format, byHash] of exports) {
      const sha = byHash.get(c.hash);
      if (sha) files[format] = sha;
    }
    const models: Record<string, string> = {};
    for (const [target, byHash] of targetModels) {
      const sha = byHash.get(c.hash);
      if (sha) models[target] = sha;
    }
    return {
      hash: c.hash,
      genome: c.encoded,
      objectives,
      params: c.cost.params,
      macs: c.cost.macs,
      peakActivationBytes: c.cost.peakActivationBytes,
      memoryTrafficBytes: c.cost.memoryTrafficBytes,
      latency,
      exports: files,
      targetModels: models,
      ...(errors.length > 0 ? { errors } : {}),
    };
  });
  return {
    axes: context.axes.map((a) => ({ name: a.name, unit: a.unit, negated: a.negated })),
    reference: book.reference,
    checkpointStep: book.checkpointStep,
    measurementsRequested: book.measurementsRequested,
    hypervolume: context.hypervolume,
    ...(spec.latencySource === "predicted" ? { measurementsSaved: book.measurementsSaved ?? 0 } : {}),
    front: members,
  };
}
