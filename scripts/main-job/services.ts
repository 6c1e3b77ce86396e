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
  return {
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
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}
