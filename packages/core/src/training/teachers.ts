/**
 * Teachers a supernet can be distilled from, as named in a training config's `teacher`:
 * - `tfjs-layers`: a pretrained TF.js layers model of an SR generator shipped by an npm package installed with the
 *   project (nothing downloads at run time). `TEACHER_PACKAGES` lists the packages the model package can load, with
 *   the conventions their models follow, so a config that asks for another range or scale is refused up front.
 * - `rrdbnet`: BasicSR's RRDBNet (ESRGAN) from a safetensors artifact with BasicSR parameter names.
 */

/** What a teacher package ships and the conventions its models follow. */
export interface TeacherPackage {
  /** Upscale factors it has a model for (models/x{scale}/model.json). */
  readonly scales: readonly number[];
  /** Value range of input and output pixels. */
  readonly valueRange: readonly [0, 1] | readonly [0, 255];
  /** Input layout: NHWC batches of RGB pixels. */
  readonly input: "nhwc-rgb";
  /** Layers whose outputs feature distillation matches (block outputs at LR size), in depth order; k = 1, 2, ... */
  readonly featureLayer: (k: number) => string;
  /** Licence of the weights, as the package states it. */
  readonly licence: string;
}

export const TEACHER_PACKAGES = {
  /**
   * ISR's RRDN (idealo image-super-resolution) converted by UpscalerJS, trained on DIV2K: 10 RRDB blocks of 3 dense
   * blocks of 4 convs, 64 features, growth 32, ReLU; the block outputs are the layers `RRDB_{k}_out`.
   */
  "@upscalerjs/esrgan-thick": {
    scales: [2, 3, 4, 8],
    valueRange: [0, 1],
    input: "nhwc-rgb",
    featureLayer: (k: number) => `RRDB_${k}_out`,
    licence: "MIT",
  },
} as const satisfies Record<string, TeacherPackage>;

export type TeacherPackageName = keyof typeof TEACHER_PACKAGES;

export const TEACHER_PACKAGE_NAMES = Object.keys(TEACHER_PACKAGES) as [TeacherPackageName, ...TeacherPackageName[]];

/** The teacher a training config gets when it names none: esrgan-thick at the config's scale. */
export const DEFAULT_TEACHER_PACKAGE: TeacherPackageName = "@upscalerjs/esrgan-thick";
