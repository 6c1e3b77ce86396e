import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { MfnasError } from "@mfnas/core";
import { AdbDriver, type AdbDriverOptions } from "./adb-driver.ts";
import { PhoneFs } from "./emulated/phone-fs.ts";
import { setBatteryLevel, setThermalZone, type EmulatedProfileName } from "./emulated/profiles.ts";

const ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "emulated/emulated-phone.main.ts");

export interface RunningEmulatedPhone {
  /** The adb serial: "127.0.0.1:<port>". */
  readonly serial: string;
  readonly port: number;
  /** Host directory standing for the phone's `/`. */
  readonly root: string;
  readonly process: ChildProcess;
  /** Everything the phone process printed. */
  output(): string;
  /** Resolves when the phone printed a line matching the pattern (e.g. /benchmark started/). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** SIGKILL: to adb it looks like a phone yanked off its USB hub. */
  kill(): void;
  /** Disconnects it from the adb server and stops the process. */
  stop(): Promise<void>;
  /** Sets the battery level the phone reports (dumpsys battery, power_supply capacity, Qualcomm's `soc` zone). */
  setBatteryLevel(percent: number): Promise<void>;
  /** Sets a thermal zone's raw value by its type, e.g. ("cpu-1-7-usr", 61500) for 61.5 °C. */
  setThermalZone(type: string, raw: number): Promise<void>;
}

export interface StartEmulatedPhonesOptions {
  /** adb server to connect them to. Default 127.0.0.1:5037, started if down. */
  readonly adb?: AdbDriverOptions;
  /** Prefix of each phone's ro.serialno. Default "emulated". */
  readonly serialPrefix?: string;
  /** Parent of the phones' root directories. Default a fresh temporary directory. */
  readonly rootDir?: string;
  /** How long to wait for each phone to be online in adb. Default 30 000 ms. */
  readonly timeoutMs?: number;
  /** What the phones report about themselves ("host" or "sm8250", see emulated/profiles.ts). Default "host". */
  readonly profile?: EmulatedProfileName;
  /** Battery level of every phone at start, in percent. Default: the profile's. */
  readonly batteryLevel?: number;
}

function startPhone(
  serial: string,
  root: string,
  options: StartEmulatedPhonesOptions,
): Promise<{ port: number; child: ChildProcess; log: { text: string; listeners: Set<() => void> } }> {
  const args = ["--import", "tsx", ENTRY, "--serial", serial, "--root", root];
  if (options.profile !== undefined) args.push("--profile", options.profile);
  if (options.batteryLevel !== undefined) args.push("--battery", String(options.batteryLevel));
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] });
  const log = { text: "", listeners: new Set<() => void>() };
  const onData = (chunk: Buffer) => {
    log.text += chunk.toString("utf8");
    for (const listener of log.listeners) listener();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  return new Promise((resolve, reject) => {
    const check = () => {
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(log.text);
      if (m) {
        log.listeners.delete(check);
        resolve({ port: Number(m[1]), child, log });
      }
    };
    log.listeners.add(check);
    child.once("exit", (code) =>
      reject(new MfnasError("transient", `emulated phone ${serial} exited (${code}) before listening: ${log.text}`)),
    );
  });
}

/**
 * Starts `count` emulated phones, each its own process speaking ADB over TCP, and attaches them to the adb server
 * with `adb connect 127.0.0.1:<port>`; resolves once adb lists every one as `device`. This is how the host CPU
 * becomes a measurement device (device class "host-cpu") when no phone is plugged in.
 */
export async function startEmulatedPhones(
  count: number,
  options: StartEmulatedPhonesOptions = {},
): Promise<RunningEmulatedPhone[]> {
  const driver = new AdbDriver(options.adb);
  await driver.ensureServer();
  const parent = options.rootDir ?? (await mkdtemp(path.join(os.tmpdir(), "mfnas-phones-")));
  const phones: RunningEmulatedPhone[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${options.serialPrefix ?? "emulated"}-${i}-${process.pid}`;
    const root = path.join(parent, name);
    const { port, child, log } = await startPhone(name, root, options);
    const fs = new PhoneFs(root);
    const serial = `127.0.0.1:${port}`;
    await driver.connect("127.0.0.1", port);
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    while (!(await driver.list()).some((d) => d.serial === serial && d.state === "device")) {
      if (Date.now() > deadline) throw new MfnasError("transient", `adb did not list ${serial} as a device in time`);
      await new Promise((r) => setTimeout(r, 100));
    }
    phones.push({
      serial,
      port,
      root,
      process: child,
      output: () => log.text,
      waitFor: (pattern, timeoutMs = 60_000) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            log.listeners.delete(check);
            reject(new Error(`emulated phone ${serial} did not print ${String(pattern)} in ${timeoutMs} ms`));
          }, timeoutMs);
          const check = () => {
            if (!pattern.test(log.text)) return;
            log.listeners.delete(check);
            clearTimeout(timer);
            resolve();
          };
          log.listeners.add(check);
          check();
        }),
      setBatteryLevel: (percent) => setBatteryLevel(fs, percent),
      setThermalZone: (type, raw) => setThermalZone(fs, type, raw),
      kill: () => {
        if (child.exitCode === null) child.kill("SIGKILL");
      },
      stop: async () => {
        await driver.disconnect("127.0.0.1", port);
        if (child.exitCode === null && child.signalCode === null) {
          const exited = new Promise((r) => child.once("exit", r));
          child.kill("SIGTERM");
          await exited;
        }
      },
    });
  }
  return phones;
}
