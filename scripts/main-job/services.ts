import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream, type WriteStream } from "node:fs";
import path from "node:path";

export interface RunningService {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code once the process ended. */
  readonly exited: Promise<number | null>;
  /** Resolves when the service printed a line matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Every service process started here and not yet exited, so that a signal can stop them all. */
const running = new Set<RunningService>();

/** How long a service may take to stop after SIGTERM before it is killed. */
const STOP_GRACE_MS = 20_000;

/**
 * Starts one mfnas service as its own process (exactly what a deployment runs), its output going to a log file
 * so the terminal shows progress only. A service that exits early fails `waitFor` with the end of its log.
 */
export function startService(
  root: string,
  name: string,
  entry: string,
  env: Record<string, string>,
  logDir: string,
): RunningService {
  const log: WriteStream = createWriteStream(path.join(logDir, `${name}.log`), { flags: "a" });
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, entry)], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    log.write(chunk);
    text = (text + chunk.toString("utf8")).slice(-20_000);
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  void exited.then(() => {
    log.end();
    for (const listener of listeners) listener();
  });
  const service: RunningService = {
    name,
    child,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`${name} did not print ${String(pattern)} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        const check = () => {
          if (pattern.test(text)) finish();
          else if (child.exitCode !== null)
            finish(new Error(`${name} exited (${child.exitCode}):\n${text.slice(-2_000)}`));
        };
        function finish(error?: Error) {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve();
        }
        listeners.add(check);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      const kill = setTimeout(() => child.kill("SIGKILL"), STOP_GRACE_MS);
      await exited;
      clearTimeout(kill);
    },
  };
  running.add(service);
  void exited.then(() => running.delete(service));
  return service;
}

/** Stops every service process still running. */
export async function stopAllServices(): Promise<void> {
  await Promise.all([...running].map((s) => s.stop()));
}

/**
 * On SIGTERM or SIGINT: says so, stops every service process started here and whatever else `stopOthers`
 * stops (emulated phones), then exits with 128 + the signal's number, as a process killed by it would.
 */
export function stopEverythingOnSignal(stopOthers: () => Promise<void>, who = "main job"): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const names = [...running].map((s) => s.name);
    process.stderr.write(
      `${who}: ${signal}: stopping the processes it started (${names.join(", ") || "no services"}, emulated phones)\n`,
    );
    void Promise.allSettled([stopAllServices(), stopOthers()]).then(() => {
      process.exit(128 + (signal === "SIGINT" ? 2 : 15));
    });
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
}
