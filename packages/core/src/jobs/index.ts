export * from "./queues.ts";
export * from "./catalog.ts";
