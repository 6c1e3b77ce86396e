import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";
import { parseDatabaseUrl } from "./database-url.ts";

export type Db = PrismaClient;

const SCHEMAS = new WeakMap<Db, string>();

/** The Postgres schema a client created by createDb works in, for the few raw SQL queries that must name it. */
export function schemaOf(db: Db): string {
  return SCHEMAS.get(db) ?? "public";
}

/** Opens a Prisma client over the pg driver adapter; honours Prisma's `?schema=` URL parameter. */
export function createDb(databaseUrl: string, options: { poolSize?: number } = {}): Db {
  const target = parseDatabaseUrl(databaseUrl);
  const adapter = new PrismaPg(
    { connectionString: target.connectionString, max: options.poolSize ?? 10 },
    { schema: target.schema },
  );
  const db = new PrismaClient({ adapter });
  SCHEMAS.set(db, target.schema);
  return db;
}
