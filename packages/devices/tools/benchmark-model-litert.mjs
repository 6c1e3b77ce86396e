// A benchmark_model-compatible runner for the emulated phone: runs a .tflite on the host CPU with LiteRT.js
// (@litertjs/core: TensorFlow Lite's kernels built to WebAssembly) and prints TFLite benchmark_model's output
// format with real timings. It takes the tool's flags (--graph, --num_threads, --warmup_runs, --warmup_min_secs,
// --num_runs, --min_secs, --max_secs, --use_xnnpack, --use_gpu, --use_nnapi, --use_hexagon,
// --report_peak_memory_footprint, --memory_footprint_check_interval_ms) and, like the tool, warns about others
// ("Unconsumed cmdline flags: ..") and runs on. Like the tool, it prints the peak memory line only when
// --report_peak_memory_footprint=true, and a single run's stats as `count=1 curr=..` (TensorFlow's Stat printer).
// Run by the emulated phone's shell, without a shell in between.
//
// Usage: node benchmark-model-litert.mjs [--mfnas_graph_file=HOST_PATH] --graph=PATH [flags...]
// (--mfnas_graph_file is where the phone's file lies on the host; --graph is echoed as the phone's path.)
// With --mfnas_serve it stays up as the phone's resident runner: LiteRT.js is loaded once, and each run arrives over
// IPC ({id, args}) and answers with its output ({id, chunk}) and exit code ({id, code}) — as a native
// benchmark_model starts in milliseconds, where loading the WebAssembly runtime per run would take seconds.
import { randomInt } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import { flushSubnormals } from "./flush-subnormals.mjs";

// Subnormals flush to zero (see flush-subnormals.c): on x86 they cost microcode assists that a phone's ARM cores do
// not take. Set once, on this (the only) thread.
// MFNAS_EMULATED_SUBNORMALS=keep leaves IEEE subnormals on, to measure what flushing changes (bench/).
const subnormalMode =
  process.env.MFNAS_EMULATED_SUBNORMALS === "keep"
    ? { flushed: false, detail: "MFNAS_EMULATED_SUBNORMALS=keep" }
    : flushSubnormals();
const rssMb = () => process.memoryUsage().rss / (1024 * 1024);
// The phone's shell (or the phone) died: stop rather than run on as an orphan.
process.on("disconnect", () => process.exit(137));

/** A run's end with an exit code: thrown by `fail`, caught by the caller. */
class Exit {
  constructor(code) {
    this.code = code;
  }
}

