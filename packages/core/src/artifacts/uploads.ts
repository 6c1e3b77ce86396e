import { MfnasError } from "../errors.ts";
import { readDatasetArchive, type DatasetArchive } from "./dataset-archive.ts";

/**
 * What a person may put into the artifact store, and how each kind is recognised before it is stored:
 * - `teacher-weights`: an RRDBNet teacher as safetensors (the `teacher.weights` of a `rrdbnet` training config);
 * - `tfjs-model`: a TF.js layers `model.json` whose weight paths are the sha256 digests of shards uploaded before
 *   it (the `teacher.artifact` of a `tfjs-layers` training config);
 * - `tfjs-shard`: one binary weight shard of such a model (little-endian 32-bit values);
 * - `dataset`: a tar or tar.gz archive of HR images (PNG or JPEG);
 * - `runner`: a benchmark_model binary for one Android ABI (an ELF executable of that ABI's machine).
 */
export const UPLOAD_KINDS = ["teacher-weights", "tfjs-model", "tfjs-shard", "dataset", "runner"] as const;
export type UploadKind = (typeof UPLOAD_KINDS)[number];

/** Android ABIs a runner may be built for, with the ELF machine (e_machine) each one's binaries carry. */
export const RUNNER_ABIS = { "arm64-v8a": 0xb7, "armeabi-v7a": 0x28, x86_64: 0x3e, x86: 0x03 } as const;
export type RunnerAbi = keyof typeof RUNNER_ABIS;

/** Largest upload of each kind by default (bytes): an ESRGAN teacher is 67 MB, a DIV2K HR archive 3.5 GB. */
export const DEFAULT_UPLOAD_LIMITS: Readonly<Record<UploadKind, number>> = {
  "teacher-weights": 512 * 1024 ** 2,
  "tfjs-model": 8 * 1024 ** 2,
  "tfjs-shard": 512 * 1024 ** 2,
  dataset: 1024 ** 3,
  runner: 64 * 1024 ** 2,
};

/** How an upload is stored: the store's artifact kind, its media type and metadata, and what it refers to. */
export interface InspectedUpload {
  readonly artifactKind: "weights" | "tfjs" | "dataset" | "runner";
  readonly mediaType: string;
  readonly metadata: Record<string, string | number>;
  /** sha256 digests of other artifacts this one needs (the shards of a model.json). */
  readonly references: readonly string[];
}

const SHA256 = /^[0-9a-f]{64}$/;

function refuse(kind: UploadKind, why: string): never {
  throw new MfnasError("invalid_input", `body: not a ${kind} upload: ${why}`, { fields: [`body: ${why}`] });
}

/**
 * Checks that the bytes are what `kind` says (its format, not its meaning: a teacher's tensor shapes are checked
 * when a supernet is trained with it), and says how to store them. Throws invalid_input naming what is wrong.
 */
export function inspectUpload(kind: UploadKind, bytes: Uint8Array, options: { abi?: string } = {}): InspectedUpload {
  if (bytes.byteLength === 0) refuse(kind, "the body is empty");
  if (kind !== "runner" && options.abi !== undefined) refuse(kind, "abi is only for runner uploads");
  switch (kind) {
    case "teacher-weights":
      return { ...inspectSafetensors(bytes), references: [] };
    case "tfjs-model":
      return inspectModelJson(bytes);
    case "tfjs-shard":
      if (bytes.byteLength % 4 !== 0) refuse(kind, `${bytes.byteLength} bytes is not a whole number of 32-bit values`);
      return {
        artifactKind: "weights",
        mediaType: "application/octet-stream",
        metadata: { upload: kind },
        references: [],
      };
    case "dataset":
      return { ...inspectDataset(bytes), references: [] };
    case "runner":
      return { ...inspectRunner(bytes, options.abi), references: [] };
  }
}

function inspectSafetensors(bytes: Uint8Array): Omit<InspectedUpload, "references"> {
  const kind = "teacher-weights";
  if (bytes.byteLength < 8) refuse(kind, "shorter than a safetensors header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength < 2 || 8 + headerLength > bytes.byteLength) {
    refuse(
      kind,
      `its first 8 bytes give a header of ${headerLength} bytes, which the file cannot hold (not safetensors)`,
    );
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    refuse(kind, "the safetensors header is not JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    refuse(kind, "the safetensors header is not a JSON object");
  }
  const tensors = Object.keys(header).filter((name) => name !== "__metadata__");
  if (tensors.length === 0) refuse(kind, "the safetensors header lists no tensors");
  return {
    artifactKind: "weights",
    mediaType: "application/octet-stream",
    metadata: { upload: kind, tensors: tensors.length },
  };
}

function inspectModelJson(bytes: Uint8Array): InspectedUpload {
  const kind = "tfjs-model";
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch {
    refuse(kind, "model.json is not JSON");
  }
  const model = json as { modelTopology?: unknown; weightsManifest?: unknown; format?: unknown };
  if (typeof model !== "object" || model === null || typeof model.modelTopology !== "object") {
    refuse(kind, "model.json has no modelTopology (a TF.js layers model)");
  }
  if (!Array.isArray(model.weightsManifest) || model.weightsManifest.length === 0) {
    refuse(kind, "model.json has no weightsManifest");
  }
  const references: string[] = [];
  for (const [i, group] of (model.weightsManifest as Array<{ paths?: unknown }>).entries()) {
    if (!Array.isArray(group.paths)) refuse(kind, `weightsManifest.${i}.paths is not a list`);
    for (const p of group.paths as unknown[]) {
      if (typeof p !== "string" || !SHA256.test(p)) {
        refuse(
          kind,
          `weightsManifest.${i}.paths holds ${JSON.stringify(p)}, not the sha256 of an uploaded shard ` +
            "(upload each shard as tfjs-shard and write its sha256 there; `mfnas upload tfjs-model <folder>` does it)",
        );
      }
      references.push(p);
    }
  }
  return { artifactKind: "tfjs", mediaType: "application/json", metadata: { upload: kind }, references };
}

function inspectDataset(bytes: Uint8Array): Omit<InspectedUpload, "references"> {
  let archive: DatasetArchive;
  try {
    archive = readDatasetArchive(bytes);
  } catch (error) {
    refuse("dataset", (error as Error).message);
  }
  return {
    artifactKind: "dataset",
    mediaType: archive.gzipped ? "application/gzip" : "application/x-tar",
    metadata: { upload: "dataset", images: archive.images.length, files: archive.files },
  };
}

function inspectRunner(bytes: Uint8Array, abi: string | undefined): Omit<InspectedUpload, "references"> {
  const kind = "runner";
  const abis = Object.keys(RUNNER_ABIS).join(", ");
  if (abi === undefined) refuse(kind, `give the ABI it is built for (one of ${abis})`);
  if (!(abi in RUNNER_ABIS)) refuse(kind, `abi ${JSON.stringify(abi)} is not one of ${abis}`);
  const isElf = bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!isElf || bytes.byteLength < 20) refuse(kind, "not an ELF executable (an Android benchmark_model binary)");
  const machine = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint16(18, bytes[5] !== 2);
  const expected = RUNNER_ABIS[abi as RunnerAbi];
  if (machine !== expected) {
    const actual =
      Object.entries(RUNNER_ABIS).find(([, m]) => m === machine)?.[0] ?? `ELF machine 0x${machine.toString(16)}`;
    refuse(kind, `the binary is built for ${actual}, not ${abi}`);
  }
  return { artifactKind: "runner", mediaType: "application/octet-stream", metadata: { upload: kind, abi } };
}
