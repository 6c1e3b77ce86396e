/**
 * The quality table of a searched front, the way MFAGAN reports it: for each front member of a main-job run
 * (mfnas-output/front.json by default) its Y-PSNR on the validation photographs, trainable params, MACs per LR
 * pixel, peak activation memory and memory traffic at a 64x64 LR input, and compute and memory saved against the
 * pretrained esrgan-thick x4 teacher and against ESRGAN (23 RRDB blocks). Cost figures come from the exact cost
 * model; PSNR from the search's stored objectives.
 *
 *   npx tsx bench/quality-table.ts [front.json]
 */
import { readFile } from "node:fs/promises";
import { DEFAULT_SEARCH_SPACE, decodeGenome, esrganCost, genomeCost } from "@mfnas/core";

/** The esrgan-thick x4 teacher, counted from its layers (packages/model sr-teacher.test.ts checks these). */
const TEACHER = { params: 7_260_740, macsPerPixel: 7_256_016 };
const SIDE = 64;

interface FrontFile {
  axes: { name: string }[];
  /** `ssim`: the member's Y-SSIM (front.json files written before it was added lack it). */
  front: { genome: string; objectives: number[]; ssim?: number | null }[];
}

const file = process.argv[2] ?? "mfnas-output/front.json";
const data = JSON.parse(await readFile(file, "utf8")) as FrontFile;
const psnrAxis = data.axes.findIndex((a) => a.name === "psnr");
const pixels = SIDE * SIDE;
const esrgan = esrganCost(SIDE, SIDE, { scale: 4 });
const rows = data.front
  .map((m) => ({
    genome: m.genome,
    psnr: -(m.objectives[psnrAxis] ?? NaN),
    ssim: m.ssim ?? NaN,
    cost: genomeCost(decodeGenome(m.genome, DEFAULT_SEARCH_SPACE), SIDE, SIDE),
  }))
  .sort((a, b) => b.psnr - a.psnr);
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
console.log(
  `ESRGAN: ${esrgan.params} params, ${(esrgan.macs / pixels).toFixed(0)} MACs per LR pixel, peak ${mb(esrgan.peakActivationBytes)} MiB, traffic ${mb(esrgan.memoryTrafficBytes)} MiB`,
);
console.log(
  "| SubGenerator | Y-PSNR dB | Y-SSIM | params | MACs / LR px | peak act. MiB | traffic MiB | MACs vs teacher | MACs vs ESRGAN | peak vs ESRGAN | traffic vs ESRGAN |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) {
  const perPixel = r.cost.macs / pixels;
  console.log(
    `| \`${r.genome.replaceAll("|", "\\|")}\` | ${r.psnr.toFixed(2)} | ${Number.isNaN(r.ssim) ? "–" : r.ssim.toFixed(4)} | ${r.cost.params.toLocaleString("en")} | ${Math.round(perPixel).toLocaleString("en")} | ` +
      `${mb(r.cost.peakActivationBytes)} | ${mb(r.cost.memoryTrafficBytes)} | ${(TEACHER.macsPerPixel / perPixel).toFixed(1)}x | ` +
      `${(esrgan.macs / r.cost.macs).toFixed(1)}x | ${(esrgan.peakActivationBytes / r.cost.peakActivationBytes).toFixed(2)}x | ` +
      `${(esrgan.memoryTrafficBytes / r.cost.memoryTrafficBytes).toFixed(1)}x |`,
  );
}
