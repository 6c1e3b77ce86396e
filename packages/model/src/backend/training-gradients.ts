import type { Tf } from "../tf.ts";
import { elementwiseGradients } from "./elementwise-gradients.ts";
import { registerGradients } from "./grad-utils.ts";
import { conv2dGradient, nnGradients } from "./nn-gradients.ts";
import { shapeGradients } from "./shape-gradients.ts";

/**
 * Registers, for every backend, the gradients a generator + discriminator training step needs, and returns the
 * kernel names it registered.
 *
 * Why: the Node build of `@tensorflow/tfjs-core` registers no gradients at all (only the `@tensorflow/tfjs` bundle
 * and tfjs-node do), so with tfjs-core + wasm/cpu every `tf.variableGrads` fails with "gradient function not
 * found". Each gradient here is registered only where none exists, so tfjs's official ones stay when a bundle
 * that has them is loaded; two are always ours:
 * - `Conv2D`: tfjs's asserts dilation 1 on every backend (the dil2 branch); ours handles dilation 2 and is
 *   tfjs's own for dilation 1.
 * - `DepthToSpace`: tfjs has none anywhere (pixel-shuffle upsampler); ours is its inverse rearrangement.
 *
 * Idempotent: a second call registers nothing new (it re-registers the two above, which is harmless).
 * Register after loading tfjs-node: its bundle re-registers tfjs's Conv2D gradient over ours.
 *
 * Not covered (the model does not use them): StridedSlice, MirrorPad, Elu/Selu/Prelu, depthwise and 3-D convs,
 * batch norm; `tf.fused.conv2d` with a linear activation and dilation > 1 under a gradient (its gradient is
 * built into the op and asserts dilation 1, so call `tf.conv2d` + `tf.add` there).
 */
export function registerTrainingGradients(tf: Tf): string[] {
  const filled = registerGradients(tf, [
    ...elementwiseGradients(tf),
    ...shapeGradients(tf),
    ...nnGradients(tf).filter((g) => g.kernelName !== "DepthToSpace"),
  ]);
  const replaced = registerGradients(
    tf,
    [conv2dGradient(tf), ...nnGradients(tf).filter((g) => g.kernelName === "DepthToSpace")],
    true,
  );
  return [...filled, ...replaced];
}
