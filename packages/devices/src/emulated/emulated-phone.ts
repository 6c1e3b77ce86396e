import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { AdbDeviceServer, type DeviceStream } from "../adb/device-transport.ts";
import { MiniShell, type Command, type CommandContext, type ShellHost, type Sink } from "./mini-shell.ts";
import { PhoneFs } from "./phone-fs.ts";
import { phoneProfile, refreshHostClocks, writeProfileFiles, type EmulatedProfileName } from "./profiles.ts";
import { serveSync } from "./sync-service.ts";

/** First line of the emulated phone's runner file: executing such a file runs the LiteRT.js benchmark tool. */
const EMULATED_RUNNER_MARKER = "#!mfnas-emulated-benchmark_model";
/** Where the emulated phone keeps its benchmark_model-compatible runner. */
export const EMULATED_RUNNER_PATH = "/data/local/tmp/benchmark_model";
/** The device class of the host CPU measured through an emulated phone. */
export const HOST_CPU_DEVICE_CLASS = "host-cpu";

const TOOL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../tools/benchmark-model-litert.mjs");

export interface EmulatedPhoneOptions {
  /** ro.serialno; the adb serial is the connection's host:port. */
  readonly serial: string;
  /** Host directory standing for the phone's `/`; created and seeded. */
  readonly root: string;
  /** TCP port to listen on (0 = any free port). */
  readonly port?: number;
  /** Receives one line per runner start/finish, for logs and tests. */
  readonly onEvent?: (event: string) => void;
  /** getprop values set over (or added to) the emulated ones, e.g. to test how hosts cope with odd phones. */
  readonly properties?: Readonly<Record<string, string>>;
  /** What the phone reports about itself (`profiles.ts`). Default "host". */
  readonly profile?: EmulatedProfileName;
  /** Battery charge in percent at start. Default: the profile's. */
  readonly batteryLevel?: number;
  /** Raw value per thermal zone type at start, e.g. {"cpu-1-7-usr": 61500} (millidegrees). */
  readonly thermalZones?: Readonly<Record<string, number>>;
}

function liteRtVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require("@litertjs/core/package.json") as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/**
 * An emulated Android phone over ADB. It says what it is (ro.mfnas.emulated=1; with the default profile model
 * "mfnas emulated phone (host CPU)", SoC "host-cpu"; with the `sm8250` profile a real Snapdragon 865 phone's
 * properties, thermal zones and CPU clusters, its manufacturer naming it emulated), and its benchmark_model runs the pushed .tflite on the host's CPU with LiteRT.js (TFLite's kernels
 * built to WebAssembly), printing benchmark_model's output format with real timings. Thermal and battery files
 * are emulated (plain files that tests may rewrite through `adb shell`).
 */
export class EmulatedPhone {
  readonly fs: PhoneFs;
  readonly properties: ReadonlyMap<string, string>;
  private readonly server: AdbDeviceServer;
  private readonly running = new Set<AbortController>();
  private runner: Promise<ChildProcess> | undefined;
  private benchmarkQueue: Promise<void> = Promise.resolve();
  private runs = 0;
  private port = 0;
  private readonly profileFiles: Readonly<Record<string, string>>;

  constructor(private readonly options: EmulatedPhoneOptions) {
    this.fs = new PhoneFs(options.root);
    const profile = phoneProfile(options.profile ?? "host", {
      serial: options.serial,
      ...(options.batteryLevel !== undefined ? { batteryLevel: options.batteryLevel } : {}),
      ...(options.thermalZones !== undefined ? { thermalZones: options.thermalZones } : {}),
    });
    this.profileFiles = profile.files;
    this.properties = new Map([
      ...profile.properties,
      ["ro.mfnas.runtime", `litert.js ${liteRtVersion()} (wasm)`],
      ...Object.entries(options.properties ?? {}),
    ]);
    const get = (key: string) => this.properties.get(key) ?? "";
    this.server = new AdbDeviceServer(
      {
        product: get("ro.product.name"),
        model: get("ro.product.model")
          .replace(/[^A-Za-z0-9_]+/g, "_")
          .replace(/^_+|_+$/g, ""),
        device: get("ro.product.device"),
        features: "",
      },
      (service, stream) => this.open(service, stream),
    );
  }

  /** Seeds the filesystem and starts listening; returns the TCP port for `adb connect`. */
  async start(): Promise<number> {
    await this.seed();
    this.port = await this.server.listen(this.options.port ?? 0);
    return this.port;
  }

