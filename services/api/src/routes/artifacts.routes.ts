import { ARTIFACT_KINDS, MfnasError, RUNNER_ABIS, UPLOAD_KINDS, type ArtifactKind, type UploadKind } from "@mfnas/core";
import { ArtifactQueryRepository, uploadArtifact } from "@mfnas/store";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { artifactSummary, toArtifact } from "../dto.ts";
import { object, pageOf, pageQuery, responses, sha256 } from "../schemas.ts";
import { authorize } from "../auth.ts";
import { domainValidated } from "../validation.ts";
import { submitLimit, type RouteDeps } from "./deps.ts";

/** File name extension and media type by artifact kind, when the row has no media type of its own. */
function fileType(kind: ArtifactKind): { ext: string; mediaType: string } {
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
    case "runner":
      return { ext: "bin", mediaType: "application/octet-stream" };
  }
}

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/i;
const SAFE_NAME = /[^A-Za-z0-9._-]+/g;

/** A download name made only of safe characters: `<label>-<sha12>.<ext>`, label from the metadata if any. */
function downloadName(sha: string, kind: ArtifactKind, metadata: unknown): string {
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
        querystring: object(
          { kind: { type: "string", enum: [...ARTIFACT_KINDS] }, genomeHash: sha256, ...pageQuery() },
          ["kind", "genomeHash", "cursor", "limit"],
        ),
        response: responses({ 200: pageOf(artifactSummary) }),
      },
    },
    async (request) => {
      const q = request.query as { kind?: ArtifactKind; genomeHash?: string; cursor?: string; limit: number };
      const page = await artifacts.list(q, q);
      return { items: page.items.map(toArtifact), nextCursor: page.nextCursor };
    },
  );

  registerUploadRoute(app, deps);

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
}

const UPLOAD_MEDIA_TYPE = "application/octet-stream";

/**
 * POST /artifacts: the raw bytes of a teacher, a TF.js model or shard, a dataset archive or a runner binary. In a
 * context of its own, so that only this route parses octet-stream bodies (and only those: JSON or YAML is a 415)
 * and accepts bodies past the API's limit.
 */
function registerUploadRoute(app: FastifyInstance, deps: RouteDeps): void {
  const limits = deps.options.uploadLimits;
  const largest = Math.max(...Object.values(limits));
  // Before validation the kind may be anything; an unknown one gets the largest limit and fails validation next.
  const kindOf = (request: FastifyRequest) => String((request.query as { kind?: unknown }).kind);
  const limitOf = (kind: string) => (kind in limits ? limits[kind as UploadKind] : largest);
  void app.register((scoped, _options, done) => {
    scoped.removeAllContentTypeParsers();
    scoped.addContentTypeParser(UPLOAD_MEDIA_TYPE, { parseAs: "buffer", bodyLimit: largest }, (_request, body, next) =>
      next(null, body),
    );
    scoped.post(
      "/artifacts",
      {
        bodyLimit: largest,
        config: { scope: "submit", ...submitLimit(deps) },
        // A declared length past the kind's limit is refused before the body is read.
        preParsing: (request, _reply, payload, done) => {
          const declared = Number(request.headers["content-length"] ?? 0);
          const kind = kindOf(request);
          if (declared > limitOf(kind)) done(tooLarge(kind, declared, limitOf(kind)));
          else done(null, payload);
        },
        schema: {
          operationId: "uploadArtifact",
          summary: "Upload a teacher, a TF.js model or shard, a dataset archive or a runner binary",
          description:
            "The body is the file's bytes (application/octet-stream). Checked before it is stored: its sha256 " +
            "against `sha256` when given, its size against the kind's limit (413), its format against the kind " +
            "(safetensors, a model.json whose weight paths are uploaded shards, 32-bit shard values, a tar or " +
            "tar.gz of PNG/JPEG images, an ELF binary of the given ABI). Runner binaries run on the phones, so " +
            "uploading one needs the admin scope. The same bytes uploaded twice are stored once (200, created " +
            "false). Limits (bytes): " +
            Object.entries(limits)
              .map(([kind, bytes]) => `${kind} ${bytes}`)
              .join(", ") +
            ".",
          tags: ["artifacts"],
          consumes: [UPLOAD_MEDIA_TYPE],
          querystring: object(
            {
              kind: { type: "string", enum: [...UPLOAD_KINDS] },
              abi: { type: "string", enum: Object.keys(RUNNER_ABIS), description: "the ABI of a runner binary" },
              name: { type: "string", minLength: 1, maxLength: 200, description: "a label, e.g. the file name" },
              sha256: { ...sha256, description: "the digest the sender computed; a mismatch is a 400" },
            },
            ["abi", "name", "sha256"],
          ),
          body: domainValidated({ type: "string", format: "binary", description: "the file's bytes" }, "inspectUpload"),
          response: responses({ 201: uploaded, 200: uploaded }),
        },
      },
      async (request, reply) => {
        const q = request.query as { kind: UploadKind; abi?: string; name?: string; sha256?: string };
        if (q.kind === "runner" && request.principal) authorize(request.principal, "admin");
        const bytes = request.body as Buffer;
        if (bytes.byteLength > limits[q.kind]) throw tooLarge(q.kind, bytes.byteLength, limits[q.kind]);
        const stored = await uploadArtifact(deps.artifacts, deps.db, {
          kind: q.kind,
          bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          ...(q.abi !== undefined ? { abi: q.abi } : {}),
          ...(q.name !== undefined ? { name: q.name } : {}),
          ...(q.sha256 !== undefined ? { expectedSha256: q.sha256 } : {}),
        });
        const row = await new ArtifactQueryRepository(deps.db).get(stored.sha256);
        if (!row) throw new MfnasError("not_found", `artifact ${stored.sha256} was stored but its row is gone`);
        return reply.code(stored.created ? 201 : 200).send({ ...toArtifact(row), created: stored.created });
      },
    );
    done();
  });
}

const uploaded = {
  ...artifactSummary,
  properties: {
    ...(artifactSummary["properties"] as object),
    created: { type: "boolean", description: "false when the same bytes were stored already" },
  },
  required: [...(artifactSummary["required"] as string[]), "created"],
};

function tooLarge(kind: string, bytes: number, limit: number): Error {
  return Object.assign(
    new Error(`a ${kind} upload of ${bytes} bytes exceeds the limit of ${limit} bytes for ${kind}`),
    {
      statusCode: 413,
    },
  );
}
