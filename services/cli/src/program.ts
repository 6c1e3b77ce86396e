import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { CliError } from "./client.ts";
import { devicesCommand } from "./commands/devices.ts";
import { keysCommand } from "./commands/keys.ts";
import { latencyCommand } from "./commands/latency.ts";
import { demoCommand, labCommand } from "./commands/processes.ts";
import { scheduleCommand } from "./commands/schedule.ts";
import { searchCommand } from "./commands/search.ts";
import { supernetCommand } from "./commands/supernet.ts";
import { uploadCommand } from "./commands/upload.ts";
import { programContext } from "./context.ts";
import type { CliEnv } from "./env.ts";

/** The CLI's version, from its package.json. */
const CLI_VERSION = (
  JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
).version;

/** The `mfnas` command tree. `exit` ends the process with a child's code (lab start, demo). */
export function buildProgram(env: CliEnv, exit: (code: number) => void): Command {
  const program = new Command("mfnas")
    .description("mfnas: hardware-aware search of super-resolution generators for phones (a client of the REST API)")
    .option("--api-url <url>", "API base URL (env MFNAS_API_URL; default http://127.0.0.1:8080)")
    .option("--api-key <key>", "API key (env MFNAS_API_KEY)")
    .option("--json", "print JSON for scripts instead of tables")
    .version(`mfnas ${CLI_VERSION}`, "-V, --version", "print the CLI's version")
    .showHelpAfterError()
    .exitOverride();
  const ctx = programContext(program, env);
  for (const command of [
    searchCommand(ctx),
    supernetCommand(ctx),
    uploadCommand(ctx),
    scheduleCommand(ctx),
    devicesCommand(ctx),
    latencyCommand(ctx),
    keysCommand(ctx),
    labCommand(exit),
    demoCommand(exit),
  ]) {
    program.addCommand(command);
  }
  // Subcommands share the program's error handling: usage errors throw instead of exiting on their own.
  const override = (command: Command) => {
    command.exitOverride();
    command.commands.forEach(override);
  };
  override(program);
  return program;
}

/** Runs the CLI on argv; resolves with the exit code. Errors become one line on stderr (JSON under --json). */
export async function runCli(argv: readonly string[], env: CliEnv, exit: (code: number) => void): Promise<number> {
  const program = buildProgram(env, exit);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are successes; usage errors were already printed by commander.
      return error.code === "commander.helpDisplayed" || error.code === "commander.version" ? 0 : 2;
    }
    const json = program.opts<{ json?: boolean }>().json === true;
    const message = error instanceof Error ? error.message : String(error);
    const problem = error instanceof CliError ? error.problem : undefined;
    process.stderr.write(
      json ? `${JSON.stringify({ error: message, ...(problem ? { problem } : {}) })}\n` : `mfnas: ${message}\n`,
    );
    return error instanceof CliError ? error.exitCode : 1;
  }
}
