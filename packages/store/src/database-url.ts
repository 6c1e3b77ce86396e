import { MfnasError } from "@mfnas/core";

export interface DatabaseTarget {
  /** The connection string without Prisma's `schema` parameter (the pg driver does not know it). */
  readonly connectionString: string;
  /** The Postgres schema that holds mfnas's tables; Prisma's `?schema=` convention, default `public`. */
  readonly schema: string;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Splits a Prisma-style database URL into a pg connection string and the schema name. */
export function parseDatabaseUrl(url: string): DatabaseTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new MfnasError("config_invalid", "DATABASE_URL is not a URL", { variable: "DATABASE_URL" }, { cause });
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new MfnasError(
      "config_invalid",
      `DATABASE_URL must use postgres:// or postgresql://, got ${parsed.protocol}`,
    );
  }
  const schema = parsed.searchParams.get("schema") ?? "public";
  if (!SCHEMA_NAME.test(schema)) {
    throw new MfnasError("config_invalid", `DATABASE_URL schema ${JSON.stringify(schema)} is not a plain identifier`);
  }
  parsed.searchParams.delete("schema");
  return { connectionString: parsed.toString(), schema };
}

/** Quotes a Postgres identifier that was already checked to be plain. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
