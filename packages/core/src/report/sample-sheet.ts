/** The panels of a sample sheet, left to right. */
export const SAMPLE_PANELS = ["bicubic", "subgenerator", "teacher", "hr"] as const;
export type SamplePanel = (typeof SAMPLE_PANELS)[number];

/**
 * The sample crops of one evaluation, as stored on its row: a PNG artifact of HR-sized panels left to right
 * (bicubic | SubGenerator | teacher | HR) of one window of a validation image.
 */
export interface SampleSheetInfo {
  /** The PNG artifact. */
  readonly sha256: string;
  /** Validation image the window is taken from, and the scale. */
  readonly image: string;
  readonly scale: number;
  /** The window in HR pixels. */
  readonly window: { readonly top: number; readonly left: number; readonly size: number };
  /** Panels in order, each with its Y-PSNR against the HR window (null for the HR panel itself). */
  readonly panels: readonly { readonly name: SamplePanel; readonly psnrY: number | null }[];
  /** Why the teacher's panel is missing, when it is. */
  readonly teacherMissing?: string;
}
