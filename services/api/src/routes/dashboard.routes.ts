import {
  MfnasError,
  esrganCost,
  encodeGenome,
  genomeCost,
  measureQueue,
  validateGenomeStructure,
  type CostReport,
} from "@mfnas/core";
import { DashboardQueryRepository, DeviceAdminRepository, SearchQueryRepository } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { anyJson, arrayOf, dateTime, idParams, nullable, object, responses, sha256, uuid } from "../schemas.ts";
import type { RouteDeps } from "./deps.ts";

/** Routes the dashboard reads besides the general ones: a search's final result, an architecture, the lab. */

const numberOrNull = nullable({ type: "number" });

const finalMember = object(
  {
    hash: { type: "string" },
    candidateId: { ...nullable(uuid), description: "this search's candidate with the genome" },
    genome: { type: "string", description: "encoded genome (x<scale>-c<trunk>-u:<nc|ps>-b[...])" },
    objectives: arrayOf({ type: "number" }),
    params: { type: "integer" },
    macs: { type: "integer" },
    peakActivationBytes: {
      type: "integer",
      description: "peak activation memory at the reference input (cost model), bytes",
    },
    memoryTrafficBytes: {
      type: "integer",
      description:
        "memory traffic (memory access cost) at the reference input: bytes every op reads and writes (cost model)",
    },
    latency: {
      type: "object",
      description: "per target: the latency the search used and the final re-measurement of the exported model",
      additionalProperties: object(
        { searchMs: numberOrNull, finalMs: numberOrNull, finalMeasurementId: { type: "string" } },
        ["finalMeasurementId"],
      ),
    },
    exports: {
      type: "object",
      description: "sha256 of the exported file per format, at the reference input",
      additionalProperties: { type: "string" },
    },
    targetModels: {
      type: "object",
      description: "sha256 of the TFLite model measured on each target",
      additionalProperties: { type: "string" },
    },
    errors: arrayOf({ type: "string" }),
  },
  ["errors", "peakActivationBytes", "memoryTrafficBytes"],
);

const searchResult = object(
  {
    axes: {
      ...arrayOf(object({ name: { type: "string" }, unit: { type: "string" }, negated: { type: "boolean" } })),
      description:
        "the objectives, in the order of each member's `objectives`: psnr (dB) or ssim, latency:<target> (ms), " +
        "memory (MB: weights plus peak activations), macs (GMAC), traffic (MB: memory traffic, the memory access " +
        "cost); quality is stored negated",
    },
    reference: nullable(arrayOf({ type: "number" })),
    checkpointStep: nullable({ type: "integer" }),
    measurementsRequested: { type: "integer" },
    hypervolume: nullable({ type: "number", description: "hypervolume of the final front against `reference`" }),
    measurementsSaved: {
      type: "integer",
      description: "latencies answered by a predictor instead of a phone (searches with latencySource predicted)",
    },
    front: arrayOf(finalMember),
  },
  ["measurementsSaved"],
);

const costTotals = {
  params: { type: "integer" },
  macs: { type: "integer" },
  peakActivationBytes: { type: "integer" },
  memoryTrafficBytes: { type: "integer" },
};

const shape = arrayOf({ type: "integer" });
const layer = object(
  {
    name: { type: "string" },
    op: { type: "string" },
    inputShapes: arrayOf(shape),
    outputShape: shape,
    kernel: { type: "integer" },
    dilation: { type: "integer" },
    activation: { type: "string" },
    params: { type: "integer" },
    macs: { type: "integer" },
    outputBytes: { type: "integer" },
  },
  ["kernel", "dilation", "activation"],
);

const architecture = object({
  hash: sha256,
  genome: anyJson,
  encoded: { type: "string" },
  input: object({ height: { type: "integer" }, width: { type: "integer" } }),
  cost: object({ ...costTotals, layers: arrayOf(layer) }),
  esrgan: object({
    ...costTotals,
    description: { type: "string" },
  }),
});

const queueCounts = object({
  waiting: { type: "integer" },
  active: { type: "integer" },
  delayed: { type: "integer" },
  prioritized: { type: "integer" },
  failed: { type: "integer" },
});

const deviceLab = object({
  windowStart: dateTime,
  windowEnd: dateTime,
  classes: arrayOf(
    object({
      deviceClass: { type: "string" },
      queue: { type: "string" },
      devices: { type: "integer" },
      online: { type: "integer" },
      counts: queueCounts,
    }),
  ),
  devices: arrayOf(
    object({
      id: uuid,
      serial: { type: "string" },
      model: { type: "string" },
      soc: nullable({ type: "string" }),
      deviceClass: { type: "string" },
      agentHost: nullable({ type: "string" }),
      state: { type: "string" },
      quarantineReason: nullable({ type: "string" }),
      lastSeenAt: nullable(dateTime),
      health: anyJson,
      measurements: { type: "integer", description: "measurements recorded in the window" },
      busyMs: { type: "number", description: "wall time of their benchmark repetitions" },
      untimed: { type: "integer", description: "measurements in the window without per-repetition wall times" },
      utilization: { type: "number", description: "busyMs / window length, at most 1" },
      lastMeasuredAt: nullable(dateTime),
    }),
  ),
  waitingSearches: {
    ...arrayOf(
      object({
        id: uuid,
        name: { type: "string" },
        status: { type: "string" },
        deviceClasses: arrayOf({ type: "string" }),
      }),
    ),
    description: "queued or running searches waiting for phones of device classes that have none online",
  },
});

