// Seeded random weights for a genome, for tests and benches that export or run a network without a reference output.
import { convLayerSpecs, createRng, type Genome } from "@mfnas/core";
import type { WeightTensor } from "@mfnas/export";

/** Uniform(-scale, scale) weights for every conv of `genome`, seeded: for tests that need no reference output. */
export function randomWeights(genome: Genome, seed: number, scale = 0.5): Map<string, WeightTensor> {
  const rng = createRng(seed);
  const fill = (n: number) => Float32Array.from({ length: n }, () => (rng.nextFloat() * 2 - 1) * scale);
  const weights = new Map<string, WeightTensor>();
  for (const s of convLayerSpecs(genome)) {
    const shape = [s.kernel, s.kernel, s.cin, s.cout];
    weights.set(`${s.name}.weight`, { shape, data: fill(s.kernel * s.kernel * s.cin * s.cout) });
    weights.set(`${s.name}.bias`, { shape: [s.cout], data: fill(s.cout) });
  }
  return weights;
}
