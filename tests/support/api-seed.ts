// Rows a finished search would have written, for API tests and the API benchmark: architectures, candidates and
// generations as the searcher writes them, then quality and latency figures as the evaluator and device lab do.
import {
  COST_MODEL_VERSION,
  DEFAULT_SEARCH_SPACE,
  createRng,
  encodeGenome,
  genomeCost,
  genomeHash,
  sampleGenome,
  type CostReport,
} from "@mfnas/core";
import type { Db } from "@mfnas/store";

export interface SeededSearch {
  readonly id: string;
  readonly target: string;
  readonly candidates: number;
  readonly generations: number;
}

/**
 * A search with `candidates` distinct SubGenerators over `generations` generations, each with a PSNR and SSIM and
 * a latency row on `target`: predicted for every candidate, measured for every third one. Quality and latency
 * both grow with MACs (plus seeded noise), so the front is a real trade-off curve.
 */
export async function seedSearchResults(
  db: Db,
  options: { candidates: number; generations?: number; target?: string; seed?: number; name?: string },
): Promise<SeededSearch> {
  const target = options.target ?? "pixel-7";
  const generations = options.generations ?? 10;
  const rng = createRng(options.seed ?? 1);
  const spec = {
    name: options.name ?? "seeded",
    seed: 0,
    targets: [{ deviceClass: target }],
    budget: { generations, population: Math.ceil(options.candidates / generations) },
  };
  const { id } = await db.search.create({ data: { name: spec.name, spec, seed: 0 }, select: { id: true } });
  const seen = new Set<string>();
  const perGeneration = Math.ceil(options.candidates / generations);
  for (let index = 0; index < generations && seen.size < options.candidates; index++) {
    const members: Array<{ genome: object; hash: string; encoded: string; cost: CostReport }> = [];
    while (members.length < perGeneration && seen.size < options.candidates) {
      const genome = sampleGenome(DEFAULT_SEARCH_SPACE, rng);
      const hash = genomeHash(genome);
      if (seen.has(hash)) continue;
      seen.add(hash);
      members.push({ genome, hash, encoded: encodeGenome(genome), cost: genomeCost(genome, 32, 32) });
    }
    await db.architecture.createMany({
      data: members.map((m) => ({
        hash: m.hash,
        genome: m.genome,
        costModelVersion: COST_MODEL_VERSION,
        params: BigInt(m.cost.params),
        macs: BigInt(m.cost.macs),
        peakActivationBytes: BigInt(m.cost.peakActivationBytes),
        memoryTrafficBytes: BigInt(m.cost.memoryTrafficBytes),
        referenceInputHeight: 32,
        referenceInputWidth: 32,
      })),
      skipDuplicates: true,
    });
    await db.candidate.createMany({
      data: members.map((m) => ({
        searchId: id,
        generationIndex: index,
        genome: m.genome,
        genomeHash: m.hash,
      })),
    });
    await db.generation.create({
      data: { searchId: id, index, population: members.map((m) => ({ hash: m.hash, genome: m.encoded })), front: [] },
    });
  }
  await db.search.update({
    where: { id },
    data: { status: "succeeded", lastGeneration: generations - 1, finishedAt: new Date() },
  });
  const rows = await db.candidate.findMany({
    where: { searchId: id },
    select: { id: true, architecture: { select: { macs: true } } },
  });
  const latencies = [];
  const updates = [];
  for (const [i, row] of rows.entries()) {
    const gmacs = Number(row.architecture.macs) / 1e9;
    const psnr = 24 + 4 * Math.log1p(gmacs * 50) + rng.nextFloat();
    updates.push(
      db.candidate.update({
        where: { id: row.id },
        data: { psnr, ssim: Math.min(0.99, 0.6 + psnr / 100), rank: null, feasible: true },
      }),
    );
    const predictedMs = 5 + gmacs * 400 + 3 * rng.nextFloat();
    latencies.push({
      candidateId: row.id,
      target,
      predictedMs,
      predictedStdMs: 0.5,
      predictorVersion: "seed",
      measuredMs: i % 3 === 0 ? predictedMs * (0.9 + 0.2 * rng.nextFloat()) : null,
    });
  }
  for (let i = 0; i < updates.length; i += 500) await db.$transaction(updates.slice(i, i + 500));
  for (let i = 0; i < latencies.length; i += 1000) {
    await db.candidateLatency.createMany({ data: latencies.slice(i, i + 1000) });
  }
  return { id, target, candidates: rows.length, generations };
}
