import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { MfnasError } from "@mfnas/core";
import type * as TfWasm from "@tensorflow/tfjs-backend-wasm";
import type { Tf } from "../tf.ts";
import { registerTrainingGradients } from "./training-gradients.ts";
import { registerWasmTrainingKernels } from "./wasm-kernels.ts";

/** The backends selectBackend knows, fastest first. tfjs-node and tfjs-node-gpu both name their backend "tensorflow". */
export const BACKEND_NAMES = ["tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface SelectBackendOptions {
  /**
   * Use exactly this backend; if it cannot load, throw `MfnasError("unsupported")` rather than fall back.
   * Default: none, the first that loads of tensorflow-gpu (tfjs-node-gpu), tensorflow (tfjs-node), wasm, cpu.
   */
  prefer?: BackendName;
  /** Receives one line saying which backend was chosen and why. Default: nothing is logged. */
  log?: (message: string) => void;
  /**
   * Register the training gradients for every backend and, on wasm, the fast training kernels
   * (registerWasmTrainingKernels). Default: true; false leaves tfjs's registries untouched (inference only).
   */
  training?: boolean;
  /** Loads a package by name; tests pass a fake. Default: dynamic `import()`. */
  importModule?: (specifier: string) => Promise<unknown>;
}

export interface SelectedBackend {
  name: BackendName;
  /** Why this one: what each faster backend did when tried. */
  reason: string;
  /** Threads the backend computes with: all cores for TensorFlow, wasm's pool (1 without threads), 1 for cpu. */
  threads: number;
  /**
   * The tf namespace to use from now on. For tensorflow / tensorflow-gpu it is the tfjs-node module itself: it
   * bundles its own `@tensorflow/tfjs` (possibly its own tfjs-core copy, with the official gradients and its
   * own op implementations), so tensors and ops must come from it, not from the namespace passed in. For wasm
   * and cpu it is the namespace passed in.
   */
  tf: Tf;
}

// Held in variables so TypeScript does not try to resolve them: they are optional and absent here.
const NODE_GPU_PACKAGE: string = "@tensorflow/tfjs-node-gpu";
const NODE_PACKAGE: string = "@tensorflow/tfjs-node";
const WASM_PACKAGE: string = "@tensorflow/tfjs-backend-wasm";
const CPU_PACKAGE: string = "@tensorflow/tfjs-backend-cpu";

const PACKAGES: Record<BackendName, string> = {
  "tensorflow-gpu": NODE_GPU_PACKAGE,
  tensorflow: NODE_PACKAGE,
  wasm: WASM_PACKAGE,
  cpu: CPU_PACKAGE,
};

type Attempt = { ok: true; tf: Tf; threads: number; detail: string } | { ok: false; why: string };

/**
 * Picks the fastest TensorFlow.js backend that works here, makes it current, and prepares it for training.
 *
 * `tf` is the tfjs-core namespace the caller uses. Use the returned `tf` afterwards (it differs when tfjs-node
 * loads, see SelectedBackend.tf). Throws `MfnasError("unsupported")` when `prefer` names a backend that does not
 * load, or when none loads.
 */
export async function selectBackend(tf: Tf, options: SelectBackendOptions = {}): Promise<SelectedBackend> {
  const { prefer, log = () => undefined, training = true } = options;
  const importModule = options.importModule ?? ((specifier: string) => import(/* @vite-ignore */ specifier));
  const candidates = prefer === undefined ? BACKEND_NAMES : [prefer];
  const passedOver: string[] = [];
  for (const name of candidates) {
    const attempt = await tryBackend(tf, name, importModule);
    if (!attempt.ok) {
      passedOver.push(`${name}: ${attempt.why}`);
      continue;
    }
    if (training) {
      if (name === "wasm") registerWasmTrainingKernels(attempt.tf);
      else registerTrainingGradients(attempt.tf);
    }
    const why =
      prefer === undefined ? `first to load (${passedOver.join("; ") || "nothing faster tried"})` : "preferred";
    const reason = `${why}; ${attempt.detail}`;
    log(`tfjs backend: ${name}, ${attempt.threads} thread(s): ${reason}`);
    return { name, reason, threads: attempt.threads, tf: attempt.tf };
  }
  const what =
    prefer === undefined ? "no TensorFlow.js backend could be loaded" : `backend "${prefer}" is not available`;
  throw new MfnasError("unsupported", `${what}: ${passedOver.join("; ")}`, {
    backend: prefer ?? null,
    tried: passedOver,
  });
}

async function tryBackend(
  tf: Tf,
  name: BackendName,
  importModule: (specifier: string) => Promise<unknown>,
): Promise<Attempt> {
  const specifier = PACKAGES[name];
  let loaded: unknown;
  try {
    loaded = await importModule(specifier);
  } catch (error) {
    return {
      ok: false,
      why: isNotInstalled(error) ? `${specifier} is not installed` : `${specifier} failed to load: ${firstLine(error)}`,
    };
  }
  switch (name) {
    case "tensorflow-gpu":
    case "tensorflow": {
      // tfjs-node's module is a whole tf namespace, registered with backend "tensorflow".
      const nodeTf = loaded as Tf;
      if (!(await setBackendSafely(nodeTf, "tensorflow")))
        return { ok: false, why: `${specifier} loaded but its backend did not initialise` };
      return { ok: true, tf: nodeTf, threads: os.availableParallelism(), detail: `${specifier} (native TensorFlow)` };
    }
    case "wasm": {
      const wasm = loaded as typeof TfWasm;
      // In Node the .wasm binaries are not where the loader looks (next to the calling script); point it at the
      // package's dist/. Only the first initialisation reads this; it throws only after a failed one, which
      // setBackend below reports anyway.
      try {
        wasm.setWasmPaths(wasmBinaryDirectory());
      } catch {
        // see above
      }
      if (!(await setBackendSafely(tf, "wasm"))) return { ok: false, why: "the wasm binary did not initialise" };
      const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
      return { ok: true, tf, threads: wasm.getThreadsCount(), detail: `XNNPACK wasm, SIMD ${simd ? "on" : "off"}` };
    }
    case "cpu": {
      if (!(await setBackendSafely(tf, "cpu"))) return { ok: false, why: "the cpu backend did not initialise" };
      return { ok: true, tf, threads: 1, detail: "plain JavaScript kernels (slowest)" };
    }
  }
}

/** The directory holding the tfjs-backend-wasm .wasm binaries, with a trailing slash as setWasmPaths wants. */
export function wasmBinaryDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + path.sep;
}

async function setBackendSafely(tf: Tf, name: string): Promise<boolean> {
  try {
    // setBackend resolves false (after logging) when the backend's initialisation fails.
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

function isNotInstalled(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") return true;
  return /cannot find (package|module)|failed to (load|resolve)/i.test(firstLine(error));
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n", 1)[0] ?? text;
}
