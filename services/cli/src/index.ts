export * from "./client.ts";
export * from "./program.ts";
