// Runs .tflite models with LiteRT.js (@litertjs/core: the TensorFlow Lite runtime built to WebAssembly, with its
// builtin kernels and XNNPack), in its own process because its browser-style loader needs a few globals set.
//
// Usage: node run-tflite-litert.mjs JOBS.json [LITERT_PACKAGE_DIR]
// JOBS.json is a list of {"model", "input", "output", "shape"}: raw little-endian float32 input of `shape` (NHWC),
// output written the same way. Prints one JSON line per job, {"ok": true} or {"ok": false, "error": "..."}.
// LITERT_PACKAGE_DIR defaults to the @litertjs/core that resolves from here.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";

const require = createRequire(import.meta.url);
const packageDir = process.argv[3] ?? path.dirname(require.resolve("@litertjs/core/package.json"));
const wasmDir = path.join(packageDir, "wasm") + path.sep;

// The wasm loader is an Emscripten script meant for a <script> tag or importScripts; give it those.
globalThis.self = globalThis;
globalThis.require = require;
globalThis.__dirname = path.dirname(wasmDir + "x");
globalThis.importScripts = (url) => vm.runInThisContext(readFileSync(url, "utf8"), { filename: url });
globalThis.Module = { locateFile: (file) => wasmDir + file, print: () => {}, printErr: () => {} };

const litert = await import(pathToFileURL(path.join(packageDir, "dist", "index.js")).href);
const warn = console.warn;
console.warn = () => {}; // "no WebGPU device" is expected here: only the wasm CPU path is used
await litert.loadLiteRt(wasmDir);
console.warn = warn;

const jobs = JSON.parse(readFileSync(process.argv[2], "utf8"));
for (const job of jobs) {
  try {
    const bytes = readFileSync(job.input);
    const input = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const model = await litert.loadAndCompile(new Uint8Array(readFileSync(job.model)), { accelerator: "wasm" });
    const tensor = new litert.Tensor(input, job.shape);
    const [result] = await model.run(tensor);
    const out = result.toTypedArray();
    writeFileSync(job.output, new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    result.delete();
    tensor.delete();
    model.delete();
    console.log(JSON.stringify({ ok: true }));
  } catch (error) {
    console.log(JSON.stringify({ ok: false, error: String(error?.message ?? error) }));
  }
}
process.exit(0);
