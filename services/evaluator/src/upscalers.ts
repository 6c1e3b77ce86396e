/**
 * The two ways the evaluator runs a SubGenerator on an LR image:
 * - ONNX Runtime on its exported graph (@mfnas/export, opset 17, fp32) with the CPU or CUDA provider. Exported graphs have
 *   a fixed input size and batch 1, so one session is made per LR size and reused for every image of that size.
 * - TensorFlow.js on the SubGenerator itself (the reference: the same forward the supernet was trained with).
 * Both return the SR image clipped to [0, 1], NHWC, as the metrics read it.
 */
import * as ort from "onnxruntime-node";
import type { Genome } from "@mfnas/core";
import { exportGenerator, type WeightTensor } from "@mfnas/export";
import { createImage, type RgbImage, type SubGenerator, type Tf } from "@mfnas/model";
import type { EvaluationPath } from "./evaluator-store.ts";

export interface Upscaler {
  readonly path: EvaluationPath;
  /** Runtime and version, stored with each evaluation. */
  readonly runtime: string;
  upscale(lr: RgbImage): Promise<RgbImage>;
  dispose(): Promise<void>;
}

/** ONNX Runtime execution providers the evaluator can use (EVALUATOR_ORT_PROVIDER). */
export const ORT_PROVIDERS = ["cpu", "cuda"] as const;
export type OrtProvider = (typeof ORT_PROVIDERS)[number];

export interface OnnxRuntimeOptions {
  /** Intra-op threads; default ONNX Runtime's own (one per core). */
  threads?: number;
  /** Execution provider; default cpu. Check cuda once with `probeOrtProvider` first: it never falls back. */
  provider?: OrtProvider;
}

/** The runtime stored with ONNX Runtime evaluations: version and execution provider. */
function ortRuntime(provider: OrtProvider = "cpu"): string {
  return `onnxruntime-node ${ort.env.versions.common} ${provider}`;
}

/**
 * Runs a one-node ONNX graph (Identity on a 1-element tensor) on `provider`: resolves when the provider loaded and
 * ran, rejects with ONNX Runtime's own reason otherwise (for cuda: its provider library or the CUDA/cuDNN libraries
 * missing, or no device). The graph is encoded here (protobuf) so the check needs no exporter.
 */
export async function probeOrtProvider(provider: OrtProvider): Promise<void> {
  const varint = (n: number): number[] => {
    const out: number[] = [];
    for (; n > 127; n >>>= 7) out.push((n & 127) | 128);
    return [...out, n];
  };
  const bytes = (no: number, body: number[]) => [...varint((no << 3) | 2), ...varint(body.length), ...body];
  const text = (no: number, s: string) => bytes(no, [...Buffer.from(s, "utf8")]);
  const int = (no: number, n: number) => [...varint(no << 3), ...varint(n)];
  // ValueInfoProto { name, type: TypeProto { tensor_type: { elem_type: FLOAT, shape: { dim: [{ dim_value: 1 }] } } } }
  const value = (name: string) => [
    ...text(1, name),
    ...bytes(2, bytes(1, [...int(1, 1), ...bytes(2, bytes(1, int(1, 1)))])),
  ];
  const node = bytes(1, [...text(1, "x"), ...text(2, "y"), ...text(4, "Identity")]);
  const graph = [...node, ...text(2, "probe"), ...bytes(11, value("x")), ...bytes(12, value("y"))];
  // ModelProto { ir_version: 7, graph, opset_import: [{ version: 13 }] }
  const model = Uint8Array.from([...int(1, 7), ...bytes(7, graph), ...bytes(8, int(2, 13))]);
  const session = await ort.InferenceSession.create(model, { executionProviders: [provider] });
  try {
    await session.run({ x: new ort.Tensor("float32", Float32Array.of(1), [1]) });
  } finally {
    await session.release();
  }
}

function clip01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** The genome's conv weights as the exporter takes them, read from a SubGenerator's variables. */
export async function subGeneratorWeights(sub: SubGenerator): Promise<Map<string, WeightTensor>> {
  const entries = await Promise.all(
    sub.params
      .entries()
      .map(async ([name, v]) => [name, { shape: [...v.shape], data: (await v.data()) as Float32Array }] as const),
  );
  return new Map(entries);
}

/** ONNX Runtime (CPU or CUDA provider) on the exported fp32 graph; sessions per LR size, released by `dispose`. */
export function onnxRuntimeUpscaler(
  genome: Genome,
  weights: ReadonlyMap<string, WeightTensor>,
  options: OnnxRuntimeOptions = {},
): Upscaler {
  const sessions = new Map<string, Promise<ort.InferenceSession>>();
  const sessionFor = (height: number, width: number) => {
    const key = `${height}x${width}`;
    let session = sessions.get(key);
    if (!session) {
      const { bytes } = exportGenerator(genome, weights, { format: "onnx", input: { height, width } });
      session = ort.InferenceSession.create(bytes, {
        executionProviders: [options.provider ?? "cpu"],
        interOpNumThreads: 1,
        ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
      });
      sessions.set(key, session);
    }
    return session;
  };
  return {
    path: "onnxruntime",
    runtime: ortRuntime(options.provider),
    async upscale(lr) {
      const { height: h, width: w } = lr;
      const plane = h * w;
      const input = new Float32Array(plane * 3);
      for (let p = 0; p < plane; p++) {
        for (let c = 0; c < 3; c++) input[c * plane + p] = lr.data[p * 3 + c] as number;
      }
      const session = await sessionFor(h, w);
      const outputs = await session.run({
        [session.inputNames[0] as string]: new ort.Tensor("float32", input, [1, 3, h, w]),
      });
      const out = outputs[session.outputNames[0] as string] as ort.Tensor;
      const [, , oh = 0, ow = 0] = out.dims;
      const data = out.data as Float32Array;
      const sr = createImage(oh, ow);
      const srPlane = oh * ow;
      for (let p = 0; p < srPlane; p++) {
        for (let c = 0; c < 3; c++) sr.data[p * 3 + c] = clip01(data[c * srPlane + p] as number);
      }
      out.dispose();
      return sr;
    },
    async dispose() {
      const all = await Promise.allSettled(sessions.values());
      sessions.clear();
      for (const s of all) if (s.status === "fulfilled") await s.value.release();
    },
  };
}

/** TensorFlow.js on the SubGenerator (which it disposes with itself). */
export function tfjsUpscaler(tf: Tf, sub: SubGenerator, backend: string): Upscaler {
  return {
    path: "tfjs",
    runtime: `tfjs ${tf.version_core} ${backend}`,
    async upscale(lr) {
      const sr = tf.tidy(() =>
        tf.clipByValue(sub.forward(tf, tf.tensor4d(lr.data, [1, lr.height, lr.width, 3], "float32")), 0, 1),
      );
      try {
        const [, oh = 0, ow = 0] = sr.shape;
        return createImage(oh, ow, (await sr.data()) as Float32Array);
      } finally {
        sr.dispose();
      }
    },
    dispose() {
      sub.dispose();
      return Promise.resolve();
    },
  };
}
