// Request bodies checked in the browser against the API's own OpenAPI document (so the dashboard never keeps a
// copy of a schema): the body schema of an operation, and a validator for the JSON Schema keywords that document
// uses, whose messages name each field the way the API's problem documents do (`budget.generations: ...`).
import { api } from "./api.js";

/** @typedef {Record<string, unknown>} Schema */

/** @type {Promise<Schema> | null} */
let documentPromise = null;

/** The API's OpenAPI document, fetched once. @returns {Promise<Schema>} */
function openApi() {
  if (!documentPromise) {
    documentPromise = /** @type {Promise<Schema>} */ (api("/v1/openapi.json"));
    documentPromise.catch(() => {
      documentPromise = null;
    });
  }
  return documentPromise;
}

/**
 * The JSON request body schema of an operation, with the document to resolve its references against.
 * @param {string} path e.g. "/v1/searches"
 * @param {string} method e.g. "post"
 * @returns {Promise<{ schema: Schema; root: Schema }>}
 */
export async function requestSchema(path, method) {
  const root = await openApi();
  const paths = /** @type {Record<string, Record<string, Schema>>} */ (root["paths"] ?? {});
  const operation = paths[path]?.[method];
  const content = /** @type {Record<string, { schema?: Schema }> | undefined} */ (
    /** @type {Schema | undefined} */ (operation?.["requestBody"])?.["content"]
  );
  const schema = content?.["application/json"]?.schema;
  if (!schema) throw new Error(`the API's OpenAPI document has no JSON body for ${method.toUpperCase()} ${path}`);
  return { schema, root };
}

