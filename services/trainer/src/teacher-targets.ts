/**
 * The frozen teacher's outputs on every training image, computed once and kept in the artifact store under a
 * cache key of what they depend on (the LR pixels, the teacher's identity and scale, the blocks kept, the tiling):
 * a second run, a resumed run or another supernet trained on the same images with the same teacher reads them back
 * instead of running the teacher again. Training steps cut their distillation targets out of these (the patch
 * sampler's `targets`), so the teacher never runs per step.
 */
import type { SearchSpace, TrainingConfig } from "@mfnas/core";
import {
  computeTeacherTargets,
  decodeTeacherTargets,
  distillationPairs,
  encodeTeacherTargets,
  teacherTargetsKey,
  teacherTileCount,
  type SrDataset,
  type SrTeacher,
  type TeacherTargets,
  type Tf,
} from "@mfnas/model";
import type { ArtifactPort } from "./trainer-store.ts";

/** Progress of `prepareTeacherTargets`, told after every teacher call and every image read from the cache. */
export interface TeacherTargetsProgress {
  /** Images done (computed or read back) and in all. */
  readonly images: number;
  readonly imagesTotal: number;
  /** Teacher calls (tiles) made so far, and the calls the images not found in the cache need in all. */
  readonly tiles: number;
  readonly tilesTotal: number;
  /** Images read back from the cache so far. */
  readonly reused: number;
}

export interface PreparedTeacherTargets {
  /** Targets by dataset index. */
  readonly targets: readonly TeacherTargets[];
  /** Images whose targets were computed now, and read back from the cache. */
  readonly computed: number;
  readonly reused: number;
}

export interface PrepareTeacherTargetsOptions {
  /** Teacher blocks to keep (see `distilledTeacherBlocks`). Default none. */
  blocks?: readonly number[];
  onProgress?: (progress: TeacherTargetsProgress) => void;
  /** Stops between teacher calls with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Teacher blocks feature distillation reads for some student of the space: every student depth's pairing (see
 * `distillationPairs`). None when the teacher exposes no block outputs or feature distillation is off.
 */
export function distilledTeacherBlocks(space: SearchSpace, config: TrainingConfig, teacher: SrTeacher): number[] {
  const features = teacher.features;
  if (!features || config.losses.featureDistill === 0) return [];
  const blocks = new Set<number>();
  for (let depth = space.depth.min; depth <= space.depth.max; depth++) {
    for (const b of distillationPairs(depth, features.count)) blocks.add(b);
  }
  return [...blocks].sort((a, b) => a - b);
}

/**
 * Targets of every image of `dataset`: read from the artifact store where they are cached, otherwise computed (in
 * tiles, see `computeTeacherTargets`) and stored as a "dataset" artifact with the cache key in its metadata.
 */
export async function prepareTeacherTargets(
  tf: Tf,
  teacher: SrTeacher,
  dataset: SrDataset,
  artifacts: ArtifactPort,
  options: PrepareTeacherTargetsOptions = {},
): Promise<PreparedTeacherTargets> {
  const blocks = options.blocks ?? [];
  const n = dataset.entries.length;
  const pending: { index: number; key: string; tiles: number }[] = [];
  const targets: TeacherTargets[] = new Array<TeacherTargets>(n);
  let reused = 0;
  let tiles = 0;
  let tilesTotal = 0;
  const report = (images: number) => options.onProgress?.({ images, imagesTotal: n, tiles, tilesTotal, reused });
  for (let index = 0; index < n; index++) {
    const { lr } = await dataset.load(index);
    const key = teacherTargetsKey(lr, teacher, { blocks });
    const sha = await artifacts.findByCacheKey(key);
    if (sha !== null) {
      targets[index] = decodeTeacherTargets(await artifacts.get(sha));
      reused += 1;
      report(reused);
    } else {
      pending.push({ index, key, tiles: teacherTileCount(lr.height, lr.width) });
    }
  }
  tilesTotal = pending.reduce((sum, p) => sum + p.tiles, 0);
  for (const [i, { index, key }] of pending.entries()) {
    const { name } = dataset.entries[index] ?? { name: String(index) };
    const { lr } = await dataset.load(index);
    const before = tiles;
    const computed = await computeTeacherTargets(tf, teacher, lr, {
      blocks,
      signal: options.signal,
      onTile: (done) => {
        tiles = before + done;
        report(reused + i);
      },
    });
    await artifacts.put({
      bytes: encodeTeacherTargets(computed, { cacheKey: key, teacher: teacher.identity, image: name }),
      kind: "dataset",
      mediaType: "application/vnd.safetensors",
      metadata: { cacheKey: key, teacher: teacher.identity, image: name, role: "teacher-targets" },
    });
    targets[index] = computed;
    report(reused + i + 1);
  }
  return { targets, computed: pending.length, reused };
}
