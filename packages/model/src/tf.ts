import type * as tfc from "@tensorflow/tfjs-core";

/**
 * The TensorFlow.js namespace a caller hands to the model code. Model code never picks a backend and never
 * imports tfjs for its ops: services choose the backend (tfjs-node-gpu, tfjs-node, wasm, cpu) and pass `tf` in.
 */
export type Tf = typeof tfc;
export type { Scalar, Tensor, Tensor1D, Tensor3D, Tensor4D, Variable, Rank } from "@tensorflow/tfjs-core";
