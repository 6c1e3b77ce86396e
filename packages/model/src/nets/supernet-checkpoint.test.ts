import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { DEFAULT_SEARCH_SPACE, MfnasError, createRng, narrowSpace, sampleGenome } from "@mfnas/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MfaSupernet } from "./mfa-supernet.ts";
import { toFloat32, writeSafetensors } from "./safetensors.ts";
import {
  GENERATOR_ARCHITECTURE,
  LOADABLE_ARCHITECTURES,
  decodeSupernetCheckpoint,
  decodeSupernetWeights,
  encodeSupernetCheckpoint,
  supernetCheckpointEntries,
  supernetFromWeights,
} from "./supernet-checkpoint.ts";

const SPACE = narrowSpace(DEFAULT_SEARCH_SPACE, {
  trunkWidths: [4, 8],
  branchWidths: [2, 4],
  depth: { min: 1, max: 2 },
});

let supernet: MfaSupernet;
let bytes: Uint8Array;
beforeAll(async () => {
  await tf.setBackend("cpu");
  supernet = new MfaSupernet(tf, SPACE, { seed: 5, initScale: 1 });
  const extra = tf.variable(tf.ones([3]));
  // A writer's own tensors and metadata fields ride along; readers of the supernet ignore them.
  bytes = await encodeSupernetCheckpoint([...supernetCheckpointEntries(supernet), ["adam.m/x", extra]], {
    format: 1,
    step: 12,
    configHash: "abc",
  });
  extra.dispose();
});
afterAll(() => supernet.dispose());

describe("supernet checkpoints", () => {
  it("round-trip the supernet exactly, with the writer's metadata", () => {
    const file = decodeSupernetCheckpoint<{ format: 1; step: number; configHash: string }>(bytes);
    expect(file.meta).toEqual({ format: 1, step: 12, configHash: "abc", architecture: GENERATOR_ARCHITECTURE });
    expect(file.tensors.has("adam.m/x")).toBe(true);

    const { header, weights } = decodeSupernetWeights(bytes, SPACE);
    expect(header).toEqual({ format: 1, step: 12 });
    expect([...weights.keys()]).toEqual(supernet.params.names());
    const loaded = supernetFromWeights(tf, SPACE, weights);
    try {
      const genome = sampleGenome(SPACE, createRng(3));
      const lr = tf.randomUniform<tf.Rank.R4>([1, 8, 8, 3], 0, 1, "float32", 1);
      const a = supernet.forward(tf, genome, lr);
      const b = loaded.forward(tf, genome, lr);
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([lr, a, b]);
    } finally {
      loaded.dispose();
    }
  });

  it("refuse a checkpoint of another space, naming the tensor", () => {
    const wider = narrowSpace(DEFAULT_SEARCH_SPACE, {
      trunkWidths: [16],
      branchWidths: [4],
      depth: { min: 1, max: 2 },
    });
    expect(() => decodeSupernetWeights(bytes, wider)).toThrow(/tensor "supernet\/conv_first.weight" missing/);
  });

  it("refuse safetensors files that are not checkpoints", () => {
    const plain = writeSafetensors([{ name: "a", shape: [1], data: new Float32Array(1) }]);
    expect(() => decodeSupernetCheckpoint(plain)).toThrow(MfnasError);
    const noStep = writeSafetensors([], { "mfnas.checkpoint": JSON.stringify({ format: 1 }) });
    expect(() => decodeSupernetCheckpoint(noStep)).toThrow(/integer step/);
  });

  it("refuse weights of another generator architecture, though names and shapes match", () => {
    const tensors = [...decodeSupernetCheckpoint(bytes).tensors].map(([name, t]) => ({
      name,
      shape: t.shape,
      data: new Float32Array(t.shape.reduce((a, b) => a * b, 1)),
    }));
    const older = writeSafetensors(tensors, { "mfnas.checkpoint": JSON.stringify({ format: 1, step: 3 }) });
    expect(() => decodeSupernetWeights(older, SPACE)).toThrow(
      new RegExp(
        `generator architecture none recorded, this code runs ${GENERATOR_ARCHITECTURE}; train the supernet again`,
      ),
    );
    const other = writeSafetensors(tensors, {
      "mfnas.checkpoint": JSON.stringify({ format: 1, step: 3, architecture: "mfa-cost-1" }),
    });
    expect(() => decodeSupernetCheckpoint(other)).toThrow(/architecture mfa-cost-1/);
  });

  it("load checkpoints of the bilinear-skip architecture: the skip has no weights", () => {
    const file = decodeSupernetCheckpoint(bytes);
    const tensors = [...file.tensors].map(([name, t]) => ({ name, shape: t.shape, data: toFloat32(t) }));
    const meta = { ...file.meta, architecture: "mfa-cost-2" };
    const bilinearEra = writeSafetensors(tensors, { "mfnas.checkpoint": JSON.stringify(meta) });
    const { weights } = decodeSupernetWeights(bilinearEra, SPACE);
    const current = decodeSupernetWeights(bytes, SPACE).weights;
    expect([...weights.keys()]).toEqual([...current.keys()]);
    for (const [name, w] of weights) expect(w.data).toEqual(current.get(name)?.data);
    expect(LOADABLE_ARCHITECTURES).toEqual([GENERATOR_ARCHITECTURE, "mfa-cost-2"]);
  });
});
