export * from "./search-run.job.ts";
export * from "./ports.ts";
export * from "./final-set.ts";
export * from "./objectives.ts";
export * from "./latency-profile.job.ts";
export { searcherResources, type SearcherWiring } from "./resources.ts";
export { storedPredictorBook } from "./adapters/stored-predictor-book.ts";
