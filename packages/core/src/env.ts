import { z } from "zod";
import { MfnasError } from "./errors.ts";
import { issuePath } from "./zod-issues.ts";

/**
 * Parses a service's environment against its schema, once, at start.
 * Every problem is reported with the variable's name; nothing else in a service reads `process.env`.
 */
export function parseEnv<T extends z.ZodObject>(
  schema: T,
  source: Readonly<Record<string, string | undefined>>,
): z.infer<T> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = issuePath(issue, "(environment)");
    const received = source[variable];
    const shown = received === undefined ? "missing" : `got ${shownValue(variable, received)}`;
    return { variable, message: `${variable}: ${issue.message} (${shown})` };
  });
  throw new MfnasError("config_invalid", `invalid environment:\n  ${problems.map((p) => p.message).join("\n  ")}`, {
    variables: problems.map((p) => p.variable),
  });
}

const SECRET_NAME = /KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL/i;

/**
 * A rejected value as it may appear in a log: secrets never do. A variable named like a secret shows only its
 * length; any other value shows with the password of a URL's user info (`scheme://user:password@`) masked.
 */
function shownValue(variable: string, value: string): string {
  if (SECRET_NAME.test(variable)) return `${value.length} characters, hidden`;
  return JSON.stringify(value.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/@\s:]*):[^@\s]*@/, "$1:***@"));
}

/** Reusable variable schemas, so every service spells the same variable the same way. */
export const envVar = {
  /** A postgres:// or postgresql:// URL. */
  postgresUrl: () =>
    z.string().refine((v) => /^postgres(ql)?:\/\/[^\s]+$/.test(v), "must be a postgres:// or postgresql:// URL"),
  /** A redis:// or rediss:// URL. */
  redisUrl: () => z.string().refine((v) => /^rediss?:\/\/[^\s]+$/.test(v), "must be a redis:// or rediss:// URL"),
  /** A positive integer given as decimal digits. */
  positiveInt: () =>
    z
      .string()
      .regex(/^[0-9]+$/, "must be a positive integer")
      .transform(Number)
      .refine((n) => n >= 1 && Number.isSafeInteger(n), "must be a positive integer"),
  /** A TCP port. */
  port: () =>
    z
      .string()
      .regex(/^[0-9]+$/, "must be a port number")
      .transform(Number)
      .refine((n) => n >= 0 && n <= 65535, "must be a port number between 0 and 65535"),
  /** A pino log level. */
  logLevel: () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  /** A yes/no switch: 1 or true, 0 or false. */
  flag: () =>
    z
      .enum(["1", "true", "0", "false"], { error: "must be 1, true, 0 or false" })
      .transform((v) => v === "1" || v === "true"),
  /** A queue-key prefix: letters, digits, dashes and underscores. */
  queuePrefix: () => z.string().regex(/^[A-Za-z0-9_-]+$/, "must be letters, digits, '-' or '_'"),
};
