import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { applyMigrations, createDb, type Db } from "@mfnas/store";
import { TEST_DATABASE_URL } from "./env.ts";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const MIGRATIONS_DIR = path.join(ROOT, "prisma/migrations");
export const SCHEMA_FILE = path.join(ROOT, "prisma/schema.prisma");

export interface TestDatabase {
  /** DATABASE_URL pointing at this test's own schema. */
  readonly url: string;
  readonly schema: string;
  readonly db: Db;
  /** Runs SQL in this schema. */
  sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]>;
  drop(): Promise<void>;
}

function schemaUrl(schema: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set("schema", schema);
  return url.toString();
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString("hex")}`;
}

/** A fresh Postgres schema, migrated unless told otherwise. */
export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const schema = uniqueName("t");
  const url = schemaUrl(schema);
  const admin = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
  await admin.query(`CREATE SCHEMA "${schema}"`);
  if (options.migrate !== false) await applyMigrations({ databaseUrl: url, migrationsDir: MIGRATIONS_DIR });
  const db = createDb(url, { poolSize: 4 });
  return {
    url,
    schema,
    db,
    async sql<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
      const client = await admin.connect();
      try {
        await client.query(`SET search_path TO "${schema}"`);
        return (await client.query<R>(text, values)).rows;
      } finally {
        client.release();
      }
    },
    async drop() {
      await db.$disconnect();
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}
