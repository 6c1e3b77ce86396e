import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";
import { parseDatabaseUrl } from "./database-url.ts";

export type Db = PrismaClient;

/** Opens a Prisma client over the pg driver adapter; honours Prisma's `?schema=` URL parameter. */
export function createDb(databaseUrl: string, options: { poolSize?: number } = {}): Db {
  const target = parseDatabaseUrl(databaseUrl);
  const adapter = new PrismaPg(
    { connectionString: target.connectionString, max: options.poolSize ?? 10 },
    { schema: target.schema },
  );
  return new PrismaClient({ adapter });
}
