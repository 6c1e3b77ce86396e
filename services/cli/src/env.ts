import { z } from "zod";
import { errorMessage, parseEnv } from "@mfnas/core";

const schema = z.object({
  /** Base URL of the mfnas API (without /v1). Default: the API of a single-machine install. */
  MFNAS_API_URL: z
    .string()
    .refine((v) => /^https?:\/\/[^\s]+$/.test(v), "must be an http:// or https:// URL")
    .optional(),
  /** API key sent as `Authorization: Bearer`; --api-key overrides it. */
  MFNAS_API_KEY: z.string().min(1).optional(),
});

export type CliEnv = z.infer<typeof schema>;

/** The CLI's variables, parsed once; a bad one stops it with a message naming the variable. */
export function loadEnv(source: Readonly<Record<string, string | undefined>> = process.env): CliEnv {
  try {
    return parseEnv(schema, source);
  } catch (error) {
    process.stderr.write(`mfnas: ${errorMessage(error)}\n`);
    process.exit(78); // EX_CONFIG
  }
}

/**
 * The environment handed to processes the CLI starts (the device-lab agent, the demo): the caller's own, so that
 * DATABASE_URL, REDIS_URL and the rest reach them as they would from a shell.
 */
export function childEnvironment(overrides: Readonly<Record<string, string>> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  return { ...env, ...overrides };
}
