export * from "./search-run.job.ts";
export * from "./ports.ts";
export * from "./final-set.ts";
export * from "./objectives.ts";
