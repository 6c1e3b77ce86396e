import { MfnasError, errorMessage } from "@mfnas/core";
import type { WorkerLog } from "./worker.ts";

/** Something a service cannot work without (PostgreSQL, Redis, the adb server), and how to ask if it answers. */
export interface Dependency {
  /** As an operator calls it: `postgres`, `redis`. */
  readonly name: string;
  /** Where it is expected (host:port, never credentials), for the messages. */
  readonly at: string;
  /** Resolves when the dependency answers; rejects (or never settles) when it does not. */
  check(): Promise<unknown>;
}

/** Each dependency's answer: `ok`, or why not. */
export interface DependencyReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, string>>;
}

/** How long one check may take: a client that queues commands while disconnected (ioredis) never settles. */
const CHECK_TIMEOUT_MS = 5_000;

async function answer(dependency: Dependency, timeoutMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([dependency.check(), timeout]);
    return "ok";
  } catch (error) {
    return `unreachable at ${dependency.at}: ${firstLine(errorMessage(error))}`;
  } finally {
    clearTimeout(timer);
  }
}

function firstLine(text: string): string {
  const line = text.split("\n").find((l) => l.trim() !== "") ?? text;
  return line.trim().slice(0, 300);
}

/** Asks every dependency at once (readiness: what /readyz reports). */
export async function checkDependencies(
  dependencies: readonly Dependency[],
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<DependencyReport> {
  const answers = await Promise.all(dependencies.map((d) => answer(d, timeoutMs)));
  const checks = Object.fromEntries(dependencies.map((d, i) => [d.name, answers[i] ?? "unchecked"]));
  return { ready: answers.every((a) => a === "ok"), checks };
}

/**
 * Waits at start until every dependency answers, asking again every second (a service started beside its
 * database waits for it); after `waitMs` throws a `transient` MfnasError naming each one that does not answer.
 */
export async function waitForDependencies(
  dependencies: readonly Dependency[],
  options: { readonly waitMs: number; readonly log: WorkerLog; readonly retryMs?: number },
): Promise<DependencyReport> {
  const deadline = Date.now() + options.waitMs;
  let warned = false;
  for (;;) {
    const report = await checkDependencies(dependencies);
    if (report.ready) return report;
    const missing = Object.entries(report.checks)
      .filter(([, state]) => state !== "ok")
      .map(([name, state]) => `${name} ${state}`);
    if (Date.now() >= deadline) {
      throw new MfnasError("transient", missing.join("; "), { checks: report.checks });
    }
    if (!warned) options.log.warn("waiting for dependencies", { checks: report.checks });
    warned = true;
    await new Promise((resolve) => setTimeout(resolve, options.retryMs ?? 1_000));
  }
}

/** `host:port` of a connection URL, without user or password. */
export function addressOf(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.port === "" ? parsed.hostname : `${parsed.hostname}:${parsed.port}`;
  } catch {
    return "(unparsable url)";
  }
}

/**
 * Stops a service that cannot start with one line on stderr naming what is wrong (no stack trace) and exit code
 * 69 (EX_UNAVAILABLE): `searcher: cannot start: postgres unreachable at 127.0.0.1:5999: …`.
 */
export function exitCannotStart(service: string, error: unknown): never {
  process.stderr.write(`${service}: cannot start: ${firstLine(errorMessage(error))}\n`);
  process.exit(69);
}

/**
 * Redis (an ioredis connection) as a dependency: answers when connected and PING answers; otherwise the last
 * connection error names why. Listening for the connection's errors also keeps ioredis from printing each retry
 * as an unhandled error event.
 */
export function redisDependency(
  redis: {
    ping(): Promise<unknown>;
    readonly status: string;
    on(event: "error", listener: (error: Error) => void): unknown;
    once(event: "ready", listener: () => void): unknown;
    once(event: "error", listener: (error: Error) => void): unknown;
    off(event: "ready", listener: () => void): unknown;
    off(event: "error", listener: (error: Error) => void): unknown;
  },
  url: string,
): Dependency {
  let lastError: string | undefined;
  redis.on("error", (error) => {
    lastError = error.message;
  });
  // Connecting: the next connection event decides (the caller's time limit applies). One wait at a time, so
  // checks repeated while Redis is down add no listeners.
  let pending: Promise<void> | undefined;
  const connected = () => {
    pending ??= new Promise<void>((resolve, reject) => {
      const onReady = () => {
        redis.off("error", onError);
        resolve();
      };
      const onError = (error: Error) => {
        redis.off("ready", onReady);
        reject(error);
      };
      redis.once("ready", onReady);
      redis.once("error", onError);
    }).finally(() => {
      pending = undefined;
    });
    return pending;
  };
  return {
    name: "redis",
    at: addressOf(url),
    check: async () => {
      if (redis.status === "ready") return redis.ping();
      if (redis.status === "end") throw new Error(lastError ?? "connection closed");
      await connected();
      return redis.ping();
    },
  };
}
