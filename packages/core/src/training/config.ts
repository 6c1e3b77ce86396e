import { z } from "zod";
import { MfnasError } from "../errors.ts";
import { issueMessages } from "../zod-issues.ts";
import { BUILTIN_DATASETS, datasetArtifactSha } from "./datasets.ts";
import { DEFAULT_TEACHER_PACKAGE, TEACHER_PACKAGES, TEACHER_PACKAGE_NAMES } from "./teachers.ts";

/**
 * The training configuration of a supernet (stored in `Supernet.trainingConfig`): what to distil from, on which
 * images, for how long, with which losses and which subnet-sampling rule. Validated with `parseTrainingConfig`,
 * whose error names every bad field by its path. New fields must be optional or defaulted so stored configs stay
 * valid.
 */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be a sha256 hex digest of an artifact");
/**
 * A dataset: a built-in one by name (`BUILTIN_DATASETS`, e.g. "photos-train"), an absolute folder (HR images, or a
 * Set5/Set14/BSD100/Urban100/DIV2K layout with its LR files), an uploaded dataset archive ("artifact:<sha256>", a
 * tar or tar.gz of images uploaded as kind dataset), or "bundled" (older configs: the procedural sample set, its
 * train or val half by the field).
 */
const imageFolder = z.union([
  z.literal("bundled"),
  z.enum(BUILTIN_DATASETS),
  z
    .string()
    .refine(
      (p) => p.startsWith("/") || datasetArtifactSha(p) !== undefined,
      `must be an absolute path, "artifact:<sha256>" of an uploaded dataset or a built-in dataset ` +
        `(${BUILTIN_DATASETS.join(", ")}, bundled)`,
    ),
]);
const weight = z.number().min(0).max(1_000);

const scheduleSchema = z.discriminatedUnion("kind", [
  /** The base learning rate throughout. */
  z.strictObject({ kind: z.literal("constant"), warmupSteps: z.int().min(0).default(0) }),
  /** Multiplied by `gamma` every `everySteps` steps (ESRGAN's MultiStepLR with even milestones). */
  z.strictObject({
    kind: z.literal("step"),
    warmupSteps: z.int().min(0).default(0),
    everySteps: z.int().min(1),
    gamma: z.number().gt(0).max(1).default(0.5),
  }),
  /** Cosine from the base rate down to `minLr` over the run (after warmup). */
  z.strictObject({
    kind: z.literal("cosine"),
    warmupSteps: z.int().min(0).default(0),
    minLr: z.number().min(0).default(1e-7),
  }),
]);

const samplingSchema = z.discriminatedUnion("rule", [
  /** Per step: the largest and the smallest SubGenerator plus `random` uniformly sampled ones (BigNAS sandwich). */
  z.strictObject({ rule: z.literal("sandwich"), random: z.int().min(0).max(16).default(2) }),
  /**
   * Progressive shrinking (Once-for-All): each phase narrows the space to train (`space`, a narrowing of the
   * supernet's space) until its `untilStep`; within a phase the sandwich rule applies. The last phase runs to the end.
   */
  z.strictObject({
    rule: z.literal("progressive"),
    random: z.int().min(0).max(16).default(2),
    phases: z
      .array(z.strictObject({ untilStep: z.int().min(1), space: z.record(z.string(), z.unknown()) }))
      .min(1)
      .max(32),
  }),
]);

const rrdbnetTeacher = z.strictObject({
  kind: z.literal("rrdbnet"),
  /** Artifact sha256 of the ESRGAN teacher: RRDBNet safetensors with BasicSR parameter names. */
  weights: sha256,
  /** RRDB blocks. Default 23 (ESRGAN). */
  blocks: z.int().min(1).max(64).default(23),
  /** Feature channels. Default 64. */
  channels: z.int().min(1).max(1_024).default(64),
  /** Dense growth channels. Default 32. */
  growth: z.int().min(1).max(1_024).default(32),
});

const layersTeacher = z.strictObject({
  kind: z.literal("tfjs-layers"),
  /** npm package shipping the model, one of `TEACHER_PACKAGES` (installed with the project). Give it or `artifact`. */
  package: z.enum(TEACHER_PACKAGE_NAMES).optional(),
  /**
   * Artifact sha256 of an uploaded model.json whose `weightsManifest` paths are the sha256s of its uploaded weight
   * shards (each an artifact). Give it or `package`.
   */
  artifact: sha256.optional(),
  /**
   * Name of block k's output layer with `{k}` for 1, 2, ... (e.g. "RRDB_{k}_out"), for feature distillation.
   * Default: the package's; none for an artifact (feature distillation is then off).
   */
  featureLayers: z.string().regex(/\{k\}/, "must contain {k}").optional(),
  /** Upscale factor of the package's model to load. Must equal the config's `scale`. Default: `scale`. */
  scale: z.int().min(1).max(16).optional(),
  /** Pixel value range the model takes and returns. Must be the package's. Default: the package's. */
  valueRange: z.tuple([z.literal(0), z.union([z.literal(1), z.literal(255)])]).optional(),
  /** Input layout. Only NHWC RGB batches are supported. */
  input: z.literal("nhwc-rgb").default("nhwc-rgb"),
});

