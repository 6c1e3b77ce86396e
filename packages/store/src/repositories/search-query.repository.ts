import {
  BUILTIN_DATASETS,
  MfnasError,
  SEARCH_STATUSES_IN_FLIGHT,
  isBuiltinDataset,
  type FrontAxis,
  type SearchSpec,
} from "@mfnas/core";
import type { Db } from "../client.ts";
import { Prisma, type SearchStatus } from "../generated/prisma/client.ts";
import { schemaOf } from "../client.ts";
import { quoteIdent } from "../database-url.ts";
import { searchRow } from "./search-row.ts";
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
  error: true,
  createdAt: true,
  updatedAt: true,
  architecture: { select: ARCHITECTURE_COST },
  latencies: { select: LATENCY, orderBy: { target: "asc" } },
} as const satisfies Prisma.CandidateSelect;

const IN_FLIGHT: SearchStatus[] = [...SEARCH_STATUSES_IN_FLIGHT];
const FINISHED_UNSUCCESSFULLY: SearchStatus[] = ["failed", "cancelled"];

/** The API's reads and state changes of searches and their results (the searcher writes them). */
export class SearchQueryRepository {
  constructor(private readonly db: Db) {}

  /**
   * Creates a submitted search. A named supernet must exist and be usable (not failed or cancelled; the named
   * checkpoint stored, or some checkpoint once it is ready): otherwise invalid_input names the spec field.
   * What may still appear is a warning instead: a supernet still training, a device class no phone has
   * registered for yet, a validation set that only the evaluators' hosts can hold.
   */
  async submit(spec: SearchSpec, scheduleId: string | null = null): Promise<{ id: string; warnings: string[] }> {
    const row = searchRow(spec);
    const warnings: string[] = [];
    if (row.supernetId) warnings.push(...(await this.supernetUsable(row.supernetId, spec.supernet?.checkpointStep)));
    const set = spec.validationSet;
    if (row.supernetId && set !== undefined && set !== "bundled:val" && !isBuiltinDataset(set)) {
      // A folder on the evaluators' hosts, which this process cannot see: it may be there, or may appear.
      warnings.push(
        `validationSet: ${set} is not a built-in set (bundled:val, ${BUILTIN_DATASETS.join(", ")}); it is read from ` +
          `the evaluators' EVALUATOR_VALIDATION_ROOT, and the search fails at its first generation if they lack it`,
      );
    }
    for (const deviceClass of new Set(spec.targets.map((t) => t.deviceClass))) {
      if ((await this.db.device.count({ where: { deviceClass } })) === 0) {
        warnings.push(
          `targets: no phone of device class ${deviceClass} has registered yet; its measurements wait in ` +
            `measure.${deviceClass} until one does`,
        );
      }
    }
    const { id } = await this.db.search.create({ data: { ...row, scheduleId }, select: { id: true } });
    return { id, warnings };
  }

