import { DEVICE_CLASS_PATTERN, MfnasError } from "@mfnas/core";
import { ArtifactQueryRepository } from "@mfnas/store";
import type { FastifyInstance } from "fastify";
import { artifactSummary, toArtifact } from "../dto.ts";
import { arrayOf, object, pageOf, pageQuery, responses, sha256 } from "../schemas.ts";
import type { RouteDeps } from "./deps.ts";

const kinds = ["checkpoint", "weights", "tflite", "onnx", "tfjs", "dataset", "report"] as const;
type Kind = (typeof kinds)[number];

/** File name extension and media type by artifact kind, when the row has no media type of its own. */
function fileType(kind: Kind): { ext: string; mediaType: string } {
  switch (kind) {
    case "tflite":
      return { ext: "tflite", mediaType: "application/octet-stream" };
    case "onnx":
      return { ext: "onnx", mediaType: "application/octet-stream" };
    case "tfjs":
      return { ext: "json", mediaType: "application/json" };
    case "checkpoint":
    case "weights":
      return { ext: "safetensors", mediaType: "application/octet-stream" };
    case "report":
      return { ext: "json", mediaType: "application/json" };
    case "dataset":
      return { ext: "bin", mediaType: "application/octet-stream" };
  }
}

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/i;
const SAFE_NAME = /[^A-Za-z0-9._-]+/g;

/** A download name made only of safe characters: `<label>-<sha12>.<ext>`, label from the metadata if any. */
function downloadName(sha: string, kind: Kind, metadata: unknown): string {
  const meta = (typeof metadata === "object" && metadata !== null ? metadata : {}) as Record<string, unknown>;
  const rawLabel = typeof meta["genomeHash"] === "string" ? `subgenerator-${meta["genomeHash"].slice(0, 12)}` : kind;
  const label = rawLabel.replace(SAFE_NAME, "_").slice(0, 64) || kind;
  return `${label}-${sha.slice(0, 12)}.${fileType(kind).ext}`;
}

export function registerArtifactRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const artifacts = new ArtifactQueryRepository(deps.db);

  app.get(
    "/artifacts",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listArtifacts",
        summary: "Stored artifacts (exported SubGenerators, checkpoints, reports), newest first",
        tags: ["artifacts"],
        querystring: object({ kind: { type: "string", enum: [...kinds] }, genomeHash: sha256, ...pageQuery() }, [
          "kind",
          "genomeHash",
          "cursor",
          "limit",
        ]),
        response: responses({ 200: pageOf(artifactSummary) }),
      },
    },
    async (request) => {
      const q = request.query as { kind?: Kind; genomeHash?: string; cursor?: string; limit: number };
      const page = await artifacts.list(q, q);
      return { items: page.items.map(toArtifact), nextCursor: page.nextCursor };
    },
  );

  app.get(
    "/artifacts/:sha256",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getArtifact",
        summary: "An artifact's metadata",
        tags: ["artifacts"],
        params: object({ sha256 }),
        response: responses({ 200: artifactSummary }),
      },
    },
    async (request) => {
      const { sha256: sha } = request.params as { sha256: string };
      const row = await artifacts.get(sha);
      if (!row) throw new MfnasError("not_found", `artifact ${sha} does not exist`, { sha256: sha });
      return toArtifact(row);
    },
  );

  app.get(
    "/artifacts/:sha256/download",
    {
      config: { scope: "read" },
      schema: {
        operationId: "downloadArtifact",
        summary: "Download an artifact's bytes (checked against its digest)",
        tags: ["artifacts"],
        params: object({ sha256 }),
        response: responses({ 200: { type: "string", format: "binary", description: "the artifact's bytes" } }),
      },
    },
    async (request, reply) => {
      const { sha256: sha } = request.params as { sha256: string };
      const row = await artifacts.get(sha);
      if (!row) throw new MfnasError("not_found", `artifact ${sha} does not exist`, { sha256: sha });
      if (request.headers["if-none-match"] === `"${sha}"`) return reply.code(304).send();
      const bytes = await deps.artifacts.get(sha);
      const mediaType = row.mediaType && MEDIA_TYPE.test(row.mediaType) ? row.mediaType : fileType(row.kind).mediaType;
      return reply
        .type(mediaType)
        .header("content-disposition", `attachment; filename="${downloadName(sha, row.kind, row.metadata)}"`)
        .header("etag", `"${sha}"`)
        .header("cache-control", "private, max-age=31536000, immutable")
        .header("x-content-type-options", "nosniff")
        .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );

  app.get(
    "/predictors",
    {
      config: { scope: "read" },
      schema: {
        operationId: "listPredictors",
        summary: "Latency-predictor reports of every device class (empty until a predictor has been fitted)",
        tags: ["predictors"],
        response: responses({ 200: object({ items: arrayOf(artifactSummary) }) }),
      },
    },
    async () => ({ items: (await artifacts.predictorReports()).map(toArtifact) }),
  );

  app.get(
    "/predictors/:deviceClass/report",
    {
      config: { scope: "read" },
      schema: {
        operationId: "getPredictorReport",
        summary: "The latest latency-predictor report of a device class",
        description:
          "Reports are artifacts of kind report with metadata {report: 'latency-predictor', deviceClass}. " +
          "404 until a predictor has been fitted for the class.",
        tags: ["predictors"],
        params: object({ deviceClass: { type: "string", pattern: DEVICE_CLASS_PATTERN.source } }),
        response: responses({
          200: object({ deviceClass: { type: "string" }, latest: artifactSummary, history: arrayOf(artifactSummary) }),
        }),
      },
    },
    async (request) => {
      const { deviceClass } = request.params as { deviceClass: string };
      const reports = (await artifacts.predictorReports(deviceClass)).map(toArtifact);
      const latest = reports[0];
      if (!latest) {
        throw new MfnasError("not_found", `no latency predictor has been fitted for device class ${deviceClass}`, {
          deviceClass,
        });
      }
      return { deviceClass, latest, history: reports };
    },
  );
}