/**
 * The teacher: a TF.js layers model from an installed package (`kind: "tfjs-layers"`) or BasicSR RRDBNet weights
 * (`kind: "rrdbnet"`; configs written before teachers had kinds are RRDBNet ones and still parse).
 */
const teacherSchema = z.preprocess(
  (value) =>
    value !== null && typeof value === "object" && !("kind" in value) ? { kind: "rrdbnet", ...value } : value,
  z.discriminatedUnion("kind", [rrdbnetTeacher, layersTeacher]),
);

export const trainingConfigSchema = z
  .strictObject({
    /** Narrowing of the default search space (validated by the space itself); unset = the default space. */
    space: z.record(z.string(), z.unknown()).optional(),
    /** What to distil from (see `teacherSchema`). Default: @upscalerjs/esrgan-thick at the config's scale. */
    teacher: teacherSchema.default({ kind: "tfjs-layers", package: DEFAULT_TEACHER_PACKAGE, input: "nhwc-rgb" }),
    /** Artifact sha256 of torchvision VGG19 `features.{i}` weights; unset = perceptual loss off. */
    vggWeights: sha256.optional(),
    data: z.strictObject({ train: imageFolder, val: imageFolder }),
    /** SR factor of the trained SubGenerators and the teacher. Default 4. */
    scale: z.union([z.literal(2), z.literal(4)]).default(4),
    steps: z.int().min(1).max(10_000_000),
    /** HR patches per step. Default 16. */
    batch: z.int().min(1).max(1_024).default(16),
    /** HR patch side; a multiple of 4 x scale so that the down4 branch fits the LR patch. Default 128. */
    patchSize: z.int().min(8).max(1_024).default(128),
    optimizer: z
      .strictObject({
        /** Adam learning rate of the generator (and the adapters). Default 1e-4. */
        lr: z.number().gt(0).max(1),
        /** Adam learning rate of the discriminators. Default: the generator's. */
        discriminatorLr: z.number().gt(0).max(1).optional(),
        /** Adam betas. Default [0.9, 0.99] (ESRGAN). */
        betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.99]),
        /** Adam epsilon. Default 1e-8. */
        epsilon: z.number().gt(0).max(1).default(1e-8),
      })
      .default({ lr: 1e-4, betas: [0.9, 0.99], epsilon: 1e-8 }),
    schedule: scheduleSchema.default({ kind: "constant", warmupSteps: 0 }),
    losses: z
      .strictObject({
        pixel: weight.default(1),
        perceptual: weight.default(1),
        adversarial: weight.default(0.005),
        outputDistill: weight.default(1),
        featureDistill: weight.default(1),
        discriminatorDistill: weight.default(1),
      })
      .default({
        pixel: 1,
        perceptual: 1,
        adversarial: 0.005,
        outputDistill: 1,
        featureDistill: 1,
        discriminatorDistill: 1,
      }),
    discriminator: z
      .strictObject({
        /** Stride-2 layers of both PatchGANs. Default 3 (70x70). */
        layers: z.int().min(1).max(6).default(3),
        /** Base width of the teacher discriminator. Default 64. */
        teacherBaseWidth: z.int().min(1).max(512).default(64),
        /** Base width of the student discriminator (a first-k slice of the teacher's layout). Default 32. */
        studentBaseWidth: z.int().min(1).max(512).default(32),
      })
      .default({ layers: 3, teacherBaseWidth: 64, studentBaseWidth: 32 }),
    sampling: samplingSchema.default({ rule: "sandwich", random: 2 }),
    /** Steps between checkpoints. Default 1000. */
    checkpointEvery: z.int().min(1).default(1_000),
    /** Steps between validations of the largest and smallest SubGenerator. Default 1000. */
    evalEvery: z.int().min(1).default(1_000),
    /** Steps between progress records (Postgres, log line). Default 100. */
    logEvery: z.int().min(1).default(100),
    /** Seed of the weights, the patch sampler and the subnet sampling. Default 0. */
    seed: z.int().min(0).max(2_147_483_647).default(0),
  })
  .superRefine((c, ctx) => {
    if (c.teacher.kind === "tfjs-layers") checkLayersTeacher(c.teacher, c.scale, ctx);
    if (c.patchSize % (4 * c.scale) !== 0) {
      ctx.addIssue({
        code: "custom",
        path: ["patchSize"],
        message: `must be a multiple of 4 x scale = ${4 * c.scale} (the down4 branch runs at LR / 4), got ${c.patchSize}`,
      });
    }
    const minSide = 3 * 2 ** c.discriminator.layers;
    if (c.patchSize < minSide) {
      ctx.addIssue({
        code: "custom",
        path: ["patchSize"],
        message: `must be at least ${minSide} for a ${c.discriminator.layers}-layer PatchGAN, got ${c.patchSize}`,
      });
    }
    if (c.discriminator.studentBaseWidth > c.discriminator.teacherBaseWidth) {
      ctx.addIssue({
        code: "custom",
        path: ["discriminator", "studentBaseWidth"],
        message: `must not exceed teacherBaseWidth ${c.discriminator.teacherBaseWidth}`,
      });
    }
    if (c.sampling.rule === "progressive") {
      c.sampling.phases.forEach((phase, i) => {
        const before = c.sampling.rule === "progressive" ? c.sampling.phases[i - 1] : undefined;
        if (before && phase.untilStep <= before.untilStep) {
          ctx.addIssue({
            code: "custom",
            path: ["sampling", "phases", i, "untilStep"],
            message: `must be after the previous phase's ${before.untilStep}`,
          });
        }
      });
    }
  });

