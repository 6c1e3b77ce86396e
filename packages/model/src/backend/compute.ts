import { readdirSync } from "node:fs";
import { MfnasError } from "@mfnas/core";
import type { Tf } from "../tf.ts";
import { selectBackend, type SelectBackendOptions, type SelectedBackend } from "./select-backend.ts";

/** What a service really computes on: "gpu" only when tfjs-node-gpu loaded and an NVIDIA device is visible. */
export type Accelerator = "gpu" | "cpu";

export interface ComputeBackendOptions extends SelectBackendOptions {
  /**
   * Refuse (throw) unless the GPU backend loaded with a device to run on, instead of falling back to a CPU
   * backend. Implied by `prefer: "tensorflow-gpu"`. Default false.
   */
  requireGpu?: boolean;
  /** Where the NVIDIA device nodes are (`nvidia0`, `nvidia1`, ...). Default /dev; tests pass a folder. */
  deviceDir?: string;
}

export interface ComputeBackend extends SelectedBackend {
  accelerator: Accelerator;
  /** The NVIDIA device nodes this process can open (what the container runtime or device plugin passed in). */
  gpuDevices: string[];
}

/** The message every refusal starts with, so operators and scripts can match it. */
export const NO_GPU_MESSAGE = "no GPU backend loaded";

/**
 * `selectBackend`, then what it means: tfjs-node-gpu falls back to TensorFlow's CPU kernels without a word when
 * no GPU device is visible (e.g. a container started without the NVIDIA runtime), so "gpu" needs both the
 * package and a device node. With `requireGpu` (or `prefer: "tensorflow-gpu"`) anything else throws
 * `MfnasError("unsupported")` whose message starts with NO_GPU_MESSAGE and says what loaded and why.
 */
export async function selectComputeBackend(tf: Tf, options: ComputeBackendOptions = {}): Promise<ComputeBackend> {
  const { requireGpu = options.prefer === "tensorflow-gpu", deviceDir = "/dev", ...select } = options;
  let selected: SelectedBackend;
  try {
    selected = await selectBackend(tf, select);
  } catch (error) {
    if (!requireGpu || !(error instanceof MfnasError)) throw error;
    throw new MfnasError("unsupported", `${NO_GPU_MESSAGE}: ${error.message}`, { backend: select.prefer ?? null });
  }
  const gpuDevices = nvidiaDevices(deviceDir);
  const accelerator: Accelerator = selected.name === "tensorflow-gpu" && gpuDevices.length > 0 ? "gpu" : "cpu";
  if (requireGpu && accelerator !== "gpu") {
    const why =
      selected.name === "tensorflow-gpu"
        ? `tfjs-node-gpu loaded but no NVIDIA device is visible in ${deviceDir} (run with the NVIDIA container runtime or device plugin)`
        : `the ${selected.name} backend loaded instead (${selected.reason})`;
    throw new MfnasError("unsupported", `${NO_GPU_MESSAGE}: ${why}`, { backend: selected.name, gpuDevices });
  }
  return { ...selected, accelerator, gpuDevices };
}

/** NVIDIA device nodes (`nvidia0`, `nvidia1`, ...) in `dir`, sorted; none when the folder cannot be read. */
export function nvidiaDevices(dir = "/dev"): string[] {
  try {
    return readdirSync(dir)
      .filter((name) => /^nvidia\d+$/.test(name))
      .sort();
  } catch {
    return [];
  }
}
