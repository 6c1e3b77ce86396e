/**
 * Relativistic average GAN losses (ESRGAN, Jolicoeur-Martineau 2018): the discriminator judges whether a real
 * image is more realistic than the average fake, and a fake less realistic than the average real.
 *
 * Binary cross-entropy with logits in its stable form: -log sigmoid(x) = softplus(-x) and -log(1 - sigmoid(x)) =
 * softplus(x). Written with softplus rather than tf.logSigmoid, whose gradient fails on intermediates in
 * tfjs-core (see backend/README.md).
 */
import type { Scalar, Tensor, Tf } from "../tf.ts";

/** Mean BCE of `logits` against an all-`target` label. */
export function bceWithLogits(tf: Tf, logits: Tensor, target: 0 | 1): Scalar {
  return tf.mean(tf.softplus(target === 1 ? tf.neg(logits) : logits));
}

/** RaGAN discriminator loss: real logits should exceed the mean fake logit and fake ones fall below the mean real. */
export function relativisticDiscriminatorLoss(tf: Tf, realLogits: Tensor, fakeLogits: Tensor): Scalar {
  const real = bceWithLogits(tf, tf.sub(realLogits, tf.mean(fakeLogits)), 1);
  const fake = bceWithLogits(tf, tf.sub(fakeLogits, tf.mean(realLogits)), 0);
  return tf.mul(tf.add(real, fake), 0.5);
}

/** RaGAN generator loss: the symmetric objective, so the generator gets gradients from the real logits too. */
export function relativisticGeneratorLoss(tf: Tf, realLogits: Tensor, fakeLogits: Tensor): Scalar {
  const real = bceWithLogits(tf, tf.sub(realLogits, tf.mean(fakeLogits)), 0);
  const fake = bceWithLogits(tf, tf.sub(fakeLogits, tf.mean(realLogits)), 1);
  return tf.mul(tf.add(real, fake), 0.5);
}
