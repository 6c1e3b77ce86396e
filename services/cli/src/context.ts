import type { Command } from "commander";
import { ApiClient } from "./client.ts";
import type { CliEnv } from "./env.ts";
import { processOutput, type Output } from "./output.ts";

/** Global options every command takes. */
interface GlobalOptions {
  readonly apiUrl?: string;
  readonly apiKey?: string;
  readonly json?: boolean;
}

/** What a command needs, resolved from the global options once they are parsed. */
export interface Context {
  readonly out: Output;
  client(): ApiClient;
}

const DEFAULT_API_URL = "http://127.0.0.1:8080";

/** Flags win over MFNAS_API_URL / MFNAS_API_KEY; the URL defaults to the API of a single-machine install. */
export function programContext(program: Command, env: CliEnv): Context {
  const options = () => program.opts<GlobalOptions>();
  return {
    get out() {
      return processOutput(options().json === true);
    },
    client() {
      const o = options();
      return new ApiClient(o.apiUrl ?? env.MFNAS_API_URL ?? DEFAULT_API_URL, o.apiKey ?? env.MFNAS_API_KEY);
    },
  };
}