  /** Drops the adb connection and kills running benchmarks: to the host it looks like an unplugged phone. */
  async stop(): Promise<void> {
    for (const run of this.running) run.abort();
    const runner = this.runner;
    this.runner = undefined;
    if (runner) (await runner.catch(() => undefined))?.kill("SIGKILL");
    await this.server.close();
  }

  private async seed(): Promise<void> {
    await writeProfileFiles(this.fs, this.profileFiles);
    await mkdir(this.fs.hostPath("/data/local/tmp"), { recursive: true });
    await writeFile(
      this.fs.hostPath(EMULATED_RUNNER_PATH),
      `${EMULATED_RUNNER_MARKER}\nLiteRT.js ${liteRtVersion()} on the host CPU\n`,
      { mode: 0o755 },
    );
  }

  private open(service: string, stream: DeviceStream): boolean {
    if (service === "sync:") {
      serveSync(stream, this.fs);
      return true;
    }
    if (service.startsWith("shell:") || service.startsWith("exec:")) {
      const command = service.slice(service.indexOf(":") + 1);
      if (command.trim() === "") return false; // no interactive shell
      const abort = new AbortController();
      this.running.add(abort);
      stream.onClose(() => abort.abort());
      const out: Sink = { write: (data) => (stream.closed ? undefined : stream.write(data)) };
      void new MiniShell(this.shellHost(), abort.signal)
        .run(command, out)
        .catch((error: unknown) => out.write(`/system/bin/sh: ${String(error)}\n`))
        .finally(() => {
          this.running.delete(abort);
          stream.close();
        });
      return true;
    }
    return false;
  }

  private shellHost(): ShellHost {
    const fs = this.fs;
    return {
      resolve: async (name, cwd) => {
        if (!name.includes("/")) return this.builtins()[name];
        const file = fs.hostPath(name, cwd);
        const head = await readFile(file).catch(() => undefined);
        if (!head) return undefined;
        if (head.subarray(0, EMULATED_RUNNER_MARKER.length).toString("utf8") === EMULATED_RUNNER_MARKER) {
          return (ctx) => this.runBenchmark(ctx);
        }
        return async (ctx) => {
          await ctx.stderr.write(`/system/bin/sh: ${name}: can't execute: Exec format error\n`);
          return 126;
        };
      },
      writeFile: async (phonePath, cwd, data, append) => {
        const target = fs.hostPath(phonePath, cwd);
        if (append) await appendFile(target, data);
        else await writeFile(target, data);
      },
      readFile: (phonePath, cwd) => readFile(fs.hostPath(phonePath, cwd)),
    };
  }

