/**
 * TensorFlow.js networks of mfnas: the MFA supernet and its SubGenerators, the ESRGAN (RRDBNet) teacher, the
 * PatchGAN discriminator, their named parameters, and safetensors I/O in PyTorch layout. Every function takes the
 * `tf` namespace it should use; none picks a backend. Training needs the gradients `registerTrainingGradients`
 * registers (`selectBackend` does it): the node entry of tfjs-core has none, and tfjs's own Conv2D gradient refuses
 * the dil2 branch's dilation.
 */
export { ParamStore, type ParamInit, type ParamStoreOptions } from "./params.ts";
export {
  LEAKY_SLOPE,
  avgPoolDown,
  conv2d,
  conv2dLrelu,
  leakyRelu,
  pixelShuffle,
  pixelUnshuffle,
  upsampleBicubic,
  upsampleNearest,
  type ConvOptions,
  type ConvWeights,
} from "./layers.ts";
export { SubGenerator, type SubGeneratorInit } from "./mfa-generator.ts";
export { MfaSupernet, supernetConvSpecs, type MfaSupernetOptions } from "./mfa-supernet.ts";
export {
  PatchGanDiscriminator,
  type DiscriminatorOutput,
  type PatchGanConfig,
  type PatchGanOptions,
  type PatchGanRunOptions,
} from "./patchgan.ts";
export { RrdbNet, type RrdbNetConfig, type RrdbNetOptions } from "./rrdbnet.ts";
export {
  FLOAT_DTYPES,
  MAX_HEADER_BYTES,
  SAFETENSORS_DTYPE_BYTES,
  readSafetensors,
  toFloat32,
  writeSafetensors,
  type SafetensorsDtype,
  type SafetensorsFile,
  type SafetensorsInput,
  type SafetensorsTensor,
} from "./safetensors.ts";
export {
  loadWeights,
  saveWeights,
  type LoadWeightsOptions,
  type SaveWeightsOptions,
  type WeightLayout,
} from "./safetensors-weights.ts";
export {
  CHECKPOINT_METADATA_KEY,
  GENERATOR_ARCHITECTURE,
  LOADABLE_ARCHITECTURES,
  SUPERNET_TENSOR_PREFIX,
  checkpointTensor,
  decodeSupernetCheckpoint,
  decodeSupernetWeights,
  encodeSupernetCheckpoint,
  supernetCheckpointEntries,
  supernetFromWeights,
  type CheckpointFile,
  type CheckpointHeader,
  type SupernetWeight,
} from "./supernet-checkpoint.ts";
export {
  LayersModelNet,
  parseLayersModel,
  readLayersModel,
  type LayersModelCost,
  type LayersModelFiles,
} from "./layers-model.ts";
export {
  layersModelTeacher,
  loadArtifactTeacher,
  loadPackageTeacher,
  type ArtifactTeacherOptions,
  rrdbNetTeacher,
  type SrTeacher,
  type TeacherFeatures,
  type TeacherOutput,
} from "./sr-teacher.ts";
export { loadConfiguredTeacher, type ArtifactRead } from "./configured-teacher.ts";
