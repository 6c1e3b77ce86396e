import * as tfCore from "@tensorflow/tfjs-core";
import { DEFAULT_SEARCH_SPACE, createRng, encodeGenome, narrowSpace, sampleGenome } from "@mfnas/core";
import { MfaSupernet, selectBackend, type Tf } from "@mfnas/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scoreUpscaler, subGeneratorUpscaler } from "./evaluate-candidate.job.ts";
import type { Upscaler } from "./upscalers.ts";
import { BUNDLED_VALIDATION_SET, ValidationSets, type ValidationSet } from "./validation-sets.ts";

// Every branch kind, both scales and both upsamplers, at widths that keep the tfjs reference quick.
const SPACE = narrowSpace(DEFAULT_SEARCH_SPACE, {
  trunkWidths: [8, 16],
  branchWidths: [4, 8],
  depth: { min: 1, max: 3 },
});
const GENOMES = 6;

let tf: Tf;
let supernet: MfaSupernet;
const sets = new ValidationSets(undefined);
beforeAll(async () => {
  tf = (await selectBackend(tfCore, { prefer: "wasm", training: false })).tf;
  // Plain kaiming init inside the blocks too, so outputs spread over [0, 1] instead of sitting near one value.
  supernet = new MfaSupernet(tf, SPACE, { seed: 11, initScale: 1, outputInitScale: 1 });
});
afterAll(() => supernet.dispose());

async function outputs(upscaler: Upscaler, set: ValidationSet): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const image of set.images) out.push((await upscaler.upscale(image.lr)).data);
  return out;
}

describe("ONNX Runtime path", () => {
  it("scores random genomes as the tfjs path does: PSNR within 0.01 dB, every pixel within 1e-4", async () => {
    const rng = createRng(5);
    for (let i = 0; i < GENOMES; i++) {
      const genome = sampleGenome(SPACE, rng);
      const set = await sets.get(BUNDLED_VALIDATION_SET, genome.scale);
      const ort = await subGeneratorUpscaler(tf, supernet, genome, "onnxruntime", { backend: "wasm" });
      const ref = await subGeneratorUpscaler(tf, supernet, genome, "tfjs", { backend: "wasm" });
      try {
        const [a, b] = [await outputs(ort, set), await outputs(ref, set)];
        let maxDiff = 0;
        let inside = 0;
        let total = 0;
        a.forEach((img, k) => {
          const other = b[k] as Float32Array;
          expect(img.length).toBe(other.length);
          img.forEach((v, p) => {
            maxDiff = Math.max(maxDiff, Math.abs(v - (other[p] as number)));
            if (v > 0 && v < 1) inside += 1;
          });
          total += img.length;
        });
        const label = encodeGenome(genome);
        expect(maxDiff, label).toBeLessThanOrEqual(1e-4);
        // Most pixels are not clipped, so the comparison is about the network, not about 0 == 0.
        expect(inside / total, label).toBeGreaterThan(0.25);

        const [sa, sb] = [await scoreUpscaler(ort, set), await scoreUpscaler(ref, set)];
        expect(Math.abs(sa.psnr - sb.psnr), label).toBeLessThanOrEqual(0.01);
        expect(Math.abs(sa.ssim - sb.ssim), label).toBeLessThanOrEqual(1e-4);
        expect(sa.images.map((s) => s.name)).toEqual(set.images.map((s) => s.name));
        expect(Number.isFinite(sa.psnr)).toBe(true);
      } finally {
        await ort.dispose();
        await ref.dispose();
      }
    }
  }, 360_000);
});
