import { createHash } from "node:crypto";
import { MfnasError, inspectUpload, type UploadKind } from "@mfnas/core";
import type { Db } from "../client.ts";
import { ArtifactQueryRepository } from "../repositories/artifact-query.repository.ts";
import type { LocalArtifactStore, StoredArtifact } from "./local-artifact-store.ts";

export interface UploadRequest {
  readonly kind: UploadKind;
  readonly bytes: Uint8Array;
  /** The ABI of a runner binary. */
  readonly abi?: string;
  /** A label kept in the metadata (the uploaded file's name), shown in listings. */
  readonly name?: string;
  /** The sha256 the sender computed: the upload is refused when the bytes that arrived differ. */
  readonly expectedSha256?: string;
}

/**
 * Stores what a person uploads (a teacher, a TF.js model or shard, a dataset archive, a runner binary) after
 * checking its digest, its format and, for a model.json, that every shard it names is stored already. Content
 * addressing makes a second upload of the same bytes a no-op that answers with the stored artifact.
 */
export async function uploadArtifact(
  store: Pick<LocalArtifactStore, "put">,
  db: Db,
  request: UploadRequest,
): Promise<StoredArtifact> {
  const sha256 = createHash("sha256").update(request.bytes).digest("hex");
  if (request.expectedSha256 !== undefined && request.expectedSha256 !== sha256) {
    throw new MfnasError(
      "invalid_input",
      `body: the bytes received hash to sha256 ${sha256}, not the ${request.expectedSha256} given (sent incompletely?)`,
      { fields: ["body: sha256 mismatch"] },
    );
  }
  const inspected = inspectUpload(request.kind, request.bytes, request.abi !== undefined ? { abi: request.abi } : {});
  const missing = await new ArtifactQueryRepository(db).missing(inspected.references);
  if (missing.length > 0) {
    throw new MfnasError(
      "invalid_input",
      `body: the model names shards that are not uploaded: ${missing.join(", ")} (upload them as tfjs-shard first)`,
      { fields: missing.map((sha) => `body.weightsManifest: shard ${sha} is not uploaded`) },
    );
  }
  return store.put({
    bytes: request.bytes,
    kind: inspected.artifactKind,
    mediaType: inspected.mediaType,
    metadata: { ...inspected.metadata, ...(request.name !== undefined ? { name: request.name } : {}) },
  });
}
