export * from "./timing.ts";
export * from "./fire.job.ts";
export * from "./sync.ts";
export * from "./scheduler.ts";
