import type { ExportFormat } from "@mfnas/core";
import { exportGenerator, type ExportArtifact } from "@mfnas/export";
import { decodeSupernetWeights, supernetFromWeights, type Tf } from "@mfnas/model";
import type { ExportRequest, FinalExporter } from "../final-set.ts";
import { probeWeights } from "./probe-weights.ts";

/** Where the exporter reads checkpoints and writes exported SubGenerators. */
export interface ExportStore {
  checkpointArtifact(supernetId: string, step: number): Promise<string | null>;
  getArtifact(sha256: string): Promise<Uint8Array>;
  putArtifact(artifact: {
    bytes: Uint8Array;
    kind: ExportFormat;
    mediaType: string;
    metadata: object;
  }): Promise<string>;
}

const MEDIA_TYPES = { tflite: "application/vnd.tflite", onnx: "application/onnx", tfjs: "application/json" } as const;

/**
 * Exports SubGenerators of the final Pareto set with the weights they inherit from the supernet checkpoint
 * (sliced by the model package exactly as evaluation used them), through @mfnas/export, into the artifact store.
 * TF.js artifacts are stored as their model.json with the weights file beside it (both content addressed).
 */
export class SupernetExporter implements FinalExporter {
  constructor(
    private readonly tf: Tf,
    private readonly store: ExportStore,
  ) {}

  async export(request: ExportRequest, signal: AbortSignal): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const weightsOf = await this.weightSource(request);
    try {
      for (const candidate of request.genomes) {
        signal.throwIfAborted();
        const artifact = exportGenerator(candidate.genome, weightsOf(candidate.genome), {
          format: request.format,
          precision: request.precision,
          input: request.input,
        });
        out.set(candidate.hash, await this.put(artifact, request));
      }
    } finally {
      weightsOf.dispose?.();
    }
    return out;
  }

  private async put(artifact: ExportArtifact, request: ExportRequest): Promise<string> {
    const metadata = { ...artifact.metadata, supernet: request.supernet ?? null, purpose: "final-pareto-set" };
    for (const extra of artifact.files.slice(1)) {
      await this.store.putArtifact({ bytes: extra.bytes, kind: request.format, mediaType: extra.mediaType, metadata });
    }
    return this.store.putArtifact({
      bytes: artifact.bytes,
      kind: request.format,
      mediaType: MEDIA_TYPES[request.format],
      metadata,
    });
  }

  /** Weights per genome: sliced from the supernet, or seeded probe weights for a cost-only search. */
  private async weightSource(request: ExportRequest) {
    type Source = ((
      genome: ExportRequest["genomes"][number]["genome"],
    ) => Record<string, { shape: number[]; data: Float32Array }>) & {
      dispose?: () => void;
    };
    if (!request.supernet) {
      const source: Source = (genome) =>
        probeWeights(genome) as Record<string, { shape: number[]; data: Float32Array }>;
      return source;
    }
    const { id, checkpointStep } = request.supernet;
    const sha = await this.store.checkpointArtifact(id, checkpointStep);
    if (!sha) throw new Error(`supernet ${id} has no checkpoint at step ${checkpointStep}`);
    const { weights } = decodeSupernetWeights(await this.store.getArtifact(sha), request.space);
    const tf = this.tf;
    const supernet = supernetFromWeights(tf, request.space, weights);
    const source: Source = (genome) => {
      const sub = supernet.extract(genome);
      try {
        const named: Record<string, { shape: number[]; data: Float32Array }> = {};
        for (const [name, v] of sub.params.entries())
          named[name] = { shape: [...v.shape], data: v.dataSync() as Float32Array };
        return named;
      } finally {
        sub.dispose();
      }
    };
    source.dispose = () => supernet.dispose();
    return source;
  }
}
