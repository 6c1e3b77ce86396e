import { convLayerSpecs, createRng, type Genome } from "@mfnas/core";
import type { WeightTensor } from "@mfnas/export";

/**
 * Weights for a latency probe: a SubGenerator with the candidate's exact architecture and seeded weights of
 * ordinary magnitude (He-scaled uniform, no denormals), so that measuring it costs what measuring the candidate
 * with its inherited weights costs. Inference time does not depend on weight values; the final Pareto set is
 * measured again with its real weights.
 */
export function probeWeights(genome: Genome, seed = 1): Record<string, WeightTensor> {
  const rng = createRng(seed);
  const weights: Record<string, WeightTensor> = {};
  for (const layer of convLayerSpecs(genome)) {
    const fanIn = layer.kernel * layer.kernel * layer.cin;
    const bound = Math.sqrt(6 / fanIn) * 0.1;
    const kernel = new Float32Array(fanIn * layer.cout);
    for (let i = 0; i < kernel.length; i++) kernel[i] = (rng.nextFloat() * 2 - 1) * bound;
    weights[`${layer.name}.weight`] = { shape: [layer.kernel, layer.kernel, layer.cin, layer.cout], data: kernel };
    weights[`${layer.name}.bias`] = { shape: [layer.cout], data: new Float32Array(layer.cout).fill(0.01) };
  }
  return weights;
}
