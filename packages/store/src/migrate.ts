import { createHash, randomUUID } from "node:crypto";
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { MfnasError } from "@mfnas/core";
import { parseDatabaseUrl, quoteIdent } from "./database-url.ts";

/**
 * Applies prisma/migrations without Prisma's schema engine, and records them exactly as `prisma migrate deploy`
 * does, so that either tool sees the other's work as applied:
 * - the `_prisma_migrations` table has Prisma's layout;
 * - a row's checksum is the lowercase hex sha256 of the raw bytes of migration.sql;
 * - a session-level advisory lock with Prisma's key serialises concurrent runs.
 * Each migration runs in one transaction together with its bookkeeping row, so a failure leaves nothing behind.
 */

/** The advisory lock key Prisma's schema engine takes while it migrates. */
const PRISMA_ADVISORY_LOCK_KEY = 72707369;

const MIGRATIONS_TABLE_DDL = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface LocalMigration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export interface MigrationReport {
  readonly applied: string[];
  readonly alreadyApplied: string[];
  readonly schema: string;
}

export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

/** Reads migration folders in Prisma's layout (`<timestamp>_<name>/migration.sql`), sorted by name. */
export async function readMigrations(migrationsDir: string): Promise<LocalMigration[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const migrations: LocalMigration[] = [];
  for (const name of names) {
    const file = path.join(migrationsDir, name, "migration.sql");
    const exists = await stat(file).then(
      (s) => s.isFile(),
      () => false,
    );
    if (!exists) throw new MfnasError("invalid_input", `migration ${name} has no migration.sql`, { migration: name });
    const sql = await readFile(file, "utf8");
    migrations.push({ name, sql, checksum: migrationChecksum(sql) });
  }
  return migrations;
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export async function applyMigrations(options: {
  databaseUrl: string;
  migrationsDir: string;
  log?: (line: string) => void;
}): Promise<MigrationReport> {
  const log = options.log ?? (() => undefined);
  const target = parseDatabaseUrl(options.databaseUrl);
  const local = await readMigrations(options.migrationsDir);
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    await client.query(`SELECT pg_advisory_lock($1)`, [PRISMA_ADVISORY_LOCK_KEY]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(target.schema)}`);
    await client.query(`SET search_path TO ${quoteIdent(target.schema)}`);
    await client.query(MIGRATIONS_TABLE_DDL);
    const { rows } = await client.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
    );
    const done = new Map<string, AppliedRow>();
    for (const row of rows) {
      if (row.rolled_back_at !== null) continue;
      if (row.finished_at === null) {
        throw new MfnasError(
          "conflict",
          `migration ${row.migration_name} started but did not finish in schema ${target.schema}; ` +
            `resolve it (prisma migrate resolve) before applying more`,
          { migration: row.migration_name },
        );
      }
      done.set(row.migration_name, row);
    }
    const applied: string[] = [];
    const alreadyApplied: string[] = [];
    for (const migration of local) {
      const previous = done.get(migration.name);
      if (previous) {
        if (previous.checksum !== migration.checksum) {
          throw new MfnasError(
            "conflict",
            `migration ${migration.name} was modified after it was applied (checksum ${previous.checksum} in the ` +
              `database, ${migration.checksum} on disk)`,
            { migration: migration.name },
          );
        }
        alreadyApplied.push(migration.name);
        continue;
      }
      await applyOne(client, migration);
      applied.push(migration.name);
      log(`applied migration ${migration.name}`);
    }
    const unknown = [...done.keys()].filter((name) => !local.some((m) => m.name === name));
    for (const name of unknown) log(`warning: migration ${name} is applied in the database but missing on disk`);
    return { applied, alreadyApplied, schema: target.schema };
  } finally {
    await client.query(`SELECT pg_advisory_unlock($1)`, [PRISMA_ADVISORY_LOCK_KEY]).catch(() => undefined);
    await client.end();
  }
}

async function applyOne(client: pg.Client, migration: LocalMigration): Promise<void> {
  const id = randomUUID();
  await client.query("BEGIN");
  try {
    await client.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count)
       VALUES ($1, $2, $3, now(), 0)`,
      [id, migration.checksum, migration.name],
    );
    await client.query(migration.sql);
    await client.query(`UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`, [
      id,
    ]);
    await client.query("COMMIT");
  } catch (cause) {
    await client.query("ROLLBACK");
    throw new MfnasError(
      "invalid_input",
      `migration ${migration.name} failed and was rolled back: ${cause instanceof Error ? cause.message : String(cause)}`,
      { migration: migration.name },
      { cause },
    );
  }
}
