/** Public API of the search space, genome operators and analytic cost model. */
export * from "./search-space.ts";
export * from "./genome.ts";
export * from "./genome-codec.ts";
export * from "./genome-ops.ts";
export * from "./bicubic-skip.ts";
export * from "./cost-graph.ts";
export * from "./cost-model.ts";
export * from "./esrgan-cost.ts";
export * from "./kernels.ts";
export * from "../random.ts";
export { expectInteger } from "./invalid.ts";
export * from "./conv-layers.ts";