/** The stored result (JSON written by the searcher) in the documented shape; anything malformed is dropped. */
function toResult(value: unknown, candidateIds: ReadonlyMap<string, string>) {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const r = value as Record<string, unknown>;
  const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const int = (v: unknown): number => (typeof v === "number" && Number.isInteger(v) ? v : 0);
  const strings = (v: unknown): Record<string, string> =>
    Object.fromEntries(
      Object.entries(typeof v === "object" && v !== null ? v : {}).filter(
        (e): e is [string, string] => typeof e[1] === "string",
      ),
    );
  const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
  const records = (v: unknown) =>
    list(v).filter((x): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x));
  return {
    axes: records(r["axes"]).map((a) => ({
      name: typeof a["name"] === "string" ? a["name"] : "",
      unit: typeof a["unit"] === "string" ? a["unit"] : "",
      negated: a["negated"] === true,
    })),
    reference: Array.isArray(r["reference"]) ? r["reference"].map((x) => num(x) ?? 0) : null,
    checkpointStep: typeof r["checkpointStep"] === "number" ? int(r["checkpointStep"]) : null,
    measurementsRequested: int(r["measurementsRequested"]),
    hypervolume: num(r["hypervolume"]) ?? null,
    ...(typeof r["measurementsSaved"] === "number" ? { measurementsSaved: int(r["measurementsSaved"]) } : {}),
    front: records(r["front"])
      .filter((m) => typeof m["hash"] === "string" && typeof m["genome"] === "string")
      .map((m) => {
        const hash = m["hash"] as string;
        const latency = Object.fromEntries(
          Object.entries(typeof m["latency"] === "object" && m["latency"] !== null ? m["latency"] : {}).map(
            ([target, l]) => {
              const v = (typeof l === "object" && l !== null ? l : {}) as Record<string, unknown>;
              const id = v["finalMeasurementId"];
              return [
                target,
                {
                  searchMs: num(v["searchMs"]),
                  finalMs: num(v["finalMs"]),
                  ...(typeof id === "string" ? { finalMeasurementId: id } : {}),
                },
              ];
            },
          ),
        );
        const errors = list(m["errors"]).filter((e): e is string => typeof e === "string");
        return {
          hash,
          candidateId: candidateIds.get(hash) ?? null,
          genome: m["genome"] as string,
          objectives: list(m["objectives"]).map((x) => num(x) ?? 0),
          params: int(m["params"]),
          macs: int(m["macs"]),
          // Results stored before these figures were recorded lack them.
          ...(typeof m["peakActivationBytes"] === "number"
            ? { peakActivationBytes: int(m["peakActivationBytes"]) }
            : {}),
          ...(typeof m["memoryTrafficBytes"] === "number" ? { memoryTrafficBytes: int(m["memoryTrafficBytes"]) } : {}),
          latency,
          exports: strings(m["exports"]),
          targetModels: strings(m["targetModels"]),
          ...(errors.length > 0 ? { errors } : {}),
        };
      }),
  };
}

function totals(report: CostReport) {
  return {
    params: report.params,
    macs: report.macs,
    peakActivationBytes: report.peakActivationBytes,
    memoryTrafficBytes: report.memoryTrafficBytes,
  };
}

const WINDOW_MS = 3_600_000;

