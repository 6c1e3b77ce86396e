import { MfnasError } from "@mfnas/core";
import type { Db } from "../client.ts";
import { Prisma, type SearchStatus } from "../generated/prisma/client.ts";
import { schemaOf } from "../client.ts";
import { quoteIdent } from "../database-url.ts";
import {
  decodeIdCursor,
  decodeIndexCursor,
  encodeIdCursor,
  encodeIndexCursor,
  encodeTimeCursor,
  olderThan,
  toPage,
  type Page,
  type PageRequest,
} from "./page.ts";

export interface SearchFilters {
  readonly status?: readonly SearchStatus[] | undefined;
  /** Case-insensitive substring of the name. */
  readonly name?: string | undefined;
  readonly supernetId?: string | undefined;
  readonly scheduleId?: string | undefined;
  readonly createdAfter?: Date | undefined;
  readonly createdBefore?: Date | undefined;
}

export interface CandidateFilters {
  /** Only candidates with a latency row for this target. */
  readonly target?: string | undefined;
  readonly feasible?: boolean | undefined;
  readonly rank?: number | undefined;
  /** Only candidates that first appeared in this generation. */
  readonly generation?: number | undefined;
}

const SEARCH_SUMMARY = {
  id: true,
  name: true,
  status: true,
  seed: true,
  supernetId: true,
  scheduleId: true,
  lastGeneration: true,
  error: true,
  createdAt: true,
  updatedAt: true,
  startedAt: true,
  finishedAt: true,
} as const satisfies Prisma.SearchSelect;

const ARCHITECTURE_COST = {
  params: true,
  macs: true,
  peakActivationBytes: true,
  memoryTrafficBytes: true,
  costModelVersion: true,
  referenceInputHeight: true,
  referenceInputWidth: true,
} as const satisfies Prisma.ArchitectureSelect;

const LATENCY = {
  target: true,
  predictedMs: true,
  predictedStdMs: true,
  predictorVersion: true,
  measuredMs: true,
  measuredPeakMemMb: true,
  measurementId: true,
} as const satisfies Prisma.CandidateLatencySelect;

const CANDIDATE = {
  id: true,
  searchId: true,
  generationIndex: true,
  genome: true,
  genomeHash: true,
  psnr: true,
  ssim: true,
  rank: true,
  feasible: true,
  createdAt: true,
  updatedAt: true,
  architecture: { select: ARCHITECTURE_COST },
  latencies: { select: LATENCY, orderBy: { target: "asc" } },
} as const satisfies Prisma.CandidateSelect;

const IN_FLIGHT: SearchStatus[] = ["queued", "running"];
const FINISHED_UNSUCCESSFULLY: SearchStatus[] = ["failed", "cancelled"];

/** The API's reads and state changes of searches and their results (the searcher writes them). */
export class SearchQueryRepository {
  constructor(private readonly db: Db) {}

  /** Creates a submitted search. A named supernet must exist; the error names the spec field. */
  async submit(input: {
    name: string;
    spec: Prisma.InputJsonObject;
    seed: number;
    supernetId?: string | null;
    scheduleId?: string | null;
  }): Promise<{ id: string }> {
    if (input.supernetId) {
      const found = await this.db.supernet.count({ where: { id: input.supernetId } });
      if (found === 0) {
        throw new MfnasError("invalid_input", `supernet.id: no supernet ${input.supernetId}`, {
          fields: [`supernet.id: no supernet ${input.supernetId}`],
        });
      }
    }
    return this.db.search.create({
      data: {
        name: input.name,
        spec: input.spec,
        seed: input.seed,
        supernetId: input.supernetId ?? null,
        scheduleId: input.scheduleId ?? null,
      },
      select: { id: true },
    });
  }

  /** Undoes a submit whose job could not be queued, so no search is left that nothing will run. */
  async discard(id: string): Promise<void> {
    await this.db.search.deleteMany({ where: { id, status: "queued", lastGeneration: null } });
  }