/** C++ ostream's default formatting of a double (6 significant digits, %g style). */
function g6(value) {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  const exponent = Math.floor(Math.log10(Math.abs(value)));
  if (exponent < -5 || exponent >= 6) {
    const [mantissa, exp] = value.toExponential(5).split("e");
    const m = mantissa.replace(/\.?0+$/, "");
    const e = Number(exp);
    return `${m}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  return String(Number(value.toPrecision(6)));
}

const FLAGS = {
  graph: "",
  mfnas_graph_file: "",
  num_threads: "-1",
  warmup_runs: "1",
  warmup_min_secs: "0.5",
  num_runs: "50",
  min_secs: "1",
  max_secs: "150",
  use_xnnpack: "true",
  use_gpu: "false",
  use_nnapi: "false",
  use_hexagon: "false",
  enable_op_profiling: "false",
  verbose: "false",
  report_peak_memory_footprint: "false",
  memory_footprint_check_interval_ms: "50",
};
/** One benchmark_model run with `argv`, writing its output with `write`; ends by throwing an Exit. */
async function benchmark(argv, write) {
  const startRss = rssMb();
  let peakRss = startRss;
  const monitor = setInterval(() => (peakRss = Math.max(peakRss, rssMb())), 50);
  monitor.unref();
  const log = (line) => write(`INFO: ${line}\n`);
  const fail = (line, code = 1) => {
    clearInterval(monitor);
    write(`ERROR: ${line}\n`);
    throw new Exit(code);
  };
  const flags = { ...FLAGS };
  const unknown = [];
  for (const arg of argv) {
    const m = /^--([a-z_]+)=(.*)$/s.exec(arg) ?? /^--([a-z_]+)$/.exec(arg);
    if (!m || !(m[1] in FLAGS)) unknown.push(arg);
    else flags[m[1]] = m[2] ?? "true";
  }
  log("STARTING!");
  if (unknown.length > 0) write(`WARNING: Unconsumed cmdline flags: ${unknown.join(" ")}\n`);
  const int = (name) => {
    const v = Number(flags[name]);
    if (!Number.isInteger(v)) fail(`Invalid value for --${name}: ${flags[name]}`);
    return v;
  };
  const num = (name) => {
    const v = Number(flags[name]);
    if (!Number.isFinite(v)) fail(`Invalid value for --${name}: ${flags[name]}`);
    return v;
  };
  const bool = (name) => flags[name] === "true" || flags[name] === "1";
  const threads = int("num_threads");
  const warmupRuns = int("warmup_runs");
  const numRuns = int("num_runs");
  const warmupMinSecs = num("warmup_min_secs");
  const minSecs = num("min_secs");
  const maxSecs = num("max_secs");

  log("Log parameter values verbosely: [0]");
  log(`Min num runs: [${numRuns}]`);
  log(`Min runs duration (seconds): [${flags.min_secs}]`);
  log(`Max runs duration (seconds): [${flags.max_secs}]`);
  log(`Num threads: [${threads}]`);
  log(`Min warmup runs: [${warmupRuns}]`);
  log(`Min warmup runs duration (seconds): [${flags.warmup_min_secs}]`);
  log(`Graph: [${flags.graph}]`);
  if (bool("use_gpu")) fail("GPU acceleration is unsupported on this platform (emulated phone: host CPU only).");
  if (bool("use_nnapi")) fail("NNAPI acceleration is unsupported on this platform (emulated phone: host CPU only).");
  if (bool("use_hexagon"))
    fail("Hexagon acceleration is unsupported on this platform (emulated phone: host CPU only).");
  log(`Use xnnpack: [${flags.use_xnnpack}]`);
  if (subnormalMode.flushed) log("Emulated phone: subnormal floats flush to zero");
  else
    write(
      `WARNING: Emulated phone: subnormal floats are not flushed (${subnormalMode.detail}); timings depend on memory layout\n`,
    );
  if (flags.graph === "") fail("Please specify the name of your TF Lite input file with --graph");
  const file = flags.mfnas_graph_file || flags.graph;
  let bytes;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch {
    fail(`Could not open '${flags.graph}'.`);
  }
  log(`Loaded model ${flags.graph}`);
  log(`Emulated phone: LiteRT.js (WebAssembly) on the host CPU, one host thread`);

  const litert = await liteRt();
  log("Initialized TensorFlow Lite runtime.");
  if (bool("use_xnnpack")) log("Created TensorFlow Lite XNNPACK delegate for CPU.");
  log(`The input model file size (MB): ${g6(statSync(file).size / 1e6)}`);

  // A phone starts benchmark_model as a fresh process with a randomized address space; the resident runner does
  // the same to its heap, so repetitions of a measurement see independent buffer layouts (see randomizedLayout).
  const layout = randomizedLayout(litert);
  log(`Emulated phone: heap layout randomized by ${layout.offset} bytes`);
  try {
    await session();
  } finally {
    layout.release();
  }

  /** Loads the model, runs the warm-up and timed phases and reports; ends by throwing an Exit. */
  async function session() {
    const initStart = process.hrtime.bigint();
    let model;
    try {
      model = await litert.loadAndCompile(bytes, { accelerator: "wasm" });
    } catch (error) {
      fail(`Failed to construct interpreter: ${String(error?.message ?? error)}`);
    }
    const initUs = Number(process.hrtime.bigint() - initStart) / 1000;
    const initRss = rssMb();
    peakRss = Math.max(peakRss, initRss);
    log(`Initialized session in ${g6(initUs / 1000)}ms.`);

    const inputs = model.getInputDetails().map((d) => {
      const shape = Array.from(d.shape);
      const size = shape.reduce((a, b) => a * b, 1);
      const data = Float32Array.from({ length: size }, () => Math.random());
      return new litert.Tensor(data, shape);
    });

    async function runOnce() {
      const t0 = process.hrtime.bigint();
      const outputs = await model.run(inputs);
      const us = Math.round(Number(process.hrtime.bigint() - t0) / 1000);
      for (const out of outputs) out.delete();
      peakRss = Math.max(peakRss, rssMb());
      return us;
    }

    async function phase(minRuns, minSeconds) {
      log(
        `Running benchmark for at least ${minRuns} iterations and at least ${g6(minSeconds)} seconds but terminate if exceeding ${g6(maxSecs)} seconds.`,
      );
      const times = [];
      const begin = Date.now();
      while (
        (times.length < minRuns || (Date.now() - begin) / 1000 < minSeconds) &&
        (Date.now() - begin) / 1000 < maxSecs
      ) {
        times.push(await runOnce());
        await new Promise((resolve) => setImmediate(resolve));
      }
      const count = times.length;
      if (count === 0) {
        log("count=0");
        return { count, first: 0, avg: 0 };
      }
      const avg = times.reduce((a, b) => a + b, 0) / count;
      const variance = times.reduce((a, b) => a + b * b, 0) / count - avg * avg;
      const allSame = times.every((t) => t === times[0]);
      const std = allSame ? 0 : Math.round(Math.sqrt(Math.max(0, variance)));
      // TensorFlow's Stat printer: a phase whose samples are all equal (one run, always) is `count=N curr=X`.
      log(
        allSame
          ? `count=${count} curr=${times[count - 1]}${count > 1 ? "(all same)" : ""}`
          : `count=${count} first=${times[0]} curr=${times[count - 1]} min=${Math.min(...times)} max=${Math.max(...times)} avg=${g6(avg)} std=${std}`,
      );
      log("");
      return { count, first: times[0], avg };
    }

    const warmup = await phase(warmupRuns, warmupMinSecs);
    const inference = await phase(numRuns, minSecs);
    log(
      `Inference timings in us: Init: ${Math.round(initUs)}, First inference: ${warmup.first}, Warmup (avg): ${g6(warmup.avg)}, Inference (avg): ${g6(inference.avg)}`,
    );
    log(
      "Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your one's own risk.",
    );
    const endRss = rssMb();
    peakRss = Math.max(peakRss, endRss);
    log(
      `Memory footprint delta from the start of the tool (MB): init=${g6(initRss - startRss)} overall=${g6(endRss - startRss)}`,
    );
    if (bool("report_peak_memory_footprint")) {
      log(`Overall peak memory footprint (MB) via periodic monitoring: ${g6(peakRss)}`);
    }
    for (const t of inputs) t.delete();
    model.delete();
    clearInterval(monitor);
    throw new Exit(0);
  }
}

/**
 * Shifts where the next allocations of LiteRT.js's WebAssembly heap land by a random offset (16 B to 256 KiB), held
 * until `release`: a phone starts benchmark_model as a fresh process whose address space ASLR lays out anew, so its
 * repetitions sample layouts (cache-set and 4 KiB aliasing between buffers) rather than repeat one; a resident
 * runner without this would give every repetition of a model the same layout.
 */
function randomizedLayout(litert) {
  const heap = litert.getGlobalLiteRt?.()?.liteRtWasm;
  if (typeof heap?._malloc !== "function") return { offset: 0, release: () => {} };
  const offset = 16 * randomInt(1, 16385);
  const pad = heap._malloc(offset);
  return { offset, release: () => heap._free(pad) };
}

let runtime;
/** LiteRT.js, loaded once per process. */
function liteRt() {
  runtime ??= (async () => {
    const require = createRequire(import.meta.url);
    const packageDir = path.dirname(require.resolve("@litertjs/core/package.json"));
    const wasmDir = path.join(packageDir, "wasm") + path.sep;
    globalThis.self = globalThis;
    globalThis.require = require;
    globalThis.__dirname = path.dirname(wasmDir + "x");
    globalThis.importScripts = (url) => vm.runInThisContext(readFileSync(url, "utf8"), { filename: url });
    globalThis.Module = { locateFile: (f) => wasmDir + f, print: () => {}, printErr: () => {} };
    const litert = await import(pathToFileURL(path.join(packageDir, "dist", "index.js")).href);
    const warn = console.warn;
    console.warn = () => {};
    await litert.loadLiteRt(wasmDir);
    console.warn = warn;
    return litert;
  })();
  return runtime;
}

/** Runs `benchmark` and returns its exit code; anything unexpected is a crash (code 134, as an abort). */
async function exitCodeOf(argv, write) {
  try {
    await benchmark(argv, write);
    return 0;
  } catch (error) {
    if (error instanceof Exit) return error.code;
    write(`ERROR: ${String(error?.stack ?? error)}\n`);
    return 134;
  }
}

if (process.argv.includes("--mfnas_serve")) {
  await liteRt();
  process.on("message", (message) => {
    const { id, args } = message;
    void exitCodeOf(args, (chunk) => process.send({ id, chunk })).then((code) => process.send({ id, code }));
  });
  process.send({ ready: true });
} else {
  const code = await exitCodeOf(process.argv.slice(2), (chunk) => process.stdout.write(chunk));
  process.exit(code);
}