export function registerDashboardRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const reads = new DashboardQueryRepository(deps.db);
  const searches = new SearchQueryRepository(deps.db);
  const devices = new DeviceAdminRepository(deps.db);

  app.get(
    "/searches/:id/result",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getSearchResult",
        summary: "A search's final result: its Pareto set re-measured on phones, with exported models",
        description:
          "`result` is null until the search has succeeded. Each member names its candidate in this search, " +
          "its objectives on `axes`, the latency the search used and the final re-measurement per target, and " +
          "the sha256 of its exported files (download through /v1/artifacts/{sha256}/download).",
        tags: ["results"],
        params: idParams,
        response: responses({
          200: object({
            searchId: uuid,
            status: { type: "string" },
            finishedAt: nullable(dateTime),
            result: nullable(searchResult),
          }),
        }),
      },
    },
    async (request) => {
      const { id } = request.params as { id: string };
      const row = await reads.searchResult(id);
      if (!row) throw new MfnasError("not_found", `search ${id} does not exist`, { id });
      const members = (row.result as { front?: unknown } | null)?.front;
      const hashes = Array.isArray(members)
        ? members.flatMap((m) => {
            const hash = (m as { hash?: unknown } | null)?.hash;
            return typeof hash === "string" ? [hash] : [];
          })
        : [];
      const ids = hashes.length > 0 ? await reads.candidateIds(id, hashes) : new Map<string, string>();
      return { searchId: id, status: row.status, finishedAt: row.finishedAt, result: toResult(row.result, ids) };
    },
  );

  app.get(
    "/architectures/:hash",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getArchitecture",
        summary: "An architecture: its genome, per-layer cost and ESRGAN's cost at the same input",
        description:
          "Costs are the exact analytic figures of the cost model for an LR input of height x width (default: the " +
          "input the architecture's stored cost was computed for); ESRGAN is RRDBNet (23 blocks, 64 channels, " +
          "growth 32) at the same scale.",
        tags: ["results"],
        params: object({ hash: sha256 }),
        querystring: object(
          {
            height: { type: "integer", minimum: 4, maximum: 2048, multipleOf: 4 },
            width: { type: "integer", minimum: 4, maximum: 2048, multipleOf: 4 },
          },
          ["height", "width"],
        ),
        response: responses({ 200: architecture }),
      },
    },
    async (request) => {
      const { hash } = request.params as { hash: string };
      const q = request.query as { height?: number; width?: number };
      const [row] = await searches.architectures([hash]);
      if (!row) throw new MfnasError("not_found", `architecture ${hash} does not exist`, { hash });
      const genome = validateGenomeStructure(row.genome);
      const input = { height: q.height ?? row.referenceInputHeight, width: q.width ?? row.referenceInputWidth };
      const cost = genomeCost(genome, input.height, input.width);
      const esrgan = esrganCost(input.height, input.width, { scale: genome.scale });
      return {
        hash,
        genome,
        encoded: encodeGenome(genome),
        input,
        cost: {
          ...totals(cost),
          layers: cost.layers.map((l) => ({
            name: l.name,
            op: l.op,
            inputShapes: l.inputShapes.map((s) => [...s]),
            outputShape: [...l.outputShape],
            ...(l.kernel !== undefined ? { kernel: l.kernel } : {}),
            ...(l.dilation !== undefined ? { dilation: l.dilation } : {}),
            ...(l.activation !== undefined ? { activation: l.activation } : {}),
            params: l.params,
            macs: l.macs,
            outputBytes: l.outputBytes,
          })),
        },
        esrgan: { ...totals(esrgan), description: `RRDBNet x${genome.scale}, 23 blocks, 64 channels, growth 32` },
      };
    },
  );

  app.get(
    "/device-lab",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getDeviceLab",
        summary: "The device lab at a glance: phones, queue depth per device class, utilization in the last hour",
        description:
          "Queue counts are BullMQ's for each device class's measure.<class> queue. Utilization is the wall time " +
          "of the benchmark repetitions of measurements recorded in the last hour over the hour (pushes, " +
          "cool-down waits and health reads are not counted).",
        tags: ["devices"],
        response: responses({ 200: deviceLab }),
      },
    },
    async () => {
      const windowEnd = new Date();
      const windowStart = new Date(windowEnd.getTime() - WINDOW_MS);
      const [phones, busy, waitingSearches] = await Promise.all([
        devices.list({}),
        reads.busyTime(windowStart),
        searches.waitingForPhones(),
      ]);
      const busyOf = new Map(busy.map((b) => [b.deviceId, b]));
      const classNames = [...new Set(phones.map((p) => p.deviceClass))].sort();
      const classes = await Promise.all(
        classNames.map(async (deviceClass) => {
          const queue = measureQueue(deviceClass).name;
          const counts = await deps.jobs
            .queue(queue)
            .getJobCounts("waiting", "active", "delayed", "prioritized", "failed");
          const members = phones.filter((p) => p.deviceClass === deviceClass);
          return {
            deviceClass,
            queue,
            devices: members.length,
            online: members.filter((p) => p.state === "online").length,
            counts: {
              waiting: counts["waiting"] ?? 0,
              active: counts["active"] ?? 0,
              delayed: counts["delayed"] ?? 0,
              prioritized: counts["prioritized"] ?? 0,
              failed: counts["failed"] ?? 0,
            },
          };
        }),
      );
      return {
        windowStart,
        windowEnd,
        classes,
        devices: phones.map((p) => {
          const b = busyOf.get(p.id);
          return {
            id: p.id,
            serial: p.serial,
            model: p.model,
            soc: p.soc,
            deviceClass: p.deviceClass,
            agentHost: p.agentHost,
            state: p.state,
            quarantineReason: p.quarantineReason,
            lastSeenAt: p.lastSeenAt,
            health: p.health ?? null,
            measurements: b?.measurements ?? 0,
            busyMs: b?.busyMs ?? 0,
            untimed: b?.untimed ?? 0,
            utilization: Math.min(1, (b?.busyMs ?? 0) / WINDOW_MS),
            lastMeasuredAt: b?.lastMeasuredAt ?? null,
          };
        }),
        waitingSearches,
      };
    },
  );
}
