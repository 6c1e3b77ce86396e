/**
 * A frozen teacher's outputs on a whole training image, computed once and reused by every training step: the SR
 * output (HR size) and the block outputs feature distillation uses (LR size). The LR image is run in tiles with a
 * margin of context on each side (only the tile's own area is kept), so memory stays bounded whatever the image
 * size. `teacherTargetsKey` names a result by what it depends on (LR pixels, teacher identity, scale, blocks,
 * tiling), so a cache keyed by it never serves a stale result; `encodeTeacherTargets` / `decodeTeacherTargets` are
 * its file format (safetensors, float32).
 */
import { createHash } from "node:crypto";
import { MfnasError } from "@mfnas/core";
import { readSafetensors, toFloat32, writeSafetensors, type SafetensorsInput } from "../nets/safetensors.ts";
import type { SrTeacher } from "../nets/sr-teacher.ts";
import type { Tensor4D, Tf } from "../tf.ts";
import type { RgbImage } from "./image-io.ts";

/** One block output over the whole LR image: height x width x channels, row-major. */
export interface TargetPlane {
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly data: Float32Array;
}

/** The teacher's outputs on one image. */
export interface TeacherTargets {
  /** SR output, HR size, 3 channels in [0, 1] (unclamped). */
  readonly sr: TargetPlane;
  /** Block outputs by teacher block index (0-based); only the blocks asked for. */
  readonly blocks: ReadonlyMap<number, TargetPlane>;
}

/** Options of `computeTeacherTargets`. */
export interface TeacherTargetOptions {
  /** Teacher blocks (0-based) whose outputs to keep. Default none. */
  blocks?: readonly number[];
  /** Side of the LR area each teacher call produces. Default 64. */
  tile?: number;
  /** LR pixels of context run on each side of a tile and then dropped. Default 8. */
  margin?: number;
  /** Told after each tile (for progress). */
  onTile?: (done: number, total: number) => void;
  /** Checked between tiles: an aborted signal stops the computation with its reason. */
  signal?: AbortSignal;
}

const DEFAULT_TILE = 64;
const DEFAULT_MARGIN = 8;

/** Stable key of the targets of `lr` under `teacher`, for a content-addressed cache (sha256 hex). */
export function teacherTargetsKey(lr: RgbImage, teacher: SrTeacher, options: TeacherTargetOptions = {}): string {
  const blocks = [...new Set(options.blocks ?? [])].sort((a, b) => a - b);
  const hash = createHash("sha256");
  hash.update(
    JSON.stringify({
      format: 1,
      teacher: teacher.identity,
      scale: teacher.scale,
      blocks,
      tile: options.tile ?? DEFAULT_TILE,
      margin: options.margin ?? DEFAULT_MARGIN,
      lr: [lr.height, lr.width],
    }),
  );
  hash.update(new Uint8Array(lr.data.buffer, lr.data.byteOffset, lr.data.byteLength));
  return hash.digest("hex");
}

/** Number of teacher calls `computeTeacherTargets` makes on an LR image of this size. */
export function teacherTileCount(height: number, width: number, tile = DEFAULT_TILE): number {
  return Math.ceil(height / tile) * Math.ceil(width / tile);
}

function copyRows(
  from: Float32Array,
  fromWidth: number,
  fromTop: number,
  fromLeft: number,
  to: TargetPlane,
  toTop: number,
  toLeft: number,
  rows: number,
  cols: number,
): void {
  const c = to.channels;
  for (let y = 0; y < rows; y++) {
    const src = ((fromTop + y) * fromWidth + fromLeft) * c;
    to.data.set(from.subarray(src, src + cols * c), ((toTop + y) * to.width + toLeft) * c);
  }
}

function plane(height: number, width: number, channels: number): TargetPlane {
  return { height, width, channels, data: new Float32Array(height * width * channels) };
}

