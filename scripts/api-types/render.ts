// Turns the API's OpenAPI 3.1 document into TypeScript types, one entry per operation (by operationId): its
// method and path, path parameters, query, JSON body and the JSON of its success answers. The CLI and the
// dashboard type their requests and answers with these instead of copies of the response shapes.

type Schema = Record<string, unknown>;

interface Parameter {
  readonly name: string;
  readonly in: string;
  readonly required?: boolean;
  readonly schema?: Schema;
  readonly description?: string;
}

interface Operation {
  readonly operationId?: string;
  readonly summary?: string;
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { content: Record<string, { schema?: Schema }> };
  readonly responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}

export interface OpenApiDocument {
  readonly paths: Record<string, Record<string, Operation>>;
}

const METHODS = ["get", "post", "put", "patch", "delete"] as const;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function indent(text: string, by: string): string {
  return text.replace(/\n/g, `\n${by}`);
}

function comment(text: unknown, pad: string): string {
  return typeof text === "string" && text !== ""
    ? `${pad}/** ${text.replace(/\*\//g, "*\\/").replace(/\s+/g, " ")} */\n`
    : "";
}

function literal(value: unknown): string {
  return JSON.stringify(value);
}

/** Members joined by `|`; string literals beside `string` itself say nothing more and are left out. */
function union(members: string[]): string {
  const wide = members.includes("string");
  return [...new Set(members.filter((m) => !(wide && /^"[^"|]*"( \| "[^"|]*")*$/.test(m))))].join(" | ");
}

/** A JSON Schema (the subset the API's route schemas use) as a TypeScript type. */
function typeOf(schema: Schema | boolean | undefined): string {
  if (schema === undefined || schema === true) return "unknown";
  if (schema === false) return "never";
  const types = ([] as unknown[]).concat(schema["type"] ?? []) as string[];
  const orNull = (text: string) => (types.includes("null") ? `${text} | null` : text);
  if (Array.isArray(schema["enum"])) {
    const values = schema["enum"] as unknown[];
    const union = values.map(literal).join(" | ");
    return types.includes("null") && !values.includes(null) ? `${union} | null` : union;
  }
  if ("const" in schema) return literal(schema["const"]);
  for (const key of ["anyOf", "oneOf"] as const) {
    if (Array.isArray(schema[key])) return union((schema[key] as Schema[]).map((s) => typeOf(s)));
  }
  if (Array.isArray(schema["allOf"])) return (schema["allOf"] as Schema[]).map((s) => `(${typeOf(s)})`).join(" & ");
  const concrete = types.filter((t) => t !== "null");
  if (concrete.length === 0) return types.includes("null") ? "null" : "unknown";
  if (concrete.length > 1) return orNull(concrete.map((t) => typeOf({ ...schema, type: t })).join(" | "));
  const [kind] = concrete as [string, ...string[]];
  switch (kind) {
    case "string":
      return orNull("string");
    case "integer":
    case "number":
      return orNull("number");
    case "boolean":
      return orNull("boolean");
    case "array": {
      if (Array.isArray(schema["prefixItems"])) {
        const head = (schema["prefixItems"] as Schema[]).map((s) => typeOf(s));
        const rest = schema["items"] === false ? [] : [`...Array<${typeOf(schema["items"] as Schema | undefined)}>`];
        return orNull(`[${[...head, ...rest].join(", ")}]`);
      }
      const item = typeOf(schema["items"] as Schema | undefined);
      return orNull(/^[A-Za-z0-9_]+$/.test(item) ? `${item}[]` : `Array<${item}>`);
    }
    case "object":
      return orNull(objectType(schema));
    default:
      return "unknown";
  }
}

function objectType(schema: Schema): string {
  const properties = (schema["properties"] ?? {}) as Record<string, Schema>;
  const required = new Set((schema["required"] ?? []) as string[]);
  const lines = Object.entries(properties).map(([name, property]) => {
    const key = IDENTIFIER.test(name) ? name : literal(name);
    return `${comment(property["description"], "  ")}  ${key}${required.has(name) ? "" : "?"}: ${indent(typeOf(property), "  ")};`;
  });
  const extra = schema["additionalProperties"];
  if (extra === true || extra === undefined) lines.push("  [key: string]: unknown;");
  else if (typeof extra === "object" && extra !== null)
    lines.push(`  [key: string]: ${indent(typeOf(extra as Schema), "  ")};`);
  return lines.length === 0 ? "Record<string, never>" : `{\n${lines.join("\n")}\n}`;
}