type Issue = { code: "custom"; path: (string | number)[]; message: string };

/** A layers teacher names exactly one source, and a package's own scale and value range are kept. */
function checkLayersTeacher(
  teacher: z.infer<typeof layersTeacher>,
  scale: number,
  ctx: { addIssue(issue: Issue): void },
): void {
  if ((teacher.package === undefined) === (teacher.artifact === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: ["teacher", "package"],
      message: "give either package (an installed teacher package) or artifact (an uploaded model.json)",
    });
    return;
  }
  if (teacher.scale !== undefined && teacher.scale !== scale) {
    ctx.addIssue({
      code: "custom",
      path: ["teacher", "scale"],
      message: `the teacher must upscale by the config's scale ${scale}, got ${teacher.scale}`,
    });
    return;
  }
  if (teacher.package === undefined) return;
  const known = TEACHER_PACKAGES[teacher.package];
  if (!(known.scales as readonly number[]).includes(scale)) {
    ctx.addIssue({
      code: "custom",
      path: ["teacher", "scale"],
      message: `${teacher.package} has no x${scale} model (it has ${known.scales.map((s) => `x${s}`).join(", ")})`,
    });
  }
  const range = teacher.valueRange;
  if (range !== undefined && range[1] !== known.valueRange[1]) {
    ctx.addIssue({
      code: "custom",
      path: ["teacher", "valueRange"],
      message: `${teacher.package} takes and returns pixels in [0, ${known.valueRange[1]}], not [0, ${range[1]}]`,
    });
  }
}

export type TrainingConfig = z.infer<typeof trainingConfigSchema>;
export type TrainingConfigInput = z.input<typeof trainingConfigSchema>;
export type LrSchedule = TrainingConfig["schedule"];

/** Validates a training config; the `invalid_input` error names every bad field by its path. */
export function parseTrainingConfig(value: unknown): TrainingConfig {
  const result = trainingConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const fields = issueMessages(result.error, "(config)");
  throw new MfnasError("invalid_input", `invalid training config: ${fields.join("; ")}`, { fields });
}

/**
 * Learning rate at `step` (0-based) of a run of `totalSteps`: linear warmup from base/warmup to base over
 * `warmupSteps`, then the schedule. Pure, so a resumed run gets the same rates.
 */
export function learningRateAt(base: number, schedule: LrSchedule, step: number, totalSteps: number): number {
  if (step < schedule.warmupSteps) return (base * (step + 1)) / schedule.warmupSteps;
  const after = step - schedule.warmupSteps;
  switch (schedule.kind) {
    case "constant":
      return base;
    case "step":
      return base * schedule.gamma ** Math.floor(after / schedule.everySteps);
    case "cosine": {
      const span = Math.max(1, totalSteps - schedule.warmupSteps);
      const t = Math.min(1, after / span);
      return schedule.minLr + 0.5 * (base - schedule.minLr) * (1 + Math.cos(Math.PI * t));
    }
  }
}
