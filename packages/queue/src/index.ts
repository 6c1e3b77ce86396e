export * from "./connection.ts";
export * from "./producer.ts";
export * from "./worker.ts";
export * from "./shutdown.ts";
