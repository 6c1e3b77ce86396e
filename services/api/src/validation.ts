import { AjvCompiler } from "@fastify/ajv-compiler";
import { MfnasError } from "@mfnas/core";
import type { FastifyInstance } from "fastify";
import { parse as parseYaml } from "yaml";
import type { JsonSchema } from "./schemas.ts";

/** Media types of YAML bodies. */
const YAML_MEDIA_TYPES = ["application/yaml", "application/x-yaml", "text/yaml"] as const;

/** The media types every request body may be written in (YAML is parsed to the same values as JSON). */
export const BODY_MEDIA_TYPES = ["application/json", ...YAML_MEDIA_TYPES] as const;

/**
 * Marks a body schema as documentation only: the handler validates the body itself with the domain parser
 * (a search spec, a training config), whose errors name the field in the domain's own terms.
 */
const VALIDATED_BY_DOMAIN = "x-mfnas-validated-by";

export function domainValidated(schema: JsonSchema, by: string): JsonSchema {
  return { ...schema, [VALIDATED_BY_DOMAIN]: by };
}

/**
 * Route validation with two ajv instances: query strings, params and headers are coerced from text (`?limit=5`),
 * bodies are not (a JSON body says what it means). Neither removes unknown properties: a closed schema rejects
 * them, naming the field.
 */
export function registerValidation(app: FastifyInstance): void {
  const build = AjvCompiler();
  const common = { useDefaults: true, removeAdditional: false, allErrors: false } as const;
  const text = build({}, { customOptions: { ...common, coerceTypes: "array" } });
  const json = build({}, { customOptions: { ...common, coerceTypes: false } });
  app.setValidatorCompiler(({ schema, method, url, httpPart }) => {
    if (httpPart === "body" && VALIDATED_BY_DOMAIN in schema) return () => true;
    const compile = httpPart === "body" ? json : text;
    return compile({ schema, method, url, httpPart });
  });

  // A body is JSON or YAML; fastify's own text/plain parser is removed so that plain text is a 415, not a body
  // that fails validation later with a less useful message.
  app.removeContentTypeParser("text/plain");
  // Bodies may be YAML (a spec file as written); parsed to the same values as JSON.
  app.addContentTypeParser([...YAML_MEDIA_TYPES], { parseAs: "string" }, (_request, body, done) => {
    try {
      const value: unknown = parseYaml(body as string, { maxAliasCount: 100, uniqueKeys: true });
      done(null, value);
    } catch (error) {
      done(new MfnasError("invalid_input", `body: not valid YAML: ${(error as Error).message}`), undefined);
    }
  });
}