  private builtins(): Record<string, Command> {
    const fs = this.fs;
    const fail = async (ctx: CommandContext, message: string, status = 1) => {
      await ctx.stderr.write(`${message}\n`);
      return status;
    };
    const operands = (args: readonly string[]) => args.filter((a) => !a.startsWith("-"));
    const flags = (args: readonly string[]) => args.filter((a) => a.startsWith("-")).join("");
    return {
      true: () => Promise.resolve(0),
      false: () => Promise.resolve(1),
      echo: async (ctx) => {
        const noNewline = ctx.args[0] === "-n";
        await ctx.stdout.write(`${(noNewline ? ctx.args.slice(1) : ctx.args).join(" ")}${noNewline ? "" : "\n"}`);
        return 0;
      },
      id: async (ctx) => {
        await ctx.stdout.write("uid=2000(shell) gid=2000(shell) groups=2000(shell) context=u:r:shell:s0\n");
        return 0;
      },
      getprop: async (ctx) => {
        const key = ctx.args[0];
        if (key !== undefined) await ctx.stdout.write(`${this.properties.get(key) ?? ""}\n`);
        else for (const [k, v] of this.properties) await ctx.stdout.write(`[${k}]: [${v}]\n`);
        return 0;
      },
      cat: async (ctx) => {
        if (ctx.args.length === 0) await ctx.stdout.write(ctx.stdin);
        let status = 0;
        for (const file of ctx.args) {
          try {
            await ctx.stdout.write(await readFile(fs.hostPath(file, ctx.cwd)));
          } catch {
            status = await fail(ctx, `cat: ${file}: No such file or directory`);
          }
        }
        return status;
      },
      grep: async (ctx) => {
        // Enough of toybox grep for `grep -H . FILES` (each non-empty line prefixed with its file) and for
        // `... | grep TEXT` (fixed text on standard input, as in a pipe).
        const [pattern, ...files] = operands(ctx.args);
        if (pattern === undefined) return fail(ctx, "grep: no pattern", 2);
        const withName = flags(ctx.args).includes("H") || files.length > 1;
        let matched = false;
        for (const file of files.length > 0 ? files : ["-"]) {
          const text =
            file === "-"
              ? ctx.stdin.toString("utf8")
              : await readFile(fs.hostPath(file, ctx.cwd), "utf8").catch(() => undefined);
          if (text === undefined) {
            await fail(ctx, `grep: ${file}: No such file or directory`);
            continue;
          }
          for (const line of text.split("\n")) {
            if (line === "" || (pattern !== "." && !line.includes(pattern))) continue;
            matched = true;
            await ctx.stdout.write(withName ? `${file}:${line}\n` : `${line}\n`);
          }
        }
        return matched ? 0 : 1;
      },
      ls: async (ctx) => {
        let status = 0;
        for (const dir of operands(ctx.args).length > 0 ? operands(ctx.args) : [ctx.cwd]) {
          const target = fs.hostPath(dir, ctx.cwd);
          const s = await stat(target).catch(() => undefined);
          if (!s) status = await fail(ctx, `ls: ${dir}: No such file or directory`);
          else if (!s.isDirectory()) await ctx.stdout.write(`${dir}\n`);
          else for (const name of (await readdir(target)).sort()) await ctx.stdout.write(`${name}\n`);
        }
        return status;
      },
      mkdir: async (ctx) => {
        const parents = flags(ctx.args).includes("p");
        let status = 0;
        for (const dir of operands(ctx.args)) {
          try {
            await mkdir(fs.hostPath(dir, ctx.cwd), { recursive: parents });
          } catch {
            status = await fail(ctx, `mkdir: '${dir}': File exists or parent missing`);
          }
        }
        return status;
      },
      rm: async (ctx) => {
        const f = flags(ctx.args);
        let status = 0;
        for (const file of operands(ctx.args)) {
          const target = fs.hostPath(file, ctx.cwd);
          if (target === fs.root) return fail(ctx, "rm: refusing to remove '/'");
          const exists = await stat(target).catch(() => undefined);
          if (!exists && !f.includes("f")) status = await fail(ctx, `rm: ${file}: No such file or directory`);
          else await rm(target, { recursive: f.includes("r"), force: true });
        }
        return status;
      },
      mv: async (ctx) => {
        const [from, to] = operands(ctx.args);
        if (from === undefined || to === undefined) return fail(ctx, "mv: needs 2 arguments");
        try {
          await rename(fs.hostPath(from, ctx.cwd), fs.hostPath(to, ctx.cwd));
          return 0;
        } catch {
          return fail(ctx, `mv: bad '${from}': No such file or directory`);
        }
      },
      touch: async (ctx) => {
        for (const file of operands(ctx.args)) await appendFile(fs.hostPath(file, ctx.cwd), "");
        return 0;
      },
      chmod: async (ctx) => {
        const [, ...files] = operands(ctx.args);
        for (const file of files) {
          if (!(await stat(fs.hostPath(file, ctx.cwd)).catch(() => undefined))) {
            return fail(ctx, `chmod: ${file}: No such file or directory`);
          }
        }
        return 0;
      },
      sha256sum: async (ctx) => {
        let status = 0;
        for (const file of operands(ctx.args)) {
          try {
            const digest = createHash("sha256")
              .update(await readFile(fs.hostPath(file, ctx.cwd)))
              .digest("hex");
            await ctx.stdout.write(`${digest}  ${file}\n`);
          } catch {
            status = await fail(ctx, `sha256sum: ${file}: No such file or directory`);
          }
        }
        return status;
      },
      sleep: async (ctx) => {
        const seconds = Number(ctx.args[0] ?? "0");
        await new Promise((resolve) => setTimeout(resolve, Math.min(60, Math.max(0, seconds)) * 1000));
        return 0;
      },
      dumpsys: (ctx) => this.dumpsys(ctx),
      taskset: async (ctx) => {
        // taskset MASK COMMAND...: the host is not pinned (a phone's big-core mask means nothing here); the
        // mask is checked and the command runs.
        const [mask, name, ...rest] = ctx.args;
        if (mask === undefined || !/^(0x)?[0-9a-fA-F]+$/.test(mask) || name === undefined) {
          return fail(ctx, "taskset: usage: taskset MASK COMMAND...");
        }
        const command = await this.shellHost().resolve(name, ctx.cwd);
        if (!command) return fail(ctx, `taskset: ${name}: not found`, 127);
        return command({ ...ctx, args: rest });
      },
    };
  }

