import type { GradConfig, GradFunc, NamedAttrMap, Tensor } from "@tensorflow/tfjs-core";
import type { Tf } from "../tf.ts";

/** What a gradient function returns: per input name, a thunk computing that input's gradient. */
export type NamedGradientMap = ReturnType<GradFunc>;

/**
 * The gradient function shape we write: single-output kernels get one `dy`, and attributes are typed per kernel.
 * tfjs hands `dy` as `Tensor | Tensor[]` and attributes as an untyped map; the adapters below do the casting once.
 */
export type SingleGradFunc<A> = (dy: Tensor, saved: readonly Tensor[], attrs: A) => NamedGradientMap;

/** A gradient for a kernel with one output. */
export function singleOutputGrad<A = NamedAttrMap>(
  kernelName: string,
  save: Pick<GradConfig, "inputsToSave" | "outputsToSave" | "saveAllInputs">,
  gradFunc: SingleGradFunc<A>,
): GradConfig {
  return {
    kernelName,
    ...save,
    gradFunc: (dy, saved, attrs) => {
      if (Array.isArray(dy)) throw new Error(`gradient of ${kernelName}: expected one output gradient`);
      return gradFunc(dy, saved, attrs as unknown as A);
    },
  };
}

/** The i-th saved tensor; a missing one is a bug in the config's inputsToSave/outputsToSave. */
export function savedAt(saved: readonly Tensor[], index: number, kernelName: string): Tensor {
  const tensor = saved[index];
  if (tensor === undefined) throw new Error(`gradient of ${kernelName}: saved tensor ${index} is missing`);
  return tensor;
}

/**
 * Sums a broadcast gradient back to the operand's shape: binary ops broadcast their inputs, so the gradient of
 * an input is the output gradient summed over the axes that input was stretched along.
 */
export function sumToShape(tf: Tf, gradient: Tensor, shape: readonly number[]): Tensor {
  // Always a new tensor object (a reshape shares the data): handing dy itself to two inputs lets tfjs dispose it
  // through one input's accumulated gradient while the other still holds it.
  if (tf.util.arraysEqual(gradient.shape, shape as number[])) return tf.reshape(gradient, shape as number[]);
  const axes = tf.broadcast_util.getReductionAxes(shape as number[], gradient.shape);
  const reduced = axes.length > 0 ? tf.sum(gradient, axes) : gradient;
  return tf.reshape(reduced, shape as number[]);
}

/** The permutation that undoes `perm`. */
export function inversePermutation(perm: readonly number[]): number[] {
  const inverse = new Array<number>(perm.length);
  perm.forEach((axis, i) => {
    inverse[axis] = i;
  });
  return inverse;
}

/**
 * Registers `configs` where no gradient is registered for the kernel yet (or always, with `override`), and
 * returns the kernel names it registered. Filling only the gaps keeps the official gradients that
 * `@tensorflow/tfjs` / tfjs-node register when they are loaded.
 */
export function registerGradients(tf: Tf, configs: readonly GradConfig[], override = false): string[] {
  const registered: string[] = [];
  for (const config of configs) {
    // getGradient's declared type says it always returns a config; at run time it is undefined when absent.
    const existing = tf.getGradient(config.kernelName) as GradConfig | undefined;
    if (existing !== undefined && !override) continue;
    tf.registerGradient(config);
    registered.push(config.kernelName);
  }
  return registered;
}
