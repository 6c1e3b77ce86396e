export * from "./search-run.job.ts";
export * from "./ports.ts";
export * from "./final-set.ts";
export * from "./objectives.ts";

// The adapters and the wiring, for callers that assemble a searcher themselves: the latency benches and the
// lab tests measure through the same device-lab and predictor sources as the service, and bench/search.ts runs
// the handler over the service's own resources.
export { searcherResources, type SearcherWiring } from "./resources.ts";
export {
  ActiveLatencySource,
  type ActiveLatencyOptions,
  type PredictorBook,
} from "./adapters/active.latency-source.ts";
export { DeviceLabLatencySource, type DeviceLabLatencyOptions } from "./adapters/device-lab.latency-source.ts";
export { DeviceLabKernelMeasurer } from "./adapters/kernel-measurer.ts";
export { probeWeights } from "./adapters/probe-weights.ts";
export {
  putAccuracyReport,
  putPredictorModel,
  storedPredictorBook,
  type PutReport,
} from "./adapters/stored-predictor-book.ts";
export * from "./latency-profile.job.ts";
