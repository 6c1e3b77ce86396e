import { errorMessage } from "@mfnas/core";
import type { WorkerLog } from "./worker.ts";

/**
 * Graceful shutdown of a worker service on SIGTERM or SIGINT: runs `stop` once (close the workers, which hand
 * running jobs back to their queue, then the connections) and exits 0, or 1 if stopping failed.
 * `what` tells the log what happens to work in flight.
 */
export function stopOnSignals(stop: () => Promise<void>, log: WorkerLog, what: string): void {
  let stopping = false;
  const onSignal = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`shutting down: ${what}`, { signal });
    try {
      await stop();
      process.exit(0);
    } catch (error) {
      log.error("unclean shutdown", { error: errorMessage(error) });
      process.exit(1);
    }
  };
  process.on("SIGTERM", (signal) => void onSignal(signal));
  process.on("SIGINT", (signal) => void onSignal(signal));
}