function parametersType(parameters: readonly Parameter[], where: string): string {
  const own = parameters.filter((p) => p.in === where);
  if (own.length === 0) return "Record<string, never>";
  const lines = own.map(
    (p) =>
      `${comment(p.description ?? p.schema?.["description"], "  ")}  ${IDENTIFIER.test(p.name) ? p.name : literal(p.name)}${p.required ? "" : "?"}: ${indent(typeOf(p.schema), "  ")};`,
  );
  return `{\n${lines.join("\n")}\n}`;
}

function jsonOf(content: Record<string, { schema?: Schema }> | undefined): string | undefined {
  if (!content) return undefined;
  const json = content["application/json"];
  if (json) return typeOf(json.schema);
  const bytes = content["application/octet-stream"];
  if (bytes) return "Uint8Array";
  const first = Object.values(content)[0];
  return first ? typeOf(first.schema) : undefined;
}

function operationType(method: string, path: string, op: Operation): string {
  const parameters = op.parameters ?? [];
  const ok = Object.entries(op.responses ?? {})
    .filter(([status]) => /^2\d\d$/.test(status))
    .map(([status, answer]) => (status === "204" ? "undefined" : (jsonOf(answer.content) ?? "unknown")));
  const fields = [
    `method: ${literal(method)};`,
    `path: ${literal(path)};`,
    `params: ${parametersType(parameters, "path")};`,
    `query: ${parametersType(parameters, "query")};`,
    `body: ${op.requestBody ? (jsonOf(op.requestBody.content) ?? "unknown") : "never"};`,
    `response: ${ok.length === 0 ? "unknown" : [...new Set(ok)].join(" | ")};`,
  ];
  return `{\n${fields.map((f) => `  ${indent(f, "  ")}`).join("\n")}\n}`;
}

/** The generated module: `ApiOperations` and helpers to pick an operation's parts by its operationId. */
export function renderApiTypes(document: OpenApiDocument): string {
  const entries: string[] = [];
  const routes: string[] = [];
  for (const [path, item] of Object.entries(document.paths).sort(([a], [b]) => a.localeCompare(b))) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      if (!op.operationId) throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
      routes.push(`  ${op.operationId}: { method: ${literal(method.toUpperCase())}, path: ${literal(path)} },`);
      entries.push(
        `${comment(op.summary, "  ")}  ${op.operationId}: ${indent(operationType(method, path, op), "  ")};`,
      );
    }
  }
  return [
    "// Generated from the API's OpenAPI document by scripts/generate-api-types.ts (npm run api-types): do not edit.",
    "// A test fails when this file and the document disagree.",
    "",
    "/** Every operation of the API by its operationId: method, path, parameters, body and success answer. */",
    "export interface ApiOperations {",
    entries.join("\n"),
    "}",
    "",
    "export type ApiOperationId = keyof ApiOperations;",
    "/** The JSON a successful answer of the operation carries. */",
    'export type ApiResponse<Op extends ApiOperationId> = ApiOperations[Op]["response"];',
    "/** The operation's request body. */",
    'export type ApiBody<Op extends ApiOperationId> = ApiOperations[Op]["body"];',
    "/** The operation's query string. */",
    'export type ApiQuery<Op extends ApiOperationId> = ApiOperations[Op]["query"];',
    "/** The operation's path parameters. */",
    'export type ApiParams<Op extends ApiOperationId> = ApiOperations[Op]["params"];',
    "",
    "/** Method and path template of every operation, for clients that call operations by their id. */",
    "export const API_ROUTES = {",
    routes.join("\n"),
    "} as const satisfies Record<ApiOperationId, { method: string; path: string }>;",
    "",
  ].join("\n");
}

/** Where the generated module is kept (in core: types only, so every service and the dashboard may import it). */
export const API_TYPES_FILE = "packages/core/src/api/api-types.ts";

/** The generated module as the repository keeps it: formatted with the project's prettier settings. */
export async function apiTypesSource(document: OpenApiDocument, root: string): Promise<string> {
  const prettier = await import("prettier");
  const filepath = `${root}/${API_TYPES_FILE}`;
  const config = (await prettier.resolveConfig(filepath)) ?? {};
  return prettier.format(renderApiTypes(document), { ...config, filepath });
}
