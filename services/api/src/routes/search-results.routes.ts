import {
  FRONT_AXES,
  MfnasError,
  OBJECTIVE_UNITS,
  SAMPLE_PANELS,
  parseSearchSpec,
  targetName,
  type FrontAxis,
} from "@mfnas/core";
import { SearchQueryRepository, type CandidateRow, type LatencyChoice } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import {
  artifactSummary,
  costSchema,
  latencySchema,
  measurementSummary,
  toArtifact,
  toCost,
  toMeasurement,
} from "../dto.ts";
import {
  anyJson,
  arrayOf,
  dateTime,
  idParams,
  nullable,
  object,
  pageOf,
  pageQuery,
  responses,
  sha256,
  uuid,
} from "../schemas.ts";
import type { RouteDeps } from "./deps.ts";

const targetParam = { type: "string", pattern: "^[A-Za-z0-9._-]{1,64}$" } as const;

const generationSummary = object({
  index: { type: "integer" },
  hypervolume: nullable({ type: "number" }),
  populationSize: { type: "integer" },
  front: anyJson,
  createdAt: dateTime,
});

const generationDetail = object({
  ...(generationSummary["properties"] as Record<string, object>),
  population: anyJson,
});

const candidateSchema = object({
  id: uuid,
  searchId: uuid,
  generationIndex: { type: "integer" },
  genome: anyJson,
  genomeHash: { type: "string" },
  psnr: nullable({ type: "number" }),
  ssim: nullable({ type: "number" }),
  rank: nullable({ type: "integer" }),
  feasible: nullable({ type: "boolean" }),
  error: {
    ...nullable({ type: "string" }),
    description: "why its evaluation or a measurement failed for good; null when every figure is there",
  },
  cost: costSchema,
  latencies: { ...arrayOf(latencySchema), description: "per target; predicted and measured figures kept apart" },
  createdAt: dateTime,
  updatedAt: dateTime,
});

const samplesSchema = object(
  {
    sha256,
    imageUrl: { type: "string", description: "the PNG: panels left to right, each the HR window's size" },
    checkpointStep: { type: "integer" },
    image: { type: "string", description: "the validation image the window is taken from" },
    scale: { type: "integer" },
    window: object({ top: { type: "integer" }, left: { type: "integer" }, size: { type: "integer" } }),
    panels: arrayOf(
      object({
        name: { type: "string", enum: [...SAMPLE_PANELS] },
        psnrY: nullable({ type: "number" }),
      }),
    ),
    teacherMissing: { type: "string", description: "why the teacher's panel is missing, when it is" },
  },
  ["teacherMissing"],
);

const candidateDetail = object({
  ...(candidateSchema["properties"] as Record<string, object>),
  measurements: arrayOf(measurementSummary),
  exports: arrayOf(artifactSummary),
  samples: {
    ...nullable(samplesSchema),
    description:
      "side-by-side sample crops (bicubic / SubGenerator / teacher / HR) of its evaluation on the search's " +
      "validation set; null until it is evaluated",
  },
});

/** The stored sample crops as the API shows them. */
function toSamples(found: { checkpointStep: number; samples: unknown } | null) {
  if (!found) return null;
  const samples = found.samples as { sha256: string } & Record<string, unknown>;
  return {
    ...samples,
    checkpointStep: found.checkpointStep,
    imageUrl: `/v1/artifacts/${samples.sha256}/download`,
  };
}

const frontPoint = object({
  candidateId: uuid,
  genomeHash: { type: "string" },
  genome: anyJson,
  generationIndex: { type: "integer" },
  quality: { type: "number" },
  psnr: nullable({ type: "number" }),
  ssim: nullable({ type: "number" }),
  latencyMs: { type: "number" },
  latencyBasis: { type: "string", enum: ["measured", "predicted"] },
  x: { type: "number", description: "the point's figure on the front's `axis`, in `axisUnit`" },
  predictedMs: nullable({ type: "number" }),
  predictedStdMs: nullable({ type: "number" }),
  predictorVersion: nullable({ type: "string" }),
  measuredMs: nullable({ type: "number" }),
  measuredPeakMemMb: nullable({ type: "number" }),
  measurementId: nullable(uuid),
  cost: costSchema,
});

