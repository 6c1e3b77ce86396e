import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { ROOT } from "./database.ts";

export interface ServiceProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves when the process prints a line matching the pattern. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a service's main.ts as its own Node process, the way it runs in production (through tsx). */
export function startService(service: string, env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "services", service, "src/main.ts")], {
    cwd: ROOT,
    // METRICS_PORT / API_METRICS_PORT 0: each process's metrics server takes a free port (tests run services side
    // by side).
    env: {
      PATH: process.env["PATH"] ?? "",
      HOME: process.env["HOME"] ?? "/tmp",
      METRICS_PORT: "0",
      API_METRICS_PORT: "0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString("utf8");
    for (const listener of listeners) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => output,
    exited,
    waitFor(pattern, timeoutMs = 90_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(output)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${String(pattern)} from ${service}; output:\n${output}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (!pattern.test(output)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`${service} exited before printing ${String(pattern)}; output:\n${output}`));
          }
        });
        check();
      });
    },
  };
}

/** The port a service's metrics server took, read from its "metrics listening" log line. */
export async function metricsPort(service: ServiceProcess, timeoutMs = 60_000): Promise<number> {
  const line = /"port":(\d+)[^\n]*"msg":"metrics listening"/;
  await service.waitFor(line, timeoutMs);
  return Number(line.exec(service.output())?.[1]);
}

/** Polls until the check returns a value other than undefined. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 90_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A TCP port free on the loopback interface now (for a process that must be told its port). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Whether a process id still names a running process. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
