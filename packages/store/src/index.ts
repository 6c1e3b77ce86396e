export * from "./client.ts";
export * from "./database-url.ts";
export * from "./migrate.ts";
export * from "./schema-drift.ts";
export * from "./repositories/index.ts";
export * from "./search-submission.ts";
export * from "./artifacts/index.ts";
export { Prisma } from "./generated/prisma/client.ts";
export type * from "./generated/prisma/client.ts";
