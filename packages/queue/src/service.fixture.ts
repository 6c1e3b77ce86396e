// A worker service with nothing but runWorkerService around it, for service.test.ts: prints each step as a JSON
// line on stdout so that the test can check their order. Arguments: the Redis URL, then `fail` to make its start
// function throw.
import { runWorkerService } from "./service.ts";
import type { WorkerLog } from "./worker.ts";

const [redisUrl = "redis://127.0.0.1:6379", mode] = process.argv.slice(2);
const line = (msg: string, fields?: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify({ ...fields, msg })}\n`);
};
const log: WorkerLog = { info: line, warn: line, error: line };

await runWorkerService({
  service: "probe",
  env: {
    REDIS_URL: redisUrl,
    STARTUP_WAIT_MS: 5_000,
    METRICS_PORT: 0,
    METRICS_HOST: "127.0.0.1",
  },
  log,
  dependencies: [{ name: "store", at: "memory", check: () => Promise.resolve() }],
  close: () => Promise.resolve(line("store closed")),
  inFlight: "probe work goes back",
  start: ({ startup }) => {
    if (mode === "fail") throw new Error("no GPU backend loaded: none here\nsecond line");
    line("started", { startup: startup.checks });
    return {
      run: () => Promise.resolve(line("running")),
      readyFields: () => ({ extra: 1 }),
      stop: () => Promise.resolve(line("stopped")),
    };
  },
});
