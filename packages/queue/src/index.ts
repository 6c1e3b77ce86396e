export * from "./connection.ts";
export * from "./producer.ts";
export * from "./worker.ts";
export * from "./shutdown.ts";
export * from "./metrics.ts";
export * from "./metrics-server.ts";
export * from "./requeue.ts";
export * from "./dependencies.ts";