  async list(filters: SearchFilters, page: PageRequest): Promise<Page<SearchSummary>> {
    const where: Prisma.SearchWhereInput = {
      ...(filters.status && filters.status.length > 0 ? { status: { in: [...filters.status] } } : {}),
      ...(filters.name ? { name: { contains: filters.name, mode: "insensitive" } } : {}),
      ...(filters.supernetId ? { supernetId: filters.supernetId } : {}),
      ...(filters.scheduleId ? { scheduleId: filters.scheduleId } : {}),
      ...(filters.createdAfter || filters.createdBefore
        ? {
            createdAt: {
              ...(filters.createdAfter ? { gte: filters.createdAfter } : {}),
              ...(filters.createdBefore ? { lt: filters.createdBefore } : {}),
            },
          }
        : {}),
    };
    const rows = await this.db.search.findMany({
      where: { AND: [where, olderThan(page.cursor)] },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: page.limit + 1,
      select: SEARCH_SUMMARY,
    });
    return toPage(rows, page.limit, encodeTimeCursor);
  }

  async detail(id: string) {
    const row = await this.db.search.findUnique({
      where: { id },
      select: {
        ...SEARCH_SUMMARY,
        spec: true,
        supernet: { select: { id: true, name: true, status: true } },
        _count: { select: { candidates: true, generations: true } },
      },
    });
    return row;
  }

  async spec(id: string): Promise<{ name: string; spec: Prisma.JsonValue } | null> {
    return this.db.search.findUnique({ where: { id }, select: { name: true, spec: true } });
  }

  /** Status, for events and for cancel/resume decisions. */
  status(id: string) {
    return this.db.search.findUnique({
      where: { id },
      select: { id: true, status: true, lastGeneration: true, error: true, updatedAt: true, finishedAt: true },
    });
  }

  async cancel(id: string): Promise<boolean> {
    const { count } = await this.db.search.updateMany({
      where: { id, status: { in: IN_FLIGHT } },
      data: { status: "cancelled", finishedAt: new Date() },
    });
    return count === 1;
  }

  /** Puts a failed or cancelled search back in the queue state; it resumes after its last stored generation. */
  async requeue(id: string): Promise<boolean> {
    const { count } = await this.db.search.updateMany({
      where: { id, status: { in: FINISHED_UNSUCCESSFULLY } },
      data: { status: "queued", error: null, finishedAt: null },
    });
    return count === 1;
  }

  /** Restores the state a requeue replaced, when the job to resume could not be queued. */
  async undoRequeue(id: string, previous: { status: SearchStatus; error: string | null; finishedAt: Date | null }) {
    await this.db.search.updateMany({
      where: { id, status: "queued" },
      data: { status: previous.status, error: previous.error, finishedAt: previous.finishedAt },
    });
  }

  async generations(searchId: string, page: PageRequest) {
    const after = page.cursor === undefined ? undefined : decodeIndexCursor(page.cursor);
    const rows = await this.db.generation.findMany({
      where: { searchId, ...(after !== undefined ? { index: { gt: after } } : {}) },
      orderBy: { index: "asc" },
      take: page.limit + 1,
      select: { index: true, hypervolume: true, front: true, population: true, createdAt: true },
    });
    return toPage(rows, page.limit, (r) => encodeIndexCursor(r.index));
  }

  generationsAfter(searchId: string, index: number, limit: number) {
    return this.db.generation.findMany({
      where: { searchId, index: { gt: index } },
      orderBy: { index: "asc" },
      take: limit,
      select: { index: true, hypervolume: true, front: true, population: true, createdAt: true },
    });
  }

  generation(searchId: string, index: number) {
    return this.db.generation.findUnique({
      where: { searchId_index: { searchId, index } },
      select: { index: true, hypervolume: true, front: true, population: true, createdAt: true },
    });
  }

  async candidates(searchId: string, filters: CandidateFilters, page: PageRequest) {
    const after = page.cursor === undefined ? undefined : decodeIdCursor(page.cursor);
    const rows = await this.db.candidate.findMany({
      where: {
        searchId,
        ...(filters.target !== undefined ? { latencies: { some: { target: filters.target } } } : {}),
        ...(filters.feasible !== undefined ? { feasible: filters.feasible } : {}),
        ...(filters.rank !== undefined ? { rank: filters.rank } : {}),
        ...(filters.generation !== undefined ? { generationIndex: filters.generation } : {}),
        ...(after !== undefined ? { id: { gt: after } } : {}),
      },
      orderBy: { id: "asc" },
      take: page.limit + 1,
      select: CANDIDATE,
    });
    return toPage(rows, page.limit, (r) => encodeIdCursor(r.id));
  }