/** Runs the frozen teacher over `lr` in tiles and assembles its SR output and the asked-for block outputs. */
export async function computeTeacherTargets(
  tf: Tf,
  teacher: SrTeacher,
  lr: RgbImage,
  options: TeacherTargetOptions = {},
): Promise<TeacherTargets> {
  const tile = options.tile ?? DEFAULT_TILE;
  const margin = options.margin ?? DEFAULT_MARGIN;
  const wanted = [...new Set(options.blocks ?? [])].sort((a, b) => a - b);
  const features = teacher.features;
  if (wanted.length > 0) {
    if (!features) throw new MfnasError("invalid_input", `teacher ${teacher.identity} exposes no block outputs`);
    if (features.downscale !== 1) {
      throw new MfnasError(
        "invalid_input",
        `teacher ${teacher.identity}: block outputs at LR / ${features.downscale} cannot be cut into patches`,
      );
    }
    const bad = wanted.find((b) => !Number.isInteger(b) || b < 0 || b >= features.count);
    if (bad !== undefined)
      throw new MfnasError("invalid_input", `teacher block ${bad} outside 0..${features.count - 1}`);
  }
  const s = teacher.scale;
  const sr = plane(lr.height * s, lr.width * s, 3);
  const blocks = new Map(wanted.map((b) => [b, plane(lr.height, lr.width, features?.channels ?? 0)]));
  const total = teacherTileCount(lr.height, lr.width, tile);
  let done = 0;
  for (let y0 = 0; y0 < lr.height; y0 += tile) {
    for (let x0 = 0; x0 < lr.width; x0 += tile) {
      if (options.signal?.aborted) throw options.signal.reason;
      const [y1, x1] = [Math.min(lr.height, y0 + tile), Math.min(lr.width, x0 + tile)];
      const [iy0, ix0] = [Math.max(0, y0 - margin), Math.max(0, x0 - margin)];
      const [iy1, ix1] = [Math.min(lr.height, y1 + margin), Math.min(lr.width, x1 + margin)];
      const [ih, iw] = [iy1 - iy0, ix1 - ix0];
      const window = new Float32Array(ih * iw * 3);
      for (let y = 0; y < ih; y++) {
        const src = ((iy0 + y) * lr.width + ix0) * 3;
        window.set(lr.data.subarray(src, src + iw * 3), y * iw * 3);
      }
      const input = tf.tensor4d(window, [1, ih, iw, 3]);
      let out: { sr: Tensor4D; blocks: Tensor4D[] } | undefined;
      try {
        out = teacher.run(tf, input, wanted.length > 0);
        const srData = (await out.sr.data()) as Float32Array;
        copyRows(srData, iw * s, (y0 - iy0) * s, (x0 - ix0) * s, sr, y0 * s, x0 * s, (y1 - y0) * s, (x1 - x0) * s);
        for (const b of wanted) {
          const data = (await (out.blocks[b] as Tensor4D).data()) as Float32Array;
          copyRows(data, iw, y0 - iy0, x0 - ix0, blocks.get(b) as TargetPlane, y0, x0, y1 - y0, x1 - x0);
        }
      } finally {
        tf.dispose([input, ...(out ? [out.sr, ...out.blocks] : [])]);
      }
      options.onTile?.(++done, total);
    }
  }
  return { sr, blocks };
}

/** The targets as one safetensors file (float32), with `metadata` in its header. */
export function encodeTeacherTargets(targets: TeacherTargets, metadata: Record<string, string> = {}): Uint8Array {
  const tensors: SafetensorsInput[] = [
    { name: "sr", shape: [targets.sr.height, targets.sr.width, 3], data: targets.sr.data },
    ...[...targets.blocks].map(([b, p]) => ({
      name: `block.${b}`,
      shape: [p.height, p.width, p.channels],
      data: p.data,
    })),
  ];
  return writeSafetensors(tensors, metadata);
}

/** Reads targets written by `encodeTeacherTargets`. */
export function decodeTeacherTargets(bytes: Uint8Array): TeacherTargets {
  const file = readSafetensors(bytes);
  const toPlane = (name: string): TargetPlane => {
    const t = file.tensors.get(name);
    if (!t || t.shape.length !== 3) throw new MfnasError("invalid_input", `teacher targets: no 3-d tensor ${name}`);
    const [height, width, channels] = t.shape as [number, number, number];
    return { height, width, channels, data: toFloat32(t) };
  };
  const blocks = new Map<number, TargetPlane>();
  for (const name of file.tensors.keys()) {
    const match = /^block\.(\d+)$/.exec(name);
    if (match) blocks.set(Number(match[1]), toPlane(name));
  }
  return { sr: toPlane("sr"), blocks };
}
