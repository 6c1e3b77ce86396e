export * from "./local-artifact-store.ts";
export * from "./upload.ts";