  candidate(searchId: string, candidateId: string) {
    return this.db.candidate.findFirst({ where: { id: candidateId, searchId }, select: CANDIDATE });
  }

  /** Measurements of one architecture on any device, newest first, without raw tool output. */
  measurementsOf(architectureHash: string, limit: number) {
    return this.db.measurement.findMany({
      where: { architectureHash },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
      take: limit,
      select: MEASUREMENT_SUMMARY,
    });
  }

  /** Exported models of an architecture: artifacts whose metadata names its genome hash. */
  exportsOf(genomeHash: string) {
    return this.db.artifact.findMany({
      where: { metadata: { path: ["genomeHash"], equals: genomeHash } },
      orderBy: { createdAt: "asc" },
      select: ARTIFACT_SUMMARY,
    });
  }

  /**
   * Quality and latency of every candidate of a search on one target (those with both figures can be ranked),
   * optionally as of a generation: only candidates that had appeared by then.
   */
  async frontPoints(searchId: string, target: string, upToGeneration?: number): Promise<FrontPointRow[]> {
    // One raw query: the ORM's relation filter and nested select cost ~20x more on a 10,000-candidate search.
    const table = (name: string) => Prisma.raw(`${quoteIdent(schemaOf(this.db))}.${quoteIdent(name)}`);
    return this.db.$queryRaw<FrontPointRow[]>`
      SELECT c."id", c."genomeHash", c."generationIndex", c."psnr", c."ssim",
             l."predictedMs", l."predictedStdMs", l."predictorVersion", l."measuredMs", l."measuredPeakMemMb",
             l."measurementId"
      FROM ${table("Candidate")} c JOIN ${table("CandidateLatency")} l ON l."candidateId" = c."id"
      WHERE c."searchId" = ${searchId} AND l."target" = ${target}
        AND (${upToGeneration ?? null}::int IS NULL OR c."generationIndex" <= ${upToGeneration ?? null}::int)`;
  }

  /** Latency targets with at least one row among the search's candidates. */
  async latencyTargets(searchId: string): Promise<string[]> {
    const rows = await this.db.candidateLatency.findMany({
      where: { candidate: { searchId } },
      distinct: ["target"],
      select: { target: true },
      orderBy: { target: "asc" },
    });
    return rows.map((r) => r.target);
  }

  architectures(hashes: readonly string[]) {
    return this.db.architecture.findMany({
      where: { hash: { in: [...hashes] } },
      select: { hash: true, genome: true, ...ARCHITECTURE_COST },
    });
  }
}

/** One candidate's figures on one target, as the front is computed from. */
export interface FrontPointRow {
  id: string;
  genomeHash: string;
  generationIndex: number;
  psnr: number | null;
  ssim: number | null;
  predictedMs: number | null;
  predictedStdMs: number | null;
  predictorVersion: string | null;
  measuredMs: number | null;
  measuredPeakMemMb: number | null;
  measurementId: string | null;
}

export type SearchSummary = Prisma.SearchGetPayload<{ select: typeof SEARCH_SUMMARY }>;
export type CandidateRow = Prisma.CandidateGetPayload<{ select: typeof CANDIDATE }>;

export const MEASUREMENT_SUMMARY = {
  id: true,
  requestKey: true,
  architectureHash: true,
  deviceId: true,
  deviceClass: true,
  runtime: true,
  runtimeVersion: true,
  runtimeConfig: true,
  inputHeight: true,
  inputWidth: true,
  samples: true,
  medianMs: true,
  meanMs: true,
  stdMs: true,
  p90Ms: true,
  minMs: true,
  maxMs: true,
  initMs: true,
  peakMemoryMb: true,
  conditions: true,
  createdAt: true,
  device: { select: { serial: true, model: true, soc: true } },
} as const satisfies Prisma.MeasurementSelect;

export const ARTIFACT_SUMMARY = {
  sha256: true,
  kind: true,
  sizeBytes: true,
  mediaType: true,
  metadata: true,
  createdAt: true,
} as const satisfies Prisma.ArtifactSelect;

export type MeasurementSummary = Prisma.MeasurementGetPayload<{ select: typeof MEASUREMENT_SUMMARY }>;
export type ArtifactSummary = Prisma.ArtifactGetPayload<{ select: typeof ARTIFACT_SUMMARY }>;
