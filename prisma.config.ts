import { defineConfig } from "prisma/config";

// Used by the Prisma CLI (`prisma generate`, `prisma migrate deploy`). Services never read this file:
// each parses DATABASE_URL in its own env.ts.
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  datasource: { url: process.env["DATABASE_URL"] ?? "postgresql://localhost:5432/mfnas" },
});
