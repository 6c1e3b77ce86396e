import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MfnasError } from "@mfnas/core";
import { NO_GPU_MESSAGE, nvidiaDevices, selectComputeBackend } from "./compute.ts";
import { tf } from "./test-support.ts";

const notFound = (specifier: string) =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from here`), { code: "ERR_MODULE_NOT_FOUND" });

/** tfjs-node-gpu as `gpu` says (absent by default); everything else the real packages, tfjs-node absent. */
function importer(gpu?: () => Promise<unknown>) {
  return async (specifier: string): Promise<unknown> => {
    if (specifier === "@tensorflow/tfjs-node-gpu" && gpu) return gpu();
    if (specifier.includes("tfjs-node")) throw notFound(specifier);
    return import(specifier);
  };
}

// A stand-in for the tfjs-node-gpu module: a whole tf namespace whose "tensorflow" backend initialises.
const nodeGpuTf = { ...tf, setBackend: () => Promise.resolve(true), getBackend: () => "tensorflow" };

async function refusal(promise: Promise<unknown>): Promise<MfnasError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MfnasError);
  expect((error as MfnasError).code).toBe("unsupported");
  expect((error as MfnasError).message.startsWith(`${NO_GPU_MESSAGE}: `)).toBe(true);
  return error as MfnasError;
}

describe("selectComputeBackend", () => {
  let withGpu: string;
  let withoutGpu: string;
  beforeAll(async () => {
    withGpu = await mkdtemp(path.join(os.tmpdir(), "mfnas-dev-gpu-"));
    withoutGpu = await mkdtemp(path.join(os.tmpdir(), "mfnas-dev-none-"));
    // What the NVIDIA runtime passes into a container with one GPU, beside device nodes that are not GPUs.
    for (const name of ["nvidia0", "nvidiactl", "nvidia-uvm", "nvidia-modeset"]) {
      await writeFile(path.join(withGpu, name), "");
    }
    await writeFile(path.join(withoutGpu, "nvidiactl"), "");
  });
  afterAll(async () => {
    await rm(withGpu, { recursive: true, force: true });
    await rm(withoutGpu, { recursive: true, force: true });
  });

  it("counts only nvidiaN device nodes as GPUs", () => {
    expect(nvidiaDevices(withGpu)).toEqual(["nvidia0"]);
    expect(nvidiaDevices(withoutGpu)).toEqual([]);
    expect(nvidiaDevices(path.join(withoutGpu, "missing"))).toEqual([]);
  });

  it("reports the GPU when tfjs-node-gpu loads and a device is visible", async () => {
    const chosen = await selectComputeBackend(tf, {
      requireGpu: true,
      deviceDir: withGpu,
      training: false,
      importModule: importer(() => Promise.resolve(nodeGpuTf)),
    });
    expect(chosen).toMatchObject({ name: "tensorflow-gpu", accelerator: "gpu", gpuDevices: ["nvidia0"] });
    expect(chosen.tf).toBe(nodeGpuTf);
  });

  it("reports a CPU fallback as cpu, and refuses it when a GPU is required", async () => {
    const chosen = await selectComputeBackend(tf, { deviceDir: withGpu, training: false, importModule: importer() });
    expect(chosen).toMatchObject({ name: "wasm", accelerator: "cpu" });
    const error = await refusal(
      selectComputeBackend(tf, { requireGpu: true, deviceDir: withGpu, training: false, importModule: importer() }),
    );
    expect(error.message).toContain("the wasm backend loaded instead");
    expect(error.message).toContain("@tensorflow/tfjs-node-gpu is not installed");
  });

  it("refuses tfjs-node-gpu without a device: TensorFlow would run its CPU kernels", async () => {
    const options = {
      deviceDir: withoutGpu,
      training: false,
      importModule: importer(() => Promise.resolve(nodeGpuTf)),
    };
    expect(await selectComputeBackend(tf, options)).toMatchObject({ name: "tensorflow-gpu", accelerator: "cpu" });
    const error = await refusal(selectComputeBackend(tf, { ...options, requireGpu: true }));
    expect(error.message).toContain(`no NVIDIA device is visible in ${withoutGpu}`);
  });

  it("treats prefer: tensorflow-gpu as a GPU requirement, naming why the package did not load", async () => {
    const error = await refusal(
      selectComputeBackend(tf, {
        prefer: "tensorflow-gpu",
        deviceDir: withGpu,
        importModule: importer(() => Promise.reject(new Error("libcudnn.so.8: cannot open shared object file"))),
      }),
    );
    expect(error.message).toContain("@tensorflow/tfjs-node-gpu failed to load: libcudnn.so.8");
  });
});