  private async dumpsys(ctx: CommandContext): Promise<number> {
    const read = async (file: string) => (await readFile(this.fs.hostPath(file), "utf8").catch(() => "")).trim();
    const service = ctx.args[0] ?? "";
    switch (service) {
      case "battery": {
        const status = await read("/sys/class/power_supply/battery/status");
        const code = { Charging: 2, Discharging: 3, "Not charging": 4, Full: 5 }[status] ?? 1;
        await ctx.stdout.write(
          [
            "Current Battery Service state:",
            `  AC powered: false`,
            `  USB powered: ${code === 2 || code === 5}`,
            `  Wireless powered: false`,
            `  status: ${code}`,
            `  health: 2`,
            `  present: true`,
            `  level: ${await read("/sys/class/power_supply/battery/capacity")}`,
            `  scale: 100`,
            `  voltage: 4200`,
            `  temperature: ${await read("/sys/class/power_supply/battery/temp")}`,
            `  technology: emulated`,
            "",
          ].join("\n"),
        );
        return 0;
      }
      case "power":
        await ctx.stdout.write("POWER MANAGER (dumpsys power)\n  mWakefulness=Asleep\n  Display Power: state=OFF\n");
        return 0;
      default:
        await ctx.stderr.write(`Can't find service: ${service}\n`);
        return 1;
    }
  }

  /**
   * Runs benchmark_model on the phone's resident runner (LiteRT.js loaded once, as a native benchmark_model starts
   * in milliseconds). One run at a time, like one phone's CPU; a run whose shell closes kills the runner, which
   * the next run starts again.
   */
  private runBenchmark(ctx: CommandContext): Promise<number> {
    const graph = ctx.args.find((a) => a.startsWith("--graph="))?.slice("--graph=".length);
    const args = [...ctx.args];
    if (graph !== undefined) args.unshift(`--mfnas_graph_file=${this.fs.hostPath(graph, ctx.cwd)}`);
    const turn = this.benchmarkQueue.then(() => this.runOnRunner(ctx, args, graph));
    this.benchmarkQueue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async runOnRunner(ctx: CommandContext, args: string[], graph: string | undefined): Promise<number> {
    if (ctx.signal.aborted) return 137;
    const runner = await this.residentRunner();
    const id = ++this.runs;
    const abort = new AbortController();
    this.running.add(abort);
    this.options.onEvent?.(`benchmark started ${graph ?? ""}`);
    return new Promise<number>((resolve) => {
      let writes = Promise.resolve();
      const finish = (code: number) => {
        runner.off("message", onMessage);
        runner.off("exit", onExit);
        ctx.signal.removeEventListener("abort", kill);
        abort.signal.removeEventListener("abort", kill);
        this.running.delete(abort);
        this.options.onEvent?.(`benchmark finished ${code === 137 ? "killed" : code}`);
        // The host profile's current frequency follows the host's clock, as read right after the run.
        const clocks = (this.options.profile ?? "host") === "host" ? refreshHostClocks(this.fs) : Promise.resolve();
        void Promise.all([writes, clocks.catch(() => undefined)]).then(() => resolve(code));
      };
      const onMessage = (message: { id?: number; chunk?: string; code?: number }) => {
        if (message.id !== id) return;
        if (message.chunk !== undefined) {
          const chunk = message.chunk;
          writes = writes.then(() => ctx.stdout.write(Buffer.from(chunk, "utf8")));
        }
        if (message.code !== undefined) finish(message.code);
      };
      const onExit = () => finish(137);
      const kill = () => runner.kill("SIGKILL");
      runner.on("message", onMessage);
      runner.once("exit", onExit);
      ctx.signal.addEventListener("abort", kill, { once: true });
      abort.signal.addEventListener("abort", kill, { once: true });
      runner.send({ id, args });
    });
  }

  /** The runner process, started (and LiteRT.js loaded) on first use or after a killed run. */
  private residentRunner(): Promise<ChildProcess> {
    const alive = this.runner;
    if (alive) return alive;
    const started = new Promise<ChildProcess>((resolve, reject) => {
      const child = spawn(process.execPath, [TOOL, "--mfnas_serve"], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      const onReady = (message: { ready?: boolean }) => {
        if (!message.ready) return;
        child.off("message", onReady);
        resolve(child);
      };
      child.on("message", onReady);
      child.once("exit", (code) => {
        if (this.runner === started) this.runner = undefined;
        reject(new Error(`benchmark runner exited (${String(code)}) before it was ready`));
      });
      child.on("error", () => undefined);
    });
    this.runner = started;
    return started;
  }
}
