import { describe, expect, it } from "vitest";
import { z } from "zod";
import { MfnasError, envVar, parseEnv } from "./index.ts";

const schema = z.object({
  DATABASE_URL: envVar.postgresUrl(),
  REDIS_URL: envVar.redisUrl().default("redis://127.0.0.1:6379"),
  PORT: envVar.port().default(8080),
  CONCURRENCY: envVar.positiveInt().optional(),
});

describe("parseEnv", () => {
  it("applies defaults and converts numbers", () => {
    const env = parseEnv(schema, { DATABASE_URL: "postgresql://u@h/db", PORT: "9000" });
    expect(env).toEqual({ DATABASE_URL: "postgresql://u@h/db", REDIS_URL: "redis://127.0.0.1:6379", PORT: 9000 });
  });

  it("names every bad or missing variable and what it got", () => {
    let error: unknown;
    try {
      parseEnv(schema, { REDIS_URL: "http://x", PORT: "70000", CONCURRENCY: "0" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MfnasError);
    const e = error as MfnasError;
    expect(e.code).toBe("config_invalid");
    expect(e.details?.["variables"]).toEqual(["DATABASE_URL", "REDIS_URL", "PORT", "CONCURRENCY"]);
    expect(e.message).toContain("DATABASE_URL");
    expect(e.message).toContain("(missing)");
    expect(e.message).toContain('REDIS_URL: must be a redis:// or rediss:// URL (got "http://x")');
    expect(e.message).toContain('PORT: must be a port number between 0 and 65535 (got "70000")');
    expect(e.message).toContain('CONCURRENCY: must be a positive integer (got "0")');
  });
  it("never shows a rejected secret: passwords in URLs are masked, secret-named variables show their length", () => {
    const secrets = z.object({ DATABASE_URL: envVar.postgresUrl(), API_KEY: z.string().regex(/^k_/) });
    let message = "";
    try {
      parseEnv(secrets, { DATABASE_URL: "mysql://app:Hunter2pw@db/x", API_KEY: "s3cret-token" });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('DATABASE_URL: must be a postgres:// or postgresql:// URL (got "mysql://app:***@db/x")');
    expect(message).toContain("API_KEY: Invalid string: must match pattern /^k_/ (got 12 characters, hidden)");
    expect(message).not.toMatch(/Hunter2pw|s3cret-token/);
  });
});