  /** Throws invalid_input when a search cannot use the supernet; returns warnings when it may later. */
  private async supernetUsable(supernetId: string, checkpointStep: number | undefined): Promise<string[]> {
    const refuse = (why: string): never => {
      throw new MfnasError("invalid_input", `supernet.id: ${why}`, { fields: [`supernet.id: ${why}`] });
    };
    const supernet = await this.db.supernet.findUnique({
      where: { id: supernetId },
      select: { status: true, _count: { select: { checkpoints: true } } },
    });
    if (!supernet) return refuse(`no supernet ${supernetId}`);
    if (supernet.status === "failed" || supernet.status === "cancelled") {
      return refuse(`supernet ${supernetId} is ${supernet.status}`);
    }
    if (checkpointStep !== undefined) {
      const found = await this.db.supernetCheckpoint.count({ where: { supernetId, step: checkpointStep } });
      if (found > 0) return [];
      if (supernet.status === "ready")
        return refuse(`supernet ${supernetId} has no checkpoint at step ${checkpointStep}`);
      return [`supernet.checkpointStep: supernet ${supernetId} has no checkpoint at step ${checkpointStep} yet`];
    }
    if (supernet._count.checkpoints > 0) return [];
    if (supernet.status === "ready") return refuse(`supernet ${supernetId} has no checkpoint`);
    return [
      `supernet.id: supernet ${supernetId} is ${supernet.status} with no checkpoint yet; the search fails if it ` +
        "still has none when it starts",
    ];
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

  /**
   * Searches in flight (queued or running) whose latency waits for phones: each with the device classes of its
   * targets that no online phone serves, so its `measure.<class>` jobs wait until one attaches ("waiting for
   * phones of class X"). Searches whose classes all have a phone online are left out; `ids` narrows the search.
   */
  async waitingForPhones(
    ids?: readonly string[],
  ): Promise<Array<{ id: string; name: string; status: SearchStatus; deviceClasses: string[] }>> {
    const searches = await this.db.search.findMany({
      where: { status: { in: IN_FLIGHT }, ...(ids ? { id: { in: [...ids] } } : {}) },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      select: { id: true, name: true, status: true, spec: true },
    });
    const classesOf = (spec: Prisma.JsonValue): string[] => {
      const targets = (spec as { targets?: unknown } | null)?.targets;
      if (!Array.isArray(targets)) return [];
      const classes = targets.map((t) => (t as { deviceClass?: unknown } | null)?.deviceClass);
      return [...new Set(classes.filter((c): c is string => typeof c === "string"))];
    };
    const wanted = [...new Set(searches.flatMap((s) => classesOf(s.spec)))];
    if (wanted.length === 0) return [];
    const served = await this.db.device.findMany({
      where: { deviceClass: { in: wanted }, state: "online" },
      distinct: ["deviceClass"],
      select: { deviceClass: true },
    });
    const online = new Set(served.map((d) => d.deviceClass));
    return searches
      .map(({ id, name, status, spec }) => ({
        id,
        name,
        status,
        deviceClasses: classesOf(spec).filter((c) => !online.has(c)),
      }))
      .filter((s) => s.deviceClasses.length > 0);
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

  /**
   * The sample crops of a candidate of a search: from its evaluation with the search's supernet on the search's
   * validation set, the latest checkpoint first; null when it has none (not evaluated, or evaluated before sample
   * crops were stored).
   */
  async samplesOf(searchId: string, genomeHash: string): Promise<{ checkpointStep: number; samples: unknown } | null> {
    const search = await this.db.search.findUnique({
      where: { id: searchId },
      select: { spec: true, supernetId: true },
    });
    const spec = (search?.spec ?? {}) as { supernet?: { id?: string }; validationSet?: string };
    const supernetId = search?.supernetId ?? spec.supernet?.id;
    if (!supernetId) return null;
    return this.db.evaluation.findFirst({
      where: {
        supernetId,
        genomeHash,
        ...(spec.validationSet !== undefined ? { validationSet: spec.validationSet } : {}),
        samples: { not: Prisma.DbNull },
      },
      orderBy: { checkpointStep: "desc" },
      select: { checkpointStep: true, samples: true },
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
    return this.db.$queryRaw<FrontPointRow[]>`
      SELECT ${FRONT_COLUMNS}
      FROM ${this.table("Candidate")} c JOIN ${this.table("CandidateLatency")} l ON l."candidateId" = c."id"
      WHERE c."searchId" = ${searchId} AND l."target" = ${target}
        AND (${upToGeneration ?? null}::int IS NULL OR c."generationIndex" <= ${upToGeneration ?? null}::int)`;
  }

  /**
   * The first Pareto front on one target (quality up, the cost on `axis` down; latency by default), computed in
   * Postgres: candidates ordered by that cost (then quality, best first) are kept when their quality beats every
   * cheaper candidate's. Only the front's rows leave the database, so reading the front of a 10,000-candidate
   * search stays cheap. Every point has a latency on the target, whichever axis ranks it.
   */
  async front(
    searchId: string,
    target: string,
    options: {
      quality: "psnr" | "ssim";
      latency: LatencyChoice;
      axis?: FrontAxis | undefined;
      upToGeneration?: number | undefined;
    },
  ): Promise<{
    ranked: number;
    points: Array<FrontPointRow & { latencyMs: number; latencyBasis: string; x: number }>;
  }> {
    const quality = Prisma.raw(options.quality === "psnr" ? 'c."psnr"' : 'c."ssim"');
    const latency = Prisma.raw(LATENCY_SQL[options.latency]);
    const x =
      options.axis === undefined || options.axis === "latency" ? latency : Prisma.raw(COST_AXIS_SQL[options.axis]);
    const generation = options.upToGeneration ?? null;
    const rows = await this.db.$queryRaw<
      Array<FrontPointRow & { latencyMs: number; latencyBasis: string; x: number; quality: number; ranked: bigint }>
    >`
      WITH ranked AS (
        SELECT ${FRONT_COLUMNS}, ${quality} AS "quality", ${latency} AS "latencyMs", ${x} AS "x",
               CASE WHEN l."measuredMs" IS NOT NULL AND ${latency} = l."measuredMs" THEN 'measured' ELSE 'predicted' END
                 AS "latencyBasis"
        FROM ${this.table("Candidate")} c JOIN ${this.table("CandidateLatency")} l ON l."candidateId" = c."id"
          JOIN ${this.table("Architecture")} a ON a."hash" = c."genomeHash"
        WHERE c."searchId" = ${searchId} AND l."target" = ${target}
          AND (${generation}::int IS NULL OR c."generationIndex" <= ${generation}::int)
          AND ${quality} IS NOT NULL AND ${latency} IS NOT NULL
      ), swept AS (
        SELECT *, MAX("quality") OVER (ORDER BY "x", "quality" DESC, "id"
                                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS "bestBefore",
               COUNT(*) OVER () AS "ranked"
        FROM ranked
      )
      SELECT * FROM swept WHERE "bestBefore" IS NULL OR "quality" > "bestBefore" ORDER BY "x"`;
    return {
      // Every row carries the count of candidates ranked (those with both figures); none means none ranked.
      ranked: Number(rows[0]?.ranked ?? 0),
      points: rows.map(({ ranked: _ranked, ...row }) => row),
    };
  }

  private table(name: string): Prisma.Sql {
    return Prisma.raw(`${quoteIdent(schemaOf(this.db))}.${quoteIdent(name)}`);
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

export type LatencyChoice = "measured" | "predicted" | "measured-else-predicted";

const LATENCY_SQL: Record<LatencyChoice, string> = {
  measured: 'l."measuredMs"',
  predicted: 'l."predictedMs"',
  "measured-else-predicted": 'COALESCE(l."measuredMs", l."predictedMs")',
};

/** A cost-model axis of a front in the units of the searcher's objectives (see FRONT_AXES in core). */
const COST_AXIS_SQL: Record<Exclude<FrontAxis, "latency">, string> = {
  memory: '(a."params" * 4 + a."peakActivationBytes")::float8 / 1e6',
  traffic: 'a."memoryTrafficBytes"::float8 / 1e6',
  macs: 'a."macs"::float8 / 1e9',
};

const FRONT_COLUMNS = Prisma.raw(
  'c."id", c."genomeHash", c."generationIndex", c."psnr", c."ssim", l."predictedMs", l."predictedStdMs", ' +
    'l."predictorVersion", l."measuredMs", l."measuredPeakMemMb", l."measurementId"',
);

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
