import path from "node:path";
import { esrganCost, renderFrontSvg, renderTable } from "@mfnas/core";
import { ValidationSets } from "@mfnas/evaluator";
import { clipImage01, imresize, srMetrics } from "@mfnas/model";
import { LocalArtifactStore, SearchQueryRepository, type Db } from "@mfnas/store";

/** The stored result of a search (the searcher's SearchResult, read back from Postgres). */
export interface SearchReport {
  readonly searchId: string;
  readonly status: string;
  readonly result: {
    axes: { name: string; unit: string; negated: boolean }[];
    measurementsRequested: number;
    front: {
      hash: string;
      genome: string;
      objectives: number[];
      params: number;
      macs: number;
      /** Cost model at the reference input (absent from results stored before they were recorded). */
      peakActivationBytes?: number;
      memoryTrafficBytes?: number;
      latency: Record<string, { searchMs: number | null; finalMs: number | null }>;
      exports: Partial<Record<"tflite" | "onnx" | "tfjs", string>>;
    }[];
  } | null;
  readonly candidates: readonly {
    genomeHash: string;
    psnr: number | null;
    ssim: number | null;
    feasible: boolean | null;
    latencies: readonly { target: string; measuredMs: number | null }[];
  }[];
}

interface ReportDeps {
  readonly db: Db;
  readonly artifactDir: string;
  readonly outputDir: string;
  /** The search's validation set: the bicubic line is computed on the same images. */
  readonly validationSet: string;
  readonly write: (file: string, data: string | Uint8Array) => Promise<void>;
}

/**
 * Bicubic x4 Y-PSNR on the search's validation set, read and cropped exactly as the evaluator does (clipped to
 * [0, 1], border of 4 cropped): the line a SubGenerator must beat.
 */
async function bicubicPsnr(validationSet: string): Promise<number> {
  const set = await new ValidationSets(undefined).get(validationSet, 4);
  let sum = 0;
  for (const image of set.images) {
    sum += srMetrics(clipImage01(imresize(image.lr, { scale: 4 })), image.hr, { scale: 4 }).psnrY;
  }
  return sum / set.images.length;
}

