import { createHash } from "node:crypto";
import {
  COST_MODEL_VERSION,
  DEFAULT_SEARCH_SPACE,
  MfnasError,
  createRng,
  encodeGenome,
  genomeCost,
  genomeHash,
  narrowSpace,
  parseSearchSpec,
  sampleGenome,
  type SearchSpace,
  type SearchSpec,
} from "@mfnas/core";
import { throwIfAborted, type JobContext, type WorkerLog } from "@mfnas/queue";
import type { EvaluatedGenome, SearchStore } from "./search-store.ts";

export interface SearchRunResources {
  readonly store: SearchStore;
  readonly log: WorkerLog;
}

/**
 * Seed of one generation's random stream, derived from the search seed and the generation index, so that a
 * resumed search draws exactly what an uninterrupted one would have drawn.
 */
export function generationSeed(searchSeed: number, generation: number): number {
  return createHash("sha256").update(`${searchSeed}/${generation}`).digest().readUInt32BE(0);
}

function spaceOf(spec: SearchSpec): SearchSpace {
  if (!spec.space) return DEFAULT_SEARCH_SPACE;
  return narrowSpace(DEFAULT_SEARCH_SPACE, spec.space);
}

/**
 * `search.run`: runs a search generation by generation. Each generation is written whole, in one transaction,
 * and the search resumes after the last one written, so a worker killed at any moment loses at most the
 * generation in flight and never writes one twice.
 *
 * The foundation's search samples SubGenerators uniformly from the space and computes their exact cost figures;
 * quality comes from the evaluator and latency from the device lab.
 */
export function createSearchRunHandler(resources: SearchRunResources) {
  const { store, log } = resources;
  return async function searchRun(ctx: JobContext<"search.run">): Promise<{ generations: number }> {
    const { searchId } = ctx.payload;
    const search = await store.getSearch(searchId);
    if (!search) throw new MfnasError("not_found", `search ${searchId} does not exist`, { searchId });
    if (search.status === "succeeded" || search.status === "failed" || search.status === "cancelled") {
      log.info("search already finished; nothing to do", { searchId, status: search.status });
      return { generations: (search.lastGeneration ?? -1) + 1 };
    }
    let spec: SearchSpec;
    let space: SearchSpace;
    try {
      spec = parseSearchSpec(search.spec);
      space = spaceOf(spec);
    } catch (error) {
      await store.finish(searchId, { status: "failed", error: error instanceof Error ? error.message : String(error) });
      throw error;
    }
    await store.markRunning(searchId);
    const first = (search.lastGeneration ?? -1) + 1;
    if (first > 0) log.info("resuming search", { searchId, fromGeneration: first });
    const { height, width } = spec.referenceInput;
    for (let index = first; index < spec.budget.generations; index++) {
      throwIfAborted(ctx.signal);
      const current = await store.getSearch(searchId);
      if (current?.status === "cancelled") {
        log.info("search cancelled; stopping", { searchId, atGeneration: index });
        return { generations: index };
      }
      const rng = createRng(generationSeed(search.seed, index));
      const members = new Map<string, EvaluatedGenome>();
      for (let i = 0; i < spec.budget.population; i++) {
        const genome = sampleGenome(space, rng);
        const hash = genomeHash(genome);
        if (!members.has(hash)) {
          members.set(hash, { genome, hash, encoded: encodeGenome(genome), cost: genomeCost(genome, height, width) });
        }
      }
      await store.writeGeneration({
        searchId,
        index,
        members: [...members.values()],
        costModelVersion: COST_MODEL_VERSION,
        referenceInput: { height, width },
      });
      await ctx.progress({ generation: index + 1, of: spec.budget.generations });
    }
    await store.finish(searchId, { status: "succeeded" });
    log.info("search finished", { searchId, generations: spec.budget.generations });
    return { generations: spec.budget.generations };
  };
}
