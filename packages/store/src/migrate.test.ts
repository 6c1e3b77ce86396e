import { cp, mkdtemp, readFile, writeFile, mkdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { applyMigrations, findSchemaDrift, migrationChecksum, readMigrations } from "@mfnas/store";
import { MIGRATIONS_DIR, SCHEMA_FILE, createTestDatabase, type TestDatabase } from "../../../tests/support/database.ts";

describe("migrations", () => {
  let database: TestDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
    database = undefined;
  });

  it("apply to an empty schema, record Prisma's bookkeeping, and are a no-op the second time", async () => {
    database = await createTestDatabase({ migrate: false });
    const first = await applyMigrations({ databaseUrl: database.url, migrationsDir: MIGRATIONS_DIR });
    const local = await readMigrations(MIGRATIONS_DIR);
    expect(first.applied).toEqual(local.map((m) => m.name));
    expect(first.applied.length).toBeGreaterThan(0);

    const rows = await database.sql<{
      migration_name: string;
      checksum: string;
      finished_at: Date | null;
      applied_steps_count: number;
    }>(
      `SELECT migration_name, checksum, finished_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name`,
    );
    for (const [i, m] of local.entries()) {
      expect(rows[i]?.migration_name).toBe(m.name);
      // Prisma's checksum: lowercase hex sha256 of the raw migration.sql bytes.
      const raw = await readFile(path.join(MIGRATIONS_DIR, m.name, "migration.sql"));
      expect(rows[i]?.checksum).toBe(migrationChecksum(raw.toString("utf8")));
      expect(rows[i]?.finished_at).toBeInstanceOf(Date);
      expect(rows[i]?.applied_steps_count).toBe(1);
    }

    const second = await applyMigrations({ databaseUrl: database.url, migrationsDir: MIGRATIONS_DIR });
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);
    const count = await database.sql<{ n: string }>(`SELECT count(*)::text AS n FROM "_prisma_migrations"`);
    expect(count[0]?.n).toBe(String(local.length));
  });

  it("leave a database that matches schema.prisma (no drift)", async () => {
    database = await createTestDatabase();
    const schema = await readFile(SCHEMA_FILE, "utf8");
    expect(await findSchemaDrift(database.url, schema)).toEqual([]);
  });

  it("drift check notices a missing index, an extra column and a changed default", async () => {
    database = await createTestDatabase();
    await database.sql(`DROP INDEX "Candidate_searchId_genomeHash_key"`);
    await database.sql(`ALTER TABLE "Device" ADD COLUMN "color" TEXT`);
    await database.sql(`ALTER TABLE "Supernet" ALTER COLUMN "step" SET DEFAULT 7`);
    const drift = await findSchemaDrift(database.url, await readFile(SCHEMA_FILE, "utf8"));
    expect(drift).toContain("index Candidate_searchId_genomeHash_key on Candidate(searchId, genomeHash) is missing");
    expect(drift).toContain("column Device.color is not in the schema");
    expect(drift).toContain("column Supernet.step default is 7, schema says 0");
  });

  it("refuse a migration edited after it was applied", async () => {
    database = await createTestDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), "mfnas-migrations-"));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    const [first] = await readMigrations(dir);
    const file = path.join(dir, first?.name ?? "", "migration.sql");
    await writeFile(file, (await readFile(file, "utf8")) + "\n-- edited\n");
    await expect(applyMigrations({ databaseUrl: database.url, migrationsDir: dir })).rejects.toThrow(
      /was modified after it was applied/,
    );
  });

  it("roll back a failing migration whole, recording nothing", async () => {
    database = await createTestDatabase();
    const dir = await mkdtemp(path.join(os.tmpdir(), "mfnas-migrations-"));
    await cp(MIGRATIONS_DIR, dir, { recursive: true });
    await mkdir(path.join(dir, "29990101000000_broken"));
    await writeFile(
      path.join(dir, "29990101000000_broken", "migration.sql"),
      `CREATE TABLE "HalfWritten" ("id" TEXT);\nALTER TABLE "NoSuchTable" ADD COLUMN "x" TEXT;\n`,
    );
    await expect(applyMigrations({ databaseUrl: database.url, migrationsDir: dir })).rejects.toThrow(
      /29990101000000_broken failed and was rolled back/,
    );
    expect(
      await database.sql(`SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'HalfWritten'`, [
        database.schema,
      ]),
    ).toEqual([]);
    expect(
      await database.sql(`SELECT 1 FROM "_prisma_migrations" WHERE migration_name = '29990101000000_broken'`),
    ).toEqual([]);
  });
});
