// Starts every worker of a single-machine deployment, each as its own process, on the PostgreSQL and Redis that
// already run (scripts/services-up.sh starts them): the API (with the dashboard), the trainer, the evaluator, the
// searcher, the scheduler and a device-lab agent with an emulated phone (the host CPU, device class host-cpu).
// Migrations are applied first. Logs go to <OUTPUT_DIR>/logs/<service>.log; one line says when all are ready.
// Ctrl-C or SIGTERM stops every process it started (services, then the emulated phone) and exits.
//   npm run services
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { envVar, errorMessage, parseEnv } from "@mfnas/core";
import { startEmulatedPhones, type RunningEmulatedPhone } from "@mfnas/devices";
import { applyMigrations } from "@mfnas/store";
import { singleMachineEnv } from "./main-job/env.ts";
import { startService, stopAllServices, stopEverythingOnSignal, type RunningService } from "./main-job/services.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const env = parseEnv(
  z.object({
    ...singleMachineEnv(root),
    /** The API's port (the dashboard is served at its root). */
    API_PORT: envVar.port().default(8080),
    /** How long each service may take to say it is ready, in ms. */
    SERVICES_READY_TIMEOUT_MS: envVar.positiveInt().default(180_000),
  }),
  process.env,
);

/** Each service and its entry point, in the order they start. */
const SERVICES = [
  ["api", "services/api/src/main.ts"],
  ["trainer", "services/trainer/src/main.ts"],
  ["evaluator", "services/evaluator/src/main.ts"],
  ["searcher", "services/searcher/src/main.ts"],
  ["scheduler", "services/scheduler/src/main.ts"],
  ["device-lab", "services/device-lab/src/main.ts"],
] as const;

let phones: RunningEmulatedPhone[] = [];

async function main(): Promise<void> {
  const migrations = await applyMigrations({
    databaseUrl: env.DATABASE_URL,
    migrationsDir: path.join(root, "prisma/migrations"),
  });
  console.log(`services: ${migrations.applied.length} migration(s) applied to ${new URL(env.DATABASE_URL).pathname}`);
  const logDir = path.join(env.OUTPUT_DIR, "logs");
  await mkdir(logDir, { recursive: true });
  stopEverythingOnSignal(async () => {
    await Promise.all(phones.map((p) => p.stop()));
  }, "services");

  phones = await startEmulatedPhones(1, { serialPrefix: "services" });
  console.log(`services: emulated phone ${phones.map((p) => p.serial).join(", ")} (the host CPU) attached to adb`);
  const serviceEnv = {
    DATABASE_URL: env.DATABASE_URL,
    REDIS_URL: env.REDIS_URL,
    QUEUE_PREFIX: env.QUEUE_PREFIX,
    ARTIFACT_DIR: env.ARTIFACT_DIR,
    API_PORT: String(env.API_PORT),
    LOG_LEVEL: process.env["LOG_LEVEL"] ?? "info",
  };
  const services: RunningService[] = SERVICES.map(([name, entry]) =>
    startService(root, name, entry, serviceEnv, logDir),
  );
  await Promise.all(services.map((s) => s.waitFor(/ ready/, env.SERVICES_READY_TIMEOUT_MS)));
  const pids = [
    ...services.map((s) => `${s.name} (pid ${String(s.child.pid)})`),
    ...phones.map((p) => `emulated phone ${p.serial} (pid ${String(p.process.pid)})`),
  ];
  console.log(
    `services: ready: ${pids.join(", ")}; ` +
      `API and dashboard at http://127.0.0.1:${env.API_PORT}/ (docs /docs), logs in ${logDir}; Ctrl-C stops them all`,
  );
  // A service that ends on its own is a failure of the deployment: stop the others and say which.
  const first = await Promise.race(services.map((s) => s.exited.then((code) => ({ name: s.name, code }))));
  console.error(`services: ${first.name} exited (${String(first.code)}); stopping the others (see its log)`);
  await stopAllServices();
  await Promise.all(phones.map((p) => p.stop()));
  process.exit(1);
}

main().catch(async (error: unknown) => {
  console.error(`services: ${errorMessage(error)}`);
  await stopAllServices();
  await Promise.all(phones.map((p) => p.stop()));
  process.exit(1);
});