const frontSchema = object({
  searchId: uuid,
  target: { type: "string" },
  quality: { type: "string", enum: ["psnr", "ssim"] },
  latency: { type: "string", enum: ["measured", "predicted", "measured-else-predicted"] },
  axis: { type: "string", enum: [...FRONT_AXES] },
  axisUnit: { type: "string", description: "unit of each point's `x`" },
  generation: nullable({ type: "integer" }),
  rankedCandidates: { type: "integer", description: "candidates with both a quality and a latency figure" },
  points: arrayOf(frontPoint),
});

function toCandidate(row: CandidateRow) {
  const { architecture, ...rest } = row;
  return { ...rest, genome: row.genome ?? null, cost: toCost(architecture) };
}

export function registerSearchResultRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const searches = new SearchQueryRepository(deps.db);

  async function requireSearch(id: string) {
    const found = await searches.spec(id);
    if (!found) throw new MfnasError("not_found", `search ${id} does not exist`, { id });
    return found;
  }

  /** Targets a search has: those its spec names and those with stored latencies. */
  async function targetsOf(id: string, spec: unknown): Promise<string[]> {
    let named: string[] = [];
    try {
      named = parseSearchSpec(spec).targets.map(targetName);
    } catch {
      // A spec stored under older rules still has its stored latencies.
    }
    return [...new Set([...named, ...(await searches.latencyTargets(id))])];
  }

  app.get(
    "/searches/:id/generations",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listGenerations",
        summary: "Generations of a search, in order",
        tags: ["results"],
        params: idParams,
        querystring: object(pageQuery(), ["cursor", "limit"]),
        response: responses({ 200: pageOf(generationSummary) }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const q = request.query as { cursor?: string; limit: number };
      await requireSearch(id);
      const page = await searches.generations(id, q);
      return {
        items: page.items.map(({ population, ...g }) => ({
          ...g,
          front: g.front ?? null,
          populationSize: Array.isArray(population) ? population.length : 0,
        })),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    "/searches/:id/generations/:index",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getGeneration",
        summary: "One generation with its population",
        tags: ["results"],
        params: object({ id: uuid, index: { type: "integer", minimum: 0, maximum: 1_000_000 } }),
        response: responses({ 200: generationDetail }),
      },
    },
    async (request) => {
      const { id, index } = request.params as { id: string; index: number };
      await requireSearch(id);
      const g = await searches.generation(id, index);
      if (!g) throw new MfnasError("not_found", `search ${id} has no generation ${index}`, { id, index });
      return {
        ...g,
        front: g.front ?? null,
        population: g.population ?? null,
        populationSize: Array.isArray(g.population) ? g.population.length : 0,
      };
    },
  );

  app.get(
    "/searches/:id/candidates",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listCandidates",
        summary: "Candidates of a search with metrics, cost and latency per target",
        tags: ["results"],
        params: idParams,
        querystring: object(
          {
            target: targetParam,
            feasible: { type: "boolean" },
            rank: { type: "integer", minimum: 0, maximum: 1_000_000 },
            generation: { type: "integer", minimum: 0, maximum: 1_000_000 },
            ...pageQuery(1_000),
          },
          ["target", "feasible", "rank", "generation", "cursor", "limit"],
        ),
        response: responses({ 200: pageOf(candidateSchema) }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const q = request.query as {
        target?: string;
        feasible?: boolean;
        rank?: number;
        generation?: number;
        cursor?: string;
        limit: number;
      };
      await requireSearch(id);
      const page = await searches.candidates(id, q, q);
      return { items: page.items.map(toCandidate), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/searches/:id/candidates/:candidateId",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getCandidate",
        summary: "One candidate with its measurements (and their conditions), exported models and sample crops",
        tags: ["results"],
        params: object({ id: uuid, candidateId: uuid }),
        response: responses({ 200: candidateDetail }),
      },
    },
    async (request) => {
      const { id, candidateId } = request.params as { id: string; candidateId: string };
      const row = await searches.candidate(id, candidateId);
      if (!row) throw new MfnasError("not_found", `search ${id} has no candidate ${candidateId}`, { id, candidateId });
      const [measurements, exports, samples] = await Promise.all([
        searches.measurementsOf(row.genomeHash, 100),
        searches.exportsOf(row.genomeHash),
        searches.samplesOf(id, row.genomeHash),
      ]);
      return {
        ...toCandidate(row),
        measurements: measurements.map(toMeasurement),
        exports: exports.map(toArtifact),
        samples: toSamples(samples),
      };
    },
  );

  app.get(
    "/searches/:id/fronts",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listFronts",
        summary: "Targets of a search that have fronts",
        tags: ["results"],
        params: idParams,
        response: responses({ 200: object({ searchId: uuid, targets: arrayOf({ type: "string" }) }) }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const found = await requireSearch(id);
      return { searchId: id, targets: await targetsOf(id, found.spec) };
    },
  );

  app.get(
    "/searches/:id/fronts/:target",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getFront",
        summary: "The Pareto front of a search on one target: quality up, latency (or another cost) down",
        description:
          "Computed from the stored candidates that have a latency on the target. `axis` chooses the cost ranked " +
          "against quality: latency (ms, the default), memory (MB: weights plus peak activation memory), traffic " +
          "(MB: memory traffic, the memory access cost) or macs (GMAC), the last three from the cost model at the " +
          "reference input. `latency` chooses the latency figure; with measured-else-predicted each point says " +
          "which one it used. `generation` gives the front as of that generation (candidates that had appeared " +
          "by then).",
        tags: ["results"],
        params: object({ id: uuid, target: targetParam }),
        querystring: object(
          {
            quality: { type: "string", enum: ["psnr", "ssim"], default: "psnr" },
            latency: {
              type: "string",
              enum: ["measured", "predicted", "measured-else-predicted"],
              default: "measured-else-predicted",
            },
            axis: { type: "string", enum: [...FRONT_AXES], default: "latency" },
            generation: { type: "integer", minimum: 0, maximum: 1_000_000 },
          },
          ["quality", "latency", "axis", "generation"],
        ),
        response: responses({ 200: frontSchema }),
      },
    },
    async (request) => {
      const { id, target } = request.params as { id: string; target: string };
      const q = request.query as {
        quality: "psnr" | "ssim";
        latency: LatencyChoice;
        axis: FrontAxis;
        generation?: number;
      };
      const found = await requireSearch(id);
      const front = await searches.front(id, target, {
        quality: q.quality,
        latency: q.latency,
        axis: q.axis,
        upToGeneration: q.generation,
      });
      if (front.ranked === 0 && !(await targetsOf(id, found.spec)).includes(target)) {
        throw new MfnasError("not_found", `search ${id} has no target ${target}`, { id, target });
      }
      const architectures = new Map(
        (await searches.architectures(front.points.map((p) => p.genomeHash))).map((a) => [a.hash, a]),
      );
      const points = front.points.flatMap((row) => {
        const architecture = architectures.get(row.genomeHash);
        if (!architecture) return [];
        return [
          {
            candidateId: row.id,
            genomeHash: row.genomeHash,
            genome: architecture.genome,
            generationIndex: row.generationIndex,
            quality: row[q.quality] ?? 0,
            psnr: row.psnr,
            ssim: row.ssim,
            latencyMs: row.latencyMs,
            latencyBasis: row.latencyBasis,
            x: row.x,
            predictedMs: row.predictedMs,
            predictedStdMs: row.predictedStdMs,
            predictorVersion: row.predictorVersion,
            measuredMs: row.measuredMs,
            measuredPeakMemMb: row.measuredPeakMemMb,
            measurementId: row.measurementId,
            cost: toCost(architecture),
          },
        ];
      });
      return {
        searchId: id,
        target,
        quality: q.quality,
        latency: q.latency,
        axis: q.axis,
        axisUnit: OBJECTIVE_UNITS[q.axis],
        generation: q.generation ?? null,
        rankedCandidates: front.ranked,
        points,
      };
    },
  );
}
