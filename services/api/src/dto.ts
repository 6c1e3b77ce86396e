import { MfnasError, SEARCH_STATUSES } from "@mfnas/core";
import { anyJson, dateTime, nullable, object, uuid, type JsonSchema } from "./schemas.ts";

/** Shared response shapes and small request checks of the /v1 routes. */

export const supernetSummary = object({
  id: uuid,
  name: { type: "string" },
  status: { type: "string", enum: ["queued", "training", "ready", "failed", "cancelled"] },
  step: { type: "integer", description: "last finished training step" },
  error: nullable({ type: "string" }),
  createdAt: dateTime,
  updatedAt: dateTime,
  startedAt: nullable(dateTime),
  finishedAt: nullable(dateTime),
});

export const searchSummary = object({
  id: uuid,
  name: { type: "string" },
  status: { type: "string", enum: [...SEARCH_STATUSES] },
  seed: { type: "integer" },
  supernetId: nullable(uuid),
  scheduleId: nullable(uuid),
  lastGeneration: nullable({ type: "integer" }),
  error: nullable({ type: "string" }),
  createdAt: dateTime,
  updatedAt: dateTime,
  startedAt: nullable(dateTime),
  finishedAt: nullable(dateTime),
});

export const costSchema = object({
  params: { type: "integer" },
  macs: { type: "integer" },
  peakActivationBytes: { type: "integer" },
  memoryTrafficBytes: { type: "integer" },
  costModelVersion: { type: "string" },
  referenceInput: object({ height: { type: "integer" }, width: { type: "integer" } }),
});

export const latencySchema = object({
  target: { type: "string" },
  predictedMs: nullable({ type: "number" }),
  predictedStdMs: nullable({ type: "number" }),
  predictorVersion: nullable({ type: "string" }),
  measuredMs: nullable({ type: "number" }),
  measuredPeakMemMb: nullable({ type: "number" }),
  measurementId: nullable(uuid),
});

export const measurementSummary = object(
  {
    id: uuid,
    requestKey: { type: "string" },
    architectureHash: { type: "string" },
    deviceId: uuid,
    device: object({ serial: { type: "string" }, model: { type: "string" }, soc: nullable({ type: "string" }) }),
    deviceClass: { type: "string" },
    runtime: { type: "string" },
    runtimeVersion: { type: "string" },
    runtimeConfig: anyJson,
    input: object({ height: { type: "integer" }, width: { type: "integer" } }),
    samples: { type: "integer" },
    medianMs: { type: "number" },
    meanMs: { type: "number" },
    stdMs: { type: "number" },
    p90Ms: { type: "number" },
    minMs: { type: "number" },
    maxMs: { type: "number" },
    initMs: nullable({ type: "number" }),
    peakMemoryMb: nullable({ type: "number" }),
    conditions: anyJson,
    createdAt: dateTime,
    rawOutput: { type: "string", description: "the benchmark tool's output; only with ?raw=true" },
  },
  ["rawOutput"],
);

export const artifactSummary = object({
  sha256: { type: "string" },
  kind: { type: "string" },
  sizeBytes: { type: "integer" },
  mediaType: nullable({ type: "string" }),
  metadata: anyJson,
  createdAt: dateTime,
  downloadUrl: { type: "string" },
});

export function toArtifact(row: {
  sha256: string;
  kind: string;
  sizeBytes: bigint;
  mediaType: string | null;
  metadata: unknown;
  createdAt: Date;
}) {
  return {
    sha256: row.sha256,
    kind: row.kind,
    sizeBytes: Number(row.sizeBytes),
    mediaType: row.mediaType,
    metadata: row.metadata ?? null,
    createdAt: row.createdAt,
    downloadUrl: `/v1/artifacts/${row.sha256}/download`,
  };
}

export function toMeasurement(row: {
  id: string;
  requestKey: string;
  architectureHash: string;
  deviceId: string;
  device: { serial: string; model: string; soc: string | null };
  deviceClass: string;
  runtime: string;
  runtimeVersion: string;
  runtimeConfig: unknown;
  inputHeight: number;
  inputWidth: number;
  samples: number;
  medianMs: number;
  meanMs: number;
  stdMs: number;
  p90Ms: number;
  minMs: number;
  maxMs: number;
  initMs: number | null;
  peakMemoryMb: number | null;
  conditions: unknown;
  createdAt: Date;
  rawOutput?: string;
}) {
  const { inputHeight, inputWidth, rawOutput, ...rest } = row;
  return {
    ...rest,
    input: { height: inputHeight, width: inputWidth },
    ...(rawOutput !== undefined ? { rawOutput } : {}),
  };
}

export function toCost(a: {
  params: bigint;
  macs: bigint;
  peakActivationBytes: bigint;
  memoryTrafficBytes: bigint;
  costModelVersion: string;
  referenceInputHeight: number;
  referenceInputWidth: number;
}) {
  return {
    params: Number(a.params),
    macs: Number(a.macs),
    peakActivationBytes: Number(a.peakActivationBytes),
    memoryTrafficBytes: Number(a.memoryTrafficBytes),
    costModelVersion: a.costModelVersion,
    referenceInput: { height: a.referenceInputHeight, width: a.referenceInputWidth },
  };
}

/** A domain-validated body must at least be a JSON object. */
export function bodyObject(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new MfnasError("invalid_input", "body: must be an object", { fields: ["body: must be an object"] });
  }
  return body as Record<string, unknown>;
}

/** A display name: trimmed, 1-200 characters. */
export function requireName(value: unknown, field = "name"): string {
  const name = typeof value === "string" ? value.trim() : "";
  if (name.length < 1 || name.length > 200) {
    const message = `${field}: must be a string of 1-200 characters`;
    throw new MfnasError("invalid_input", message, { fields: [message] });
  }
  return name;
}

/** JSON Schema of a zod schema (documentation of domain-validated bodies). */
export function documented(schema: { toJSONSchema(options?: object): unknown }): JsonSchema {
  const json = schema.toJSONSchema({ io: "input", unrepresentable: "any" }) as JsonSchema;
  const { $schema: _ignored, ...rest } = json;
  return rest;
}
