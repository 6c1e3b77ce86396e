import { pino, type Logger } from "pino";
import type { WorkerLog } from "@mfnas/queue";

export function createLogger(level: string): Logger {
  return pino({ name: "scheduler", level });
}

/** Adapts pino to the queue package's small logging port. */
export function workerLog(logger: Logger): WorkerLog {
  return {
    info: (message, fields) => logger.info(fields ?? {}, message),
    warn: (message, fields) => logger.warn(fields ?? {}, message),
    error: (message, fields) => logger.error(fields ?? {}, message),
  };
}
