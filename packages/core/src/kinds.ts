/**
 * The lists of kinds every layer names: each is written here once, and schemas, OpenAPI enums, CLI choices and
 * types derive from it. Prisma's enums and SQL spell the stored ones again; a store test holds them equal.
 */

/** Formats a SubGenerator is exported to (each has a writer in `@mfnas/export`). */
export const EXPORT_FORMATS = ["tflite", "onnx", "tfjs"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What a stored artifact is: checkpoints and weights, each export format, datasets, reports and runner binaries. */
export const ARTIFACT_KINDS = ["checkpoint", "weights", ...EXPORT_FORMATS, "dataset", "report", "runner"] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** A search's life: `queued` and `running` are in flight, the rest are final. */
export const SEARCH_STATUSES = ["queued", "running", "succeeded", "failed", "cancelled"] as const;
export type SearchStatus = (typeof SEARCH_STATUSES)[number];

/** Statuses of a search that has not finished yet. */
export const SEARCH_STATUSES_IN_FLIGHT = ["queued", "running"] as const satisfies readonly SearchStatus[];

/** Statuses a search ends in. */
export const SEARCH_STATUSES_FINAL = ["succeeded", "failed", "cancelled"] as const satisfies readonly SearchStatus[];

/**
 * Runtimes a latency target may name. Each has a runner in `@mfnas/devices` (argv and output parsing), chosen in
 * its runner table, which must cover this list: a runtime goes here only together with its runner.
 */
export const RUNTIMES = ["tflite"] as const;
export type Runtime = (typeof RUNTIMES)[number];
