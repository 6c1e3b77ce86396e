/**
 * The pretrained teacher on the real photographs: x4 Y-PSNR / SSIM of esrgan-thick against MATLAB bicubic on each
 * validation photograph (whole image, run in 64x64 LR tiles with an 8-pixel margin, 4-pixel border crop), the time
 * per tile, and the time to build the teacher targets of the training photographs for the default search space
 * (what a first training run spends before its first step; later runs read them from the artifact store).
 *
 *   npx tsx bench/teacher-quality.ts
 */
import { availableParallelism, loadavg } from "node:os";
import * as tfCore from "@tensorflow/tfjs-core";
import { DEFAULT_SEARCH_SPACE, parseTrainingConfig } from "@mfnas/core";
import {
  computeTeacherTargets,
  createImage,
  imresize,
  loadPackageTeacher,
  openDataset,
  psnrY,
  selectBackend,
  ssimY,
  teacherTileCount,
} from "@mfnas/model";
import { distilledTeacherBlocks, prepareTeacherTargets, type ArtifactPort } from "@mfnas/trainer";

const { tf, name } = await selectBackend(tfCore, { prefer: "wasm" });
console.log(`backend ${name}, ${availableParallelism()} cores, load average ${loadavg()[0]?.toFixed(1)}`);
const teacher = await loadPackageTeacher(tf, "@upscalerjs/esrgan-thick", 4);
console.log(`${teacher.identity}: ${teacher.cost.params} params, ${teacher.cost.macsPerLrPixel} MACs per LR pixel`);

const val = await openDataset("photos-val", { scale: 4 });
const rows: { name: string; teacher: number; bicubic: number; ssimT: number; ssimB: number }[] = [];
let tileMs = 0;
let tiles = 0;
for (let i = 0; i < val.entries.length; i++) {
  const { name: image, hr, lr } = await val.load(i);
  const started = performance.now();
  const out = await computeTeacherTargets(tf, teacher, lr);
  tileMs += performance.now() - started;
  tiles += teacherTileCount(lr.height, lr.width);
  const sr = createImage(out.sr.height, out.sr.width, out.sr.data);
  const bicubic = imresize(lr, { scale: 4 });
  rows.push({
    name: image,
    teacher: psnrY(sr, hr, { cropBorder: 4 }),
    bicubic: psnrY(bicubic, hr, { cropBorder: 4 }),
    ssimT: ssimY(sr, hr, { cropBorder: 4 }),
    ssimB: ssimY(bicubic, hr, { cropBorder: 4 }),
  });
}
for (const r of rows) {
  console.log(
    `${r.name}: teacher ${r.teacher.toFixed(2)} dB / ${r.ssimT.toFixed(4)}, bicubic ${r.bicubic.toFixed(2)} dB / ` +
      `${r.ssimB.toFixed(4)}, gain ${(r.teacher - r.bicubic).toFixed(2)} dB`,
  );
}
const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
console.log(
  `mean: teacher ${mean((r) => r.teacher).toFixed(2)} dB, bicubic ${mean((r) => r.bicubic).toFixed(2)} dB, ` +
    `gain ${mean((r) => r.teacher - r.bicubic).toFixed(2)} dB; ${(tileMs / tiles / 1000).toFixed(2)} s per tile ` +
    `(${tiles} tiles of up to 64x64 LR + 8 px margin)`,
);

const memory = new Map<string, Uint8Array>();
const keys = new Map<string, string>();
const artifacts: ArtifactPort = {
  get: (sha) => Promise.resolve(memory.get(sha) ?? new Uint8Array()),
  findByCacheKey: (key) => Promise.resolve(keys.get(key) ?? null),
  put: ({ bytes, metadata }) => {
    const sha = String(metadata?.cacheKey);
    memory.set(sha, bytes);
    keys.set(sha, sha);
    return Promise.resolve({ sha256: sha });
  },
};
const train = await openDataset("photos-train", { scale: 4 });
const config = parseTrainingConfig({ data: { train: "photos-train", val: "photos-val" }, steps: 1 });
const blocks = distilledTeacherBlocks(DEFAULT_SEARCH_SPACE, config, teacher);
const started = performance.now();
const built = await prepareTeacherTargets(tf, teacher, train, artifacts, { blocks });
const seconds = (performance.now() - started) / 1000;
const bytes = [...memory.values()].reduce((s, b) => s + b.byteLength, 0);
console.log(
  `teacher targets of ${built.computed} training photographs (blocks ${blocks.join(",")}): ${seconds.toFixed(0)} s, ` +
    `${(bytes / 2 ** 20).toFixed(0)} MiB; load average ${loadavg()[0]?.toFixed(1)}`,
);
const again = performance.now();
await prepareTeacherTargets(tf, teacher, train, artifacts, { blocks });
console.log(`second preparation (all cached): ${((performance.now() - again) / 1000).toFixed(1)} s`);
teacher.dispose();
