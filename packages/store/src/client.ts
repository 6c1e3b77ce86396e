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
  // Prisma's interactive-transaction defaults (2 s to get a connection, 5 s to finish) turn a busy database host
  // or a burst of concurrent writers (a schedule slot fired by many replicas at once) into failed jobs. A
  // transaction here is a handful of statements; these bounds only stop one that is truly stuck.
  const db = new PrismaClient({ adapter, transactionOptions: { maxWait: 20_000, timeout: 60_000 } });
  SCHEMAS.set(db, target.schema);
  return db;
}

/**
 * PostgreSQL as a service dependency (the queue package's `Dependency` shape): answers when `SELECT 1` does.
 * `at` is host:port only, never the credentials in the URL.
 */
export function databaseDependency(
  db: Db,
  databaseUrl: string,
): { name: string; at: string; check(): Promise<unknown> } {
  let at = "(unparsable url)";
  try {
    const url = new URL(databaseUrl);
    at = `${url.hostname}${url.port === "" ? "" : `:${url.port}`}${url.pathname}`;
  } catch {
    // The URL was validated by the service's env schema; keep the placeholder.
  }
  return { name: "postgres", at, check: () => db.$queryRaw`SELECT 1` };
}
