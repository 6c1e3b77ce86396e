export * from "./search.repository.ts";
export * from "./errors.ts";
