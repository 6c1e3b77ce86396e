import { loadEnv } from "./env.ts";
import { runCli } from "./program.ts";

const code = await runCli(process.argv.slice(2), loadEnv(), (exitCode) => process.exit(exitCode));
process.exitCode = code;
