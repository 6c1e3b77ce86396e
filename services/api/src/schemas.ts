/**
 * JSON Schema building blocks for route schemas. Every route declares its request and its responses; response
 * schemas also drive serialization (fast-json-stringify), so an object schema lists every field it sends.
 */

export type JsonSchema = Record<string, unknown>;

export const uuid = { type: "string", format: "uuid" } as const;
export const sha256 = { type: "string", pattern: "^[0-9a-f]{64}$" } as const;
export const dateTime = { type: "string", format: "date-time" } as const;
/** Any JSON value (stored documents: specs, genomes, metrics, conditions). */
export const anyJson = {} as const;

export function nullable(schema: JsonSchema): JsonSchema {
  const type = schema["type"];
  if (typeof type === "string") return { ...schema, type: [type, "null"] };
  return { anyOf: [schema, { type: "null" }] };
}

/** A closed object; every property is required unless listed in `optional`. */
export function object(properties: Record<string, JsonSchema>, optional: readonly string[] = []): JsonSchema {
  return {
    type: "object",
    additionalProperties: false,
    properties,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
  };
}

export function arrayOf(items: JsonSchema): JsonSchema {
  return { type: "array", items };
}

/** A page of a keyset-paginated list. */
export function pageOf(item: JsonSchema): JsonSchema {
  return object({ items: arrayOf(item), nextCursor: nullable({ type: "string" }) });
}

const MAX_PAGE = 200;

/** Query fields of every paginated list. */
export function pageQuery(maxLimit = MAX_PAGE): Record<string, JsonSchema> {
  return {
    cursor: { type: "string", minLength: 1, maxLength: 512, description: "nextCursor of the previous page" },
    limit: { type: "integer", minimum: 1, maximum: maxLimit, default: 50 },
  };
}

/** RFC 9457 problem document. */
const problem = object(
  {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    instance: { type: "string" },
    code: { type: "string" },
    requestId: { type: "string" },
    fields: arrayOf({ type: "string" }),
  },
  ["fields"],
);

const PROBLEM_STATUSES = [400, 401, 403, 404, 409, 413, 415, 422, 429, 500, 503] as const;

/** Response schemas: the route's own plus a problem document for every error status. */
export function responses(ok: Record<number, JsonSchema>): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  for (const [status, schema] of Object.entries(ok)) out[status] = schema;
  for (const status of PROBLEM_STATUSES) {
    out[String(status)] = { ...problem, description: "problem+json (RFC 9457)" };
  }
  return out;
}

export const idParams = object({ id: uuid });
