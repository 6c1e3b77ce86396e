export * from "./search.repository.ts";
export * from "./errors.ts";
export * from "./supernet.repository.ts";
export * from "./evaluation.repository.ts";
