import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command } from "commander";
import { CliError } from "../client.ts";
import { childEnvironment } from "../env.ts";

/** The repository root (the CLI runs from its workspace). */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../..");

/**
 * Runs a child with this terminal, forwarding SIGINT and SIGTERM so that it shuts down gracefully, and resolves
 * with its exit code (128 + signal number when a signal ended it).
 */
function runChild(command: string, args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: "inherit" });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.once("error", (error) => reject(new CliError(`cannot start ${command}: ${error.message}`)));
    child.once("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal === "SIGKILL" ? 137 : signal === "SIGINT" ? 130 : 143));
    });
  });
}

/** Flags of `lab start` and the agent variables they set (unset flags leave the caller's environment as it is). */
const LAB_FLAGS = {
  databaseUrl: "DATABASE_URL",
  redisUrl: "REDIS_URL",
  queuePrefix: "QUEUE_PREFIX",
  artifactDir: "ARTIFACT_DIR",
  adbHost: "ADB_HOST",
  adbPort: "ADB_PORT",
  agentHost: "DEVICE_LAB_AGENT_HOST",
  logLevel: "LOG_LEVEL",
} as const;

export function labCommand(exit: (code: number) => void): Command {
  const lab = new Command("lab").description("the device lab");
  lab
    .command("start")
    .description("run a device-lab agent on this host (phones over adb measure candidates); Ctrl-C stops it")
    .option("--database-url <url>", "results store (DATABASE_URL)")
    .option("--redis-url <url>", "queues (REDIS_URL)")
    .option("--queue-prefix <prefix>", "queue key prefix (QUEUE_PREFIX)")
    .option("--artifact-dir <dir>", "artifact directory shared with the exporters (ARTIFACT_DIR)")
    .option("--adb-host <host>", "adb server host (ADB_HOST)")
    .option("--adb-port <port>", "adb server port (ADB_PORT)")
    .option("--agent-host <name>", "name the agent's phones are registered under (DEVICE_LAB_AGENT_HOST)")
    .option("--log-level <level>", "LOG_LEVEL")
    .action(async (options: Partial<Record<keyof typeof LAB_FLAGS, string>>) => {
      const overrides: Record<string, string> = {};
      for (const [flag, variable] of Object.entries(LAB_FLAGS)) {
        const value = options[flag as keyof typeof LAB_FLAGS];
        if (value !== undefined) overrides[variable] = value;
      }
      const main = path.join(ROOT, "services/device-lab/src/main.ts");
      exit(await runChild(process.execPath, ["--import", "tsx", main], childEnvironment(overrides)));
    });
  return lab;
}

export function demoCommand(exit: (code: number) => void): Command {
  return new Command("demo")
    .description("the main job: an end-to-end search on the embedded defaults (bash scripts/main.sh)")
    .action(async () => {
      exit(await runChild("bash", [path.join(ROOT, "scripts/main.sh")], childEnvironment()));
    });
}
