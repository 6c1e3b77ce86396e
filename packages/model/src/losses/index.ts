// Training losses of the supernet: pixel, perceptual (VGG19), relativistic GAN and distillation. See README.md.
export { l1Loss, mseLoss } from "./pixel.ts";
export { bceWithLogits, relativisticDiscriminatorLoss, relativisticGeneratorLoss } from "./gan.ts";
export {
  FeatureAdapters,
  discriminatorDistillLoss,
  distillationPairs,
  featureDistillLoss,
  outputDistillLoss,
  type FeatureAdaptersOptions,
} from "./distill.ts";
export { Vgg19Features, perceptualLoss, type Vgg19FeaturesOptions } from "./vgg19.ts";