/** @param {unknown} v */
function typeOf(v) {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/**
 * @param {string[]} path
 */
function where(path) {
  return path.length === 0 ? "body" : path.join(".");
}

/** @param {unknown} v */
function show(v) {
  return JSON.stringify(v);
}

/**
 * Every violation of `schema` by `value`, as "field: message" lines (empty when valid).
 * @param {unknown} value
 * @param {Schema} schema
 * @param {Schema} root the document `$ref`s point into
 * @param {string[]} [path]
 * @returns {string[]}
 */
export function validate(value, schema, root, path = []) {
  const ref = schema["$ref"];
  if (typeof ref === "string") {
    /** @type {unknown} */
    let target = root;
    for (const part of ref.replace(/^#\//, "").split("/")) {
      target = /** @type {Schema} */ (target)?.[part.replace(/~1/g, "/").replace(/~0/g, "~")];
    }
    if (typeof target !== "object" || target === null) return [`${where(path)}: unresolvable reference ${ref}`];
    return validate(value, /** @type {Schema} */ (target), root, path);
  }
  const at = where(path);
  /** @type {string[]} */
  const errors = [];
  const alternatives = /** @type {Schema[] | undefined} */ (schema["oneOf"] ?? schema["anyOf"]);
  if (alternatives) {
    const results = alternatives.map((s) => validate(value, s, root, path));
    if (!results.some((r) => r.length === 0)) {
      // The branch that got furthest (fewest complaints) explains best what the value was meant to be.
      const best = results.reduce((a, b) => (b.length < a.length ? b : a));
      errors.push(...best);
    }
  }
  for (const sub of /** @type {Schema[]} */ (schema["allOf"] ?? [])) errors.push(...validate(value, sub, root, path));
  if ("const" in schema && show(value) !== show(schema["const"]))
    errors.push(`${at}: must be ${show(schema["const"])}`);
  const allowed = /** @type {unknown[] | undefined} */ (schema["enum"]);
  if (allowed && !allowed.some((a) => show(a) === show(value))) {
    errors.push(`${at}: must be one of ${allowed.map(show).join(", ")}`);
  }
  const type = schema["type"];
  if (type !== undefined) {
    const types = Array.isArray(type) ? type : [type];
    const actual = typeOf(value);
    const ok = types.some((t) => t === actual || (t === "number" && actual === "integer"));
    if (!ok) return [...errors, `${at}: must be ${types.join(" or ")}, not ${actual}`];
  }
  if (typeof value === "string") errors.push(...stringErrors(value, schema, at));
  if (typeof value === "number") errors.push(...numberErrors(value, schema, at));
  if (Array.isArray(value)) errors.push(...arrayErrors(value, schema, root, path));
  else if (typeof value === "object" && value !== null) {
    errors.push(...objectErrors(/** @type {Record<string, unknown>} */ (value), schema, root, path));
  }
  return errors;
}

/** @type {Map<string, RegExp>} */
const patterns = new Map();

/**
 * A schema's pattern as a RegExp: with Unicode semantics as JSON Schema asks, or, for a pattern written for
 * JavaScript's older syntax (an escape the Unicode mode refuses), without them.
 * @param {string} source
 */
function patternOf(source) {
  let re = patterns.get(source);
  if (!re) {
    try {
      re = new RegExp(source, "u");
    } catch {
      re = new RegExp(source);
    }
    patterns.set(source, re);
  }
  return re;
}

/**
 * @param {string} value
 * @param {Schema} schema
 * @param {string} at
 */
function stringErrors(value, schema, at) {
  const errors = [];
  const min = schema["minLength"];
  const max = schema["maxLength"];
  const pattern = schema["pattern"];
  if (typeof min === "number" && value.length < min) errors.push(`${at}: must have at least ${min} characters`);
  if (typeof max === "number" && value.length > max) errors.push(`${at}: must have at most ${max} characters`);
  if (typeof pattern === "string" && !patternOf(pattern).test(value)) errors.push(`${at}: must match ${pattern}`);
  return errors;
}

/**
 * @param {number} value
 * @param {Schema} schema
 * @param {string} at
 */
function numberErrors(value, schema, at) {
  const errors = [];
  const n = (/** @type {string} */ k) => (typeof schema[k] === "number" ? /** @type {number} */ (schema[k]) : null);
  const min = n("minimum");
  const max = n("maximum");
  const xmin = n("exclusiveMinimum");
  const xmax = n("exclusiveMaximum");
  const step = n("multipleOf");
  if (min !== null && value < min) errors.push(`${at}: must be at least ${min}`);
  if (max !== null && value > max) errors.push(`${at}: must be at most ${max}`);
  if (xmin !== null && value <= xmin) errors.push(`${at}: must be greater than ${xmin}`);
  if (xmax !== null && value >= xmax) errors.push(`${at}: must be less than ${xmax}`);
  if (step !== null && Math.abs(value / step - Math.round(value / step)) > 1e-9) {
    errors.push(`${at}: must be a multiple of ${step}`);
  }
  return errors;
}

/**
 * @param {unknown[]} value
 * @param {Schema} schema
 * @param {Schema} root
 * @param {string[]} path
 */
function arrayErrors(value, schema, root, path) {
  const at = where(path);
  const errors = [];
  const min = schema["minItems"];
  const max = schema["maxItems"];
  if (typeof min === "number" && value.length < min) errors.push(`${at}: must have at least ${min} items`);
  if (typeof max === "number" && value.length > max) errors.push(`${at}: must have at most ${max} items`);
  const prefix = /** @type {Schema[]} */ (schema["prefixItems"] ?? []);
  const items = schema["items"];
  value.forEach((item, i) => {
    const sub = i < prefix.length ? prefix[i] : items;
    if (sub === false) errors.push(`${where([...path, String(i)])}: is not allowed`);
    else if (typeof sub === "object" && sub !== null) {
      errors.push(...validate(item, /** @type {Schema} */ (sub), root, [...path, String(i)]));
    }
  });
  return errors;
}

/**
 * @param {Record<string, unknown>} value
 * @param {Schema} schema
 * @param {Schema} root
 * @param {string[]} path
 */
function objectErrors(value, schema, root, path) {
  const errors = [];
  const properties = /** @type {Record<string, Schema>} */ (schema["properties"] ?? {});
  for (const name of /** @type {string[]} */ (schema["required"] ?? [])) {
    if (value[name] === undefined) errors.push(`${where([...path, name])}: is required`);
  }
  const extra = schema["additionalProperties"];
  for (const [name, v] of Object.entries(value)) {
    const field = [...path, name];
    const known = properties[name];
    if (known) errors.push(...validate(v, known, root, field));
    else if (extra === false) errors.push(`${where(field)}: is not allowed`);
    else if (typeof extra === "object" && extra !== null) {
      errors.push(...validate(v, /** @type {Schema} */ (extra), root, field));
    }
  }
  return errors;
}
