// `npm run migrate`: applies prisma/migrations to DATABASE_URL without Prisma's schema engine, recording them the
// way `prisma migrate deploy` does. Safe to run repeatedly and concurrently (an advisory lock serialises runs).
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { envVar, errorMessage, parseEnv } from "@mfnas/core";
import { applyMigrations } from "@mfnas/store";

// The folder holding prisma/migrations: the checkout's root above scripts/, or the image's /app above dist/scripts/.
const here = path.dirname(fileURLToPath(import.meta.url));
const root =
  [path.resolve(here, ".."), path.resolve(here, "../..")].find((dir) =>
    existsSync(path.join(dir, "prisma/migrations")),
  ) ?? path.resolve(here, "..");

try {
  const env = parseEnv(
    z.object({
      /** Where to migrate; Prisma's `?schema=` parameter picks the Postgres schema (default public). */
      DATABASE_URL: envVar.postgresUrl(),
    }),
    process.env,
  );
  const report = await applyMigrations({
    databaseUrl: env.DATABASE_URL,
    migrationsDir: path.join(root, "prisma/migrations"),
    log: (line) => console.log(line),
  });
  console.log(
    `schema ${report.schema}: ${report.applied.length} applied, ${report.alreadyApplied.length} already applied`,
  );
} catch (error) {
  console.error(`migrate: ${errorMessage(error)}`);
  process.exit(1);
}
