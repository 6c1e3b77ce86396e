import { MfnasError } from "@mfnas/core";
import { DashboardQueryRepository } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { arrayOf, dateTime, idParams, nullable, object, responses, uuid } from "../schemas.ts";
import type { RouteDeps } from "./deps.ts";

/** A search's final result: its Pareto set re-measured on phones, with exported models. */

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

export function registerSearchFinalSetRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const reads = new DashboardQueryRepository(deps.db);

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
}
