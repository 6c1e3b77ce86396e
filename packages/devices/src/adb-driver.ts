import { execFile } from "node:child_process";
import { Readable, type Duplex } from "node:stream";
import { promisify } from "node:util";
import type { EventEmitter } from "node:events";
import adbkit from "@devicefarmer/adbkit";
import { MfnasError, errorMessage } from "@mfnas/core";
import type {
  AdbDeviceState,
  AttachedDevice,
  CommandOptions,
  DeviceDriver,
  DeviceEvent,
  ShellResult,
} from "./device-driver.ts";
import { assertDevicePath, assertSerial, shellCommand } from "./shell-quote.ts";

const run = promisify(execFile);
// adbkit is CommonJS compiled from TypeScript: Node's ESM loader puts its exports on the default export, a bundler
// (vitest) may hand over `exports.default` (the Adb class) itself. Its declared types lean on Bluebird's, which
// are not installed, so the calls used here are typed locally.
type AdbFactory = { createClient(options: { host: string; port: number }): AdbClient };
const adbkitModule = adbkit as unknown as Partial<AdbFactory> & { Adb?: AdbFactory };
const Adb: AdbFactory = adbkitModule.Adb ?? (adbkitModule as AdbFactory);

/** The part of adbkit's Client the driver uses (its Bluebird promises are awaited as thenables). */
export interface AdbClient {
  version(): PromiseLike<number>;
  connect(host: string, port: number): PromiseLike<string>;
  disconnect(host: string, port: number): PromiseLike<unknown>;
  listDevices(): PromiseLike<Array<{ id: string; type: string }>>;
  trackDevices(): PromiseLike<EventEmitter & { end(): unknown }>;
  getDevice(serial: string): {
    shell(command: string): PromiseLike<Duplex>;
    syncService(): PromiseLike<{
      push(contents: Readable, path: string, mode: number): PromiseLike<EventEmitter>;
      end(): unknown;
    }>;
  };
}
const RC_MARKER = ":mfnas-rc:";

export interface AdbDriverOptions {
  /** adb server host. Default 127.0.0.1. */
  readonly host?: string;
  /** adb server port. Default 5037. */
  readonly port?: number;
  /** The adb binary used to start the server when it is down. Default "adb" (Debian's, on PATH). */
  readonly adbBinary?: string;
}

function state(type: string): AdbDeviceState {
  return type === "device" || type === "offline" || type === "unauthorized" || type === "emulator" ? type : "unknown";
}

function dropped(serial: string, what: string, cause?: unknown): MfnasError {
  const why = cause === undefined ? "" : `: ${errorMessage(cause)}`;
  return new MfnasError("transient", `device ${serial} dropped during ${what}${why}`, { serial }, { cause });
}

/** Reads a stream to its end, closing it on abort or timeout. */
function readAll(stream: Duplex, serial: string, what: string, options: CommandOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      if (error) {
        stream.destroy();
        reject(error);
      } else resolve(Buffer.concat(chunks));
    };
    const onAbort = () => {
      const reason: unknown = options.signal?.reason;
      finish(reason instanceof Error ? reason : new MfnasError("cancelled", `${what} on ${serial} was cancelled`));
    };
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(
            () =>
              finish(new MfnasError("timeout", `${what} on ${serial} exceeded ${options.timeoutMs} ms`, { serial })),
            options.timeoutMs,
          )
        : undefined;
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () => finish());
    stream.on("close", () => finish());
    stream.on("error", (error) => finish(dropped(serial, what, error)));
  });
}

/**
 * `DeviceDriver` over the host's adb server with adbkit. Shell commands are built by `shellCommand` and end with
 * `; echo :mfnas-rc:$?`, so the exit status comes back over adb's v1 shell and a command whose output stops
 * before that marker is known to have been cut off (phone unplugged, adb dropped): a `transient` error.
 */
export class AdbDriver implements DeviceDriver {
  readonly client: AdbClient;
  private readonly adbBinary: string;
  private readonly port: number;

