export * from "./errors.ts";
export * from "./env.ts";
export * from "./jobs/index.ts";