/** Prints the Pareto front as a table, writes it as SVG and JSON, and exports the best SubGenerator's files. */
export async function printFront(report: SearchReport, deps: ReportDeps): Promise<void> {
  const result = report.result;
  if (!result || result.front.length === 0) {
    console.log(`search ${report.status}: no feasible front to report`);
    return;
  }
  const target = Object.keys(result.front[0]?.latency ?? {})[0] ?? "";
  const psnrAxis = result.axes.findIndex((a) => a.name === "psnr");
  const psnrOf = (m: (typeof result.front)[number]) => (psnrAxis >= 0 ? -(m.objectives[psnrAxis] ?? NaN) : NaN);
  const esrgan = esrganCost(64, 64, { scale: 4 });
  const front = [...result.front].sort((a, b) => psnrOf(b) - psnrOf(a));
  const bicubic = await bicubicPsnr(deps.validationSet);
  console.log(
    `\nPareto front (${front.length} SubGenerators; Y-PSNR on ${deps.validationSet}, latency on ${target}, ` +
      `64x64 LR input, x4; bicubic ${bicubic.toFixed(2)} dB; ${result.measurementsRequested} device measurements)`,
  );
  // The teacher's size, as the trainer recorded it with the supernet's latest checkpoint.
  const checkpoint = await deps.db.supernetCheckpoint.findFirst({
    where: { supernet: { searches: { some: { id: report.searchId } } } },
    orderBy: { step: "desc" },
    select: { metrics: true },
  });
  const teacherMetrics = (checkpoint?.metrics ?? {}) as { teacherParams?: number; teacherMacsPerLrPixel?: number };
  const teacherMacs = (teacherMetrics.teacherMacsPerLrPixel ?? NaN) * 64 * 64;
  if (Number.isFinite(teacherMacs)) {
    console.log(
      `teacher: ${((teacherMetrics.teacherParams ?? NaN) / 1e6).toFixed(2)} M params, ` +
        `${(teacherMacs / 1e9).toFixed(1)} GMACs at 64x64 (ESRGAN: ${(esrgan.params / 1e6).toFixed(2)} M, ` +
        `${(esrgan.macs / 1e9).toFixed(1)} GMACs)`,
    );
  } else {
    console.log("teacher: its size is not recorded with this supernet (trained before checkpoints recorded it)");
  }

  const saving = (theirs: number, ours: number | undefined, digits: number) =>
    ours === undefined ? "-" : `${(theirs / ours).toFixed(digits)}x less`;
  console.log(
    renderTable(
      [
        ...["#", "genome", "Y-PSNR dB", "ms (search)", "ms (final)", "params K", "GMACs", "MACs vs ESRGAN"],
        ...["vs teacher", "peak act. MB", "peak vs ESRGAN", "mem. traffic MB", "traffic vs ESRGAN"],
      ],
      front.map((m, i) => [
        i + 1,
        m.genome,
        psnrOf(m),
        m.latency[target]?.searchMs ?? NaN,
        m.latency[target]?.finalMs ?? NaN,
        m.params / 1e3,
        m.macs / 1e9,
        saving(esrgan.macs, m.macs, 0),
        Number.isFinite(teacherMacs) ? `${(teacherMacs / m.macs).toFixed(0)}x less` : "–",
        (m.peakActivationBytes ?? NaN) / 1e6,
        saving(esrgan.peakActivationBytes, m.peakActivationBytes, 2),
        (m.memoryTrafficBytes ?? NaN) / 1e6,
        saving(esrgan.memoryTrafficBytes, m.memoryTrafficBytes, 0),
      ]),
    ),
  );
  console.log(
    `ESRGAN at 64x64, x4: peak activation memory ${(esrgan.peakActivationBytes / 1e6).toFixed(1)} MB, memory ` +
      `traffic (memory access cost) ${(esrgan.memoryTrafficBytes / 1e6).toFixed(0)} MB (cost model; MB = 10^6 bytes)`,
  );
  const frontHashes = new Set(front.map((m) => m.hash));
  const points = report.candidates.flatMap((c) => {
    const ms = c.latencies.find((l) => l.target === target)?.measuredMs;
    if (c.psnr === null || ms === null || ms === undefined) return [];
    return [{ x: ms, y: c.psnr, front: frontHashes.has(c.genomeHash), label: c.genomeHash.slice(0, 12) }];
  });
  const svg = renderFrontSvg(points, {
    title: `mfnas search ${report.searchId.slice(0, 8)}: quality vs latency on ${target}`,
    xLabel: `latency on ${target} (ms, fastest run)`,
    yLabel: "Y-PSNR (dB)",
    yReference: { value: bicubic, label: `bicubic ${bicubic.toFixed(2)} dB` },
  });
  const plot = path.join(deps.outputDir, "front.svg");
  await deps.write(plot, svg);
  // The stored result, each front member with its Y-SSIM beside the objectives (what the quality table reads).
  const ssimOf = new Map(report.candidates.map((c) => [c.genomeHash, c.ssim]));
  const withSsim = { ...result, front: result.front.map((m) => ({ ...m, ssim: ssimOf.get(m.hash) ?? null })) };
  await deps.write(path.join(deps.outputDir, "front.json"), JSON.stringify(withSsim, null, 2));
  const best = front[0];
  const artifacts = new LocalArtifactStore(deps.artifactDir, deps.db);
  const written = [plot, path.join(deps.outputDir, "front.json")];
  for (const [format, sha] of Object.entries(best?.exports ?? {})) {
    if (!sha || format === "tfjs") continue;
    const file = path.join(deps.outputDir, `best.${format}`);
    await deps.write(file, await artifacts.get(sha));
    written.push(file);
  }
  // Each front member's sample crops (bicubic | SubGenerator | teacher | HR), as its evaluation stored them.
  const queries = new SearchQueryRepository(deps.db);
  const sheets: string[] = [];
  for (const [i, m] of front.entries()) {
    const found = await queries.samplesOf(report.searchId, m.hash);
    const samples = found?.samples as { sha256: string; panels: { name: string; psnrY: number | null }[] } | undefined;
    if (!samples) continue;
    const file = path.join(deps.outputDir, "samples", `${String(i + 1).padStart(2, "0")}-${m.hash.slice(0, 12)}.png`);
    await deps.write(file, await artifacts.get(samples.sha256));
    sheets.push(file);
    const figures = samples.panels.map((p) => `${p.name} ${p.psnrY === null ? "" : p.psnrY.toFixed(2)}`.trim());
    if (i === 0) console.log(`sample crops of the best (Y-PSNR on the window): ${figures.join(" | ")}`);
  }
  if (sheets.length < front.length) {
    console.log(`sample crops: ${front.length - sheets.length} of ${front.length} front members have none stored`);
  }
  written.push(...sheets);
  if (best) console.log(`best SubGenerator: ${best.genome} (${psnrOf(best).toFixed(2)} dB Y-PSNR)`);
  console.log(`wrote ${written.map((f) => path.relative(process.cwd(), f)).join(", ")}`);
  if (sheets.length > 0) {
    console.log(`sample crops (bicubic | SubGenerator | teacher | HR) of ${sheets.length} front members in samples/`);
  }
}