  constructor(options: AdbDriverOptions = {}) {
    this.port = options.port ?? 5037;
    this.client = Adb.createClient({ host: options.host ?? "127.0.0.1", port: this.port });
    this.adbBinary = options.adbBinary ?? "adb";
  }

  /** Makes sure the adb server answers, starting it (`adb -P <port> start-server`) when down; returns its version. */
  async ensureServer(): Promise<number> {
    try {
      return await this.client.version();
    } catch {
      await run(this.adbBinary, ["-P", String(this.port), "start-server"], { timeout: 30_000 });
      return await this.client.version();
    }
  }

  /** `adb connect host:port` through the server (network phones and emulated phones). */
  async connect(host: string, port: number): Promise<string> {
    assertSerial(`${host}:${port}`);
    return this.client.connect(host, port);
  }

  async disconnect(host: string, port: number): Promise<void> {
    assertSerial(`${host}:${port}`);
    await Promise.resolve(this.client.disconnect(host, port)).catch(() => undefined);
  }

  async list(): Promise<AttachedDevice[]> {
    const devices = await this.client.listDevices();
    return devices.map((d) => ({ serial: d.id, state: state(d.type) }));
  }

  async track(listener: (event: DeviceEvent) => void, onError?: (error: Error) => void): Promise<{ stop(): void }> {
    const tracker = await this.client.trackDevices();
    tracker.on("add", (d: { id: string; type: string }) =>
      listener({ type: "added", serial: d.id, state: state(d.type) }),
    );
    tracker.on("change", (d: { id: string; type: string }) => {
      listener({ type: "changed", serial: d.id, state: state(d.type) });
    });
    tracker.on("remove", (d: { id: string }) => listener({ type: "removed", serial: d.id }));
    tracker.on("error", (error: Error) => onError?.(error));
    return { stop: () => void tracker.end() };
  }

  async shell(serial: string, argv: readonly string[], options: CommandOptions = {}): Promise<ShellResult> {
    assertSerial(serial);
    const command = `${shellCommand(argv)}; echo ${RC_MARKER}$?`;
    let stream: Duplex;
    try {
      stream = await this.client.getDevice(serial).shell(command);
    } catch (error) {
      throw dropped(serial, `shell ${argv[0] ?? ""}`, error);
    }
    const text = (await readAll(stream, serial, `shell ${argv[0] ?? ""}`, options)).toString("utf8");
    const at = text.lastIndexOf(RC_MARKER);
    const code = at >= 0 ? /^(\d+)/.exec(text.slice(at + RC_MARKER.length)) : null;
    if (!code) throw dropped(serial, `shell ${argv[0] ?? ""}`, new Error("output ended before the exit status"));
    return { output: text.slice(0, at).replace(/\r\n/g, "\n"), exitCode: Number(code[1]) };
  }

  async push(serial: string, bytes: Uint8Array, remotePath: string, options: CommandOptions = {}): Promise<void> {
    assertSerial(serial);
    assertDevicePath(remotePath, "remote path");
    try {
      const sync = await this.client.getDevice(serial).syncService();
      try {
        const transfer = await sync.push(Readable.from([Buffer.from(bytes)]), remotePath, 0o644);
        await new Promise<void>((resolve, reject) => {
          const timer =
            options.timeoutMs !== undefined
              ? setTimeout(() => reject(new Error(`push exceeded ${options.timeoutMs} ms`)), options.timeoutMs)
              : undefined;
          const onAbort = () => reject(new Error("push cancelled"));
          options.signal?.addEventListener("abort", onAbort, { once: true });
          const done = (error?: Error) => {
            clearTimeout(timer);
            options.signal?.removeEventListener("abort", onAbort);
            if (error) reject(error);
            else resolve();
          };
          transfer.on("end", () => done());
          transfer.on("error", (error: Error) => done(error));
        });
      } finally {
        sync.end();
      }
    } catch (error) {
      if (error instanceof MfnasError) throw error;
      throw dropped(serial, `push to ${remotePath}`, error);
    }
  }
}
