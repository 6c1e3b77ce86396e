/**
 * Sample crops of one evaluation, as SR papers show them: bicubic | SubGenerator | teacher | HR on the most detailed
 * window of the validation set's first image, written as one PNG artifact and described on the Evaluation row.
 * The teacher's panel depends only on the teacher and the image, so it is computed once and cached in the artifact
 * store by what it was computed from; a teacher that cannot be loaded leaves its panel out, and says why.
 */
import { createHash } from "node:crypto";
import { canonicalJson, errorMessage, parseTrainingConfig, type SamplePanel, type SampleSheetInfo } from "@mfnas/core";
import {
  clipImage01,
  createImage,
  cropHrWindow,
  cropImage,
  decodeImage,
  encodePng,
  imresize,
  loadConfiguredTeacher,
  pickSampleWindow,
  sideBySide,
  srMetrics,
  type LrWindow,
  type RgbImage,
  type SrTeacher,
  type Tf,
} from "@mfnas/model";
import type { WorkerLog } from "@mfnas/queue";
import type { SampleArtifacts } from "./evaluator-store.ts";
import type { ValidationImage } from "./validation-sets.ts";

/** LR side of the window shown (128 HR pixels at x4). */
const SAMPLE_LR_SIDE = 32;
/** LR context around the window the teacher sees, so its panel has no border effects of its own. */
const TEACHER_MARGIN = 8;
const CACHE_VERSION = "sample-teacher/1";

/** The teacher of each supernet's training config, loaded on first need and kept (one at a time). */
export class SampleTeachers {
  #key: string | undefined;
  #teacher: Promise<SrTeacher> | undefined;

  constructor(
    private readonly tf: Tf,
    private readonly artifacts: SampleArtifacts,
  ) {}

  /** The teacher a training config names; rejects with the config field at fault. */
  get(trainingConfig: unknown): Promise<SrTeacher> {
    const config = parseTrainingConfig(trainingConfig);
    const key = canonicalJson({ teacher: config.teacher, scale: config.scale });
    if (key !== this.#key || !this.#teacher) {
      this.dispose();
      this.#key = key;
      this.#teacher = loadConfiguredTeacher(this.tf, config, (sha) => this.artifacts.get(sha));
      // A failed load is not kept: the next evaluation tries again.
      this.#teacher.catch(() => {
        if (this.#key === key) this.#key = undefined;
      });
    }
    return this.#teacher;
  }

  dispose(): void {
    const old = this.#teacher;
    this.#teacher = undefined;
    this.#key = undefined;
    void old?.then((t) => t.dispose()).catch(() => undefined);
  }
}

async function teacherPanel(
  tf: Tf,
  teacher: SrTeacher,
  lr: RgbImage,
  window: LrWindow,
  artifacts: SampleArtifacts,
): Promise<RgbImage> {
  const scale = teacher.scale;
  const top = Math.max(0, window.top - TEACHER_MARGIN);
  const left = Math.max(0, window.left - TEACHER_MARGIN);
  const bottom = Math.min(lr.height, window.top + window.side + TEACHER_MARGIN);
  const right = Math.min(lr.width, window.left + window.side + TEACHER_MARGIN);
  const patch = cropImage(lr, top, left, bottom - top, right - left);
  const digest = createHash("sha256").update(patch.data).digest("hex");
  const cacheKey = `${CACHE_VERSION}:${teacher.identity}:${digest}:${window.top - top},${window.left - left},${window.side}`;
  const cached = await artifacts.findByCacheKey(cacheKey);
  if (cached) return decodeImage(await artifacts.get(cached), `teacher sample ${cached}`);
  const sr = tf.tidy(() => {
    const out = teacher.run(tf, tf.tensor4d(patch.data, [1, patch.height, patch.width, 3], "float32"), false);
    return tf.clipByValue(out.sr, 0, 1);
  });
  let full: RgbImage;
  try {
    full = createImage(patch.height * scale, patch.width * scale, (await sr.data()) as Float32Array);
  } finally {
    sr.dispose();
  }
  const panel = cropImage(
    full,
    (window.top - top) * scale,
    (window.left - left) * scale,
    window.side * scale,
    window.side * scale,
  );
  await artifacts.put({
    bytes: await encodePng(panel),
    kind: "report",
    mediaType: "image/png",
    metadata: { cacheKey, report: "teacher-sample", teacher: teacher.identity },
  });
  return panel;
}

export interface SampleSheetInput {
  readonly tf: Tf;
  readonly image: ValidationImage;
  /** The SubGenerator's SR of the whole image, as it was scored. */
  readonly sr: RgbImage;
  readonly scale: number;
  readonly genomeHash: string;
  /** The supernet's training config (names its teacher). */
  readonly trainingConfig: unknown;
  readonly teachers: SampleTeachers;
  readonly artifacts: SampleArtifacts;
  readonly log: WorkerLog;
}

/** Builds, stores and describes the sample sheet of one evaluation. */
export async function writeSampleSheet(input: SampleSheetInput): Promise<SampleSheetInfo> {
  const { image, scale } = input;
  const window = pickSampleWindow(image.hr, scale, SAMPLE_LR_SIDE);
  const hr = cropHrWindow(image.hr, window, scale);
  const panels: { name: SamplePanel; image: RgbImage }[] = [
    { name: "bicubic", image: cropHrWindow(clipImage01(imresize(image.lr, { scale })), window, scale) },
    { name: "subgenerator", image: cropHrWindow(input.sr, window, scale) },
  ];
  let teacherMissing: string | undefined;
  try {
    const teacher = await input.teachers.get(input.trainingConfig);
    if (teacher.scale !== scale) {
      throw new Error(`the teacher upscales x${teacher.scale} and this SubGenerator x${scale}`);
    }
    panels.push({ name: "teacher", image: await teacherPanel(input.tf, teacher, image.lr, window, input.artifacts) });
  } catch (error) {
    teacherMissing = errorMessage(error);
    input.log.warn("sample crops without the teacher's panel", { genomeHash: input.genomeHash, why: teacherMissing });
  }
  panels.push({ name: "hr", image: hr });
  const sheet = sideBySide(panels.map((p) => p.image));
  const stored = await input.artifacts.put({
    bytes: await encodePng(sheet),
    kind: "report",
    mediaType: "image/png",
    metadata: { report: "sample-crops", sampleOf: input.genomeHash, image: image.name },
  });
  return {
    sha256: stored.sha256,
    image: image.name,
    scale,
    window: { top: window.top * scale, left: window.left * scale, size: window.side * scale },
    panels: panels.map((p) => ({
      name: p.name,
      psnrY: p.name === "hr" ? null : srMetrics(p.image, hr, { scale }).psnrY,
    })),
    ...(teacherMissing !== undefined ? { teacherMissing } : {}),
  };
}
