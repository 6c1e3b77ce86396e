// Generates the Prisma client into packages/store/src/generated.
// `prisma generate` needs no database and no schema engine, but the CLI checks that an engine binary
// exists before it starts; where none could be downloaded we point it at a harmless placeholder.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) {
  const engines = path.join(root, "node_modules/@prisma/engines");
  const downloaded = existsSync(engines)
    ? (await import("node:fs")).readdirSync(engines).find((f) => f.startsWith("schema-engine"))
    : undefined;
  env.PRISMA_SCHEMA_ENGINE_BINARY = downloaded ? path.join(engines, downloaded) : process.execPath;
}
const cli = path.join(root, "node_modules/prisma/build/index.js");
if (!existsSync(cli)) {
  console.log("prisma CLI not installed yet; skipping client generation");
  process.exit(0);
}
const result = spawnSync(process.execPath, [cli, "generate"], { cwd: root, env, stdio: "inherit" });
process.exit(result.status ?? 1);
