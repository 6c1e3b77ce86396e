// Backend selection and CPU training support for the model package. See README.md.
export { BACKEND_NAMES, selectBackend, wasmBinaryDirectory } from "./select-backend.ts";
export type { BackendName, SelectBackendOptions, SelectedBackend } from "./select-backend.ts";
export { NO_GPU_MESSAGE, nvidiaDevices, selectComputeBackend } from "./compute.ts";
export type { Accelerator, ComputeBackend, ComputeBackendOptions } from "./compute.ts";
export { registerTrainingGradients } from "./training-gradients.ts";
export { registerWasmTrainingKernels } from "./wasm-kernels.ts";
export type { WasmTrainingKernels } from "./wasm-kernels.ts";
export { conv2dFilterGrad, conv2dInputGrad } from "./conv-backprop.ts";
export type { ConvGeometry } from "./conv-backprop.ts";
/** The fast gradient formulations, exported for bench/conv-kernels.ts to time against tfjs's own. */
export { leakyReluGrad } from "./elementwise-gradients.ts";
export { nearestResizeGrad } from "./nn-gradients.ts";
