import type { Scalar, Tensor, Tf } from "../tf.ts";

/** Mean absolute difference (ESRGAN's pixel and distillation losses). */
export function l1Loss(tf: Tf, a: Tensor, b: Tensor): Scalar {
  return tf.mean(tf.abs(tf.sub(a, b)));
}

/** Mean squared difference. */
export function mseLoss(tf: Tf, a: Tensor, b: Tensor): Scalar {
  return tf.mean(tf.squaredDifference(a, b));
}
