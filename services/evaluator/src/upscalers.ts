/**
 * The two ways the evaluator runs a SubGenerator on an LR image:
 * - ONNX Runtime on its exported graph (@mfnas/export, opset 17, fp32) with the CPU provider. Exported graphs have
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

export interface OnnxRuntimeOptions {
  /** Intra-op threads; default ONNX Runtime's own (one per core). */
  threads?: number;
}

export const ORT_RUNTIME = `onnxruntime-node ${ort.env.versions.common} cpu`;

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

/** ONNX Runtime (CPU) on the exported fp32 graph; sessions per LR size, released by `dispose`. */
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
        executionProviders: ["cpu"],
        interOpNumThreads: 1,
        ...(options.threads !== undefined ? { intraOpNumThreads: options.threads } : {}),
      });
      sessions.set(key, session);
    }
    return session;
  };
  return {
    path: "onnxruntime",
    runtime: ORT_RUNTIME,
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
