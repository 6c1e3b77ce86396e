export * from "./errors.ts";
export * from "./env.ts";
export * from "./jobs/index.ts";
export * from "./space/index.ts";
export * from "./search/spec.ts";
export * from "./training/config.ts";
export * from "./canonical-json.ts";
export * from "./evolution/index.ts";
