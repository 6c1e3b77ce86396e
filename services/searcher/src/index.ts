export { createSearchRunHandler, generationSeed } from "./search-run.job.ts";
export type { SearchStore } from "./search-store.ts";
