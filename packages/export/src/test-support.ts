/**
 * Helpers for this package's tests (not part of the public API): the real runtimes that
 * verify exported files (ONNX Runtime in-process; Arm NN's TfLite parser, LiteRT.js and the ONNX checker as child
 * processes, fed raw float32 files), and small array utilities.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import * as ort from "onnxruntime-node";

const run = promisify(execFile);
const TOOLS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../tools");

/** Debian's interpreter: python3-pyarmnn and python3-onnx are Debian packages, invisible to other pythons. */
const SYSTEM_PYTHON = "/usr/bin/python3";

export async function tempDir(prefix = "mfnas-export-"): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

/** Whether the system python can import `module` (e.g. pyarmnn, onnx). */
export async function pythonHas(module: string): Promise<boolean> {
  if (!existsSync(SYSTEM_PYTHON)) return false;
  try {
    await run(SYSTEM_PYTHON, ["-c", `import ${module}`]);
    return true;
  } catch {
    return false;
  }
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

export function maxAbs(a: Float32Array): number {
  return a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/** [1, H, W, C] -> [1, C, H, W] and back, for feeding ONNX (NCHW) what tfjs uses (NHWC). */
export function nhwcToNchw(data: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) out[(k * h + y) * w + x] = data[(y * w + x) * c + k] as number;
  return out;
}

export function nchwToNhwc(data: Float32Array, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = data[(k * h + y) * w + x] as number;
  return out;
}

/** Runs an ONNX model once on ONNX Runtime (CPU) and returns its single output. */
export async function runOnnx(
  bytes: Uint8Array,
  input: Float32Array,
  dims: readonly number[],
  threads = 1,
): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  try {
    const inputName = session.inputNames[0] as string;
    const outputName = session.outputNames[0] as string;
    const result = await session.run({ [inputName]: new ort.Tensor("float32", input, [...dims]) });
    return (result[outputName] as ort.Tensor).data as Float32Array;
  } finally {
    await session.release();
  }
}

export interface TfliteJob {
  readonly model: Uint8Array;
  readonly input: Float32Array;
  /** NHWC input shape. */
  readonly shape: readonly number[];
}

/** Per job: the output, or the runtime's refusal message. */
export type TfliteResult = { ok: true; output: Float32Array } | { ok: false; error: string };

async function runTfliteTool(
  command: string,
  args: (jobs: string) => string[],
  jobs: readonly TfliteJob[],
): Promise<TfliteResult[]> {
  const dir = await tempDir("mfnas-tflite-");
  const specs = await Promise.all(
    jobs.map(async (job, i) => {
      const spec = {
        model: path.join(dir, `m${i}.tflite`),
        input: path.join(dir, `in${i}.f32`),
        output: path.join(dir, `out${i}.f32`),
        shape: job.shape,
      };
      await writeFile(spec.model, job.model);
      await writeFile(spec.input, new Uint8Array(job.input.buffer, job.input.byteOffset, job.input.byteLength));
      return spec;
    }),
  );
  const jobsFile = path.join(dir, "jobs.json");
  await writeFile(jobsFile, JSON.stringify(specs));
  const { stdout } = await run(command, args(jobsFile), { maxBuffer: 16 * 1024 * 1024 });
  const lines = stdout.split("\n").filter((l) => l.startsWith("{"));
  return Promise.all(
    specs.map(async (spec, i) => {
      const status = JSON.parse(lines[i] ?? '{"ok":false,"error":"no result line"}') as { ok: boolean; error?: string };
      if (!status.ok) return { ok: false as const, error: status.error ?? "unknown error" };
      const bytes = await readFile(spec.output);
      return {
        ok: true as const,
        output: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)),
      };
    }),
  );
}

/** Runs .tflite models on Arm NN (TfLite parser, CpuRef backend) through the system python. */
export function runArmnn(jobs: readonly TfliteJob[]): Promise<TfliteResult[]> {
  return runTfliteTool(SYSTEM_PYTHON, (file) => [path.join(TOOLS, "run_tflite_armnn.py"), file], jobs);
}

/** The @litertjs/core package directory: `override` if given, else the one installed for the repo, else undefined. */
export function liteRtPackageDir(override?: string): string | undefined {
  if (override !== undefined && override !== "") return override;
  try {
    return path.dirname(createRequire(import.meta.url).resolve("@litertjs/core/package.json"));
  } catch {
    return undefined;
  }
}

/** Runs .tflite models on LiteRT.js (TFLite's own kernels, compiled to wasm) in a child node process. */
export function runLiteRt(packageDir: string, jobs: readonly TfliteJob[]): Promise<TfliteResult[]> {
  return runTfliteTool(process.execPath, (file) => [path.join(TOOLS, "run-tflite-litert.mjs"), file, packageDir], jobs);
}

/** `onnx.checker.check_model(full_check=True)` on each file, through the system python. */
export async function checkOnnxFiles(
  files: readonly Uint8Array[],
): Promise<{ ok: boolean; error?: string; opset?: number }[]> {
  const dir = await tempDir("mfnas-onnx-");
  const paths = await Promise.all(
    files.map(async (bytes, i) => {
      const p = path.join(dir, `m${i}.onnx`);
      await writeFile(p, bytes);
      return p;
    }),
  );
  const { stdout } = await run(SYSTEM_PYTHON, [path.join(TOOLS, "check_onnx.py"), ...paths]);
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as { ok: boolean; error?: string; opset?: number });
}
