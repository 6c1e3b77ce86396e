import { kernelFigures, kernelKey, type KernelSpec, type SearchTarget } from "@mfnas/core";
import { KERNEL_GRAPH_VERSION, exportGraph, kernelGraph, kernelHash } from "@mfnas/export";
import type { KernelMeasurer } from "@mfnas/latency";
import { latencyMs } from "../ports.ts";
import type { DeviceLabLatencySource } from "./device-lab.latency-source.ts";

/** What kernel profiling needs from the stores: an Architecture row per kernel (Measurement rows reference one). */
export interface KernelLabStore {
  ensureArchitectures(
    rows: readonly {
      genome: object;
      hash: string;
      encoded: string;
      cost: { params: number; macs: number; peakActivationBytes: number; memoryTrafficBytes: number };
    }[],
    costModelVersion: string,
    referenceInput: { height: number; width: number },
  ): Promise<void>;
  putArtifact(artifact: { bytes: Uint8Array; kind: "tflite"; mediaType: string; metadata: object }): Promise<string>;
}

/**
 * Kernel profiling through the device lab: each kernel exported alone as a small TFLite model (kernel-graph.ts),
 * stored, and measured by the real `devicelab.measure` job on the target's device class and runtime config (the
 * target's latency statistic is each kernel's figure).
 * A kernel is an Architecture row of its own (genome `{kernel: ...}`, keyed by `kernelHash`), so its measurements
 * are cached and reused like a SubGenerator's.
 */
export class DeviceLabKernelMeasurer implements KernelMeasurer {
  constructor(
    private readonly target: SearchTarget,
    private readonly lab: DeviceLabLatencySource,
    private readonly store: KernelLabStore,
  ) {}

  async measureKernels(kernels: readonly KernelSpec[], signal: AbortSignal): Promise<Map<string, number | Error>> {
    const { input, runtimeConfig } = this.target;
    await this.store.ensureArchitectures(
      kernels.map((k) => {
        const f = kernelFigures(k);
        return {
          genome: { kernel: k },
          hash: kernelHash(k),
          encoded: kernelKey(k),
          cost: { params: 0, macs: f.macs, peakActivationBytes: 0, memoryTrafficBytes: f.bytes },
        };
      }),
      KERNEL_GRAPH_VERSION,
      input,
    );
    const models: { hash: string; artifactSha256: string }[] = [];
    for (const k of kernels) {
      const artifact = exportGraph(kernelGraph(k), {
        format: "tflite",
        precision: runtimeConfig.precision === "fp16" ? "float16" : "float32",
      });
      const sha = await this.store.putArtifact({
        bytes: artifact.bytes,
        kind: "tflite",
        mediaType: "application/vnd.tflite",
        metadata: { ...artifact.metadata, genome: kernelKey(k), genomeHash: kernelHash(k), purpose: "kernel-probe" },
      });
      models.push({ hash: kernelHash(k), artifactSha256: sha });
    }
    const measured = await this.lab.measureModels(this.target, models, signal, KERNEL_GRAPH_VERSION);
    return new Map(
      kernels.map((k) => {
        const r = measured.get(kernelHash(k));
        if (r === undefined) return [kernelKey(k), new Error("lost")];
        return [kernelKey(k), r instanceof Error ? r : latencyMs(r, this.target)];
      }),
    );
  }
}
