import { MfnasError } from "@mfnas/core";
import type { FastifyInstance, FastifyRequest } from "fastify";

/**
 * Deepest nesting accepted in a request body. A search spec is about five levels deep and a device's health
 * snapshot two; deeper documents are refused before anything walks them recursively (validators, the store's
 * JSON encoding), which a few thousand levels would overflow.
 */
export const MAX_BODY_DEPTH = 32;

/** Problems listed in one answer at most; the first ones are enough to fix the request. */
const MAX_LISTED = 10;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why PostgreSQL could not store this text, or undefined when it can: text and jsonb refuse NUL, and a lone
 * UTF-16 surrogate is not Unicode (jsonb refuses its escape; text would silently get U+FFFD instead).
 */
export function unstorableText(text: string): string | undefined {
  if (text.includes("\u0000")) return "contains a NUL character (U+0000), which cannot be stored";
  if (LONE_SURROGATE.test(text)) return "contains a lone UTF-16 surrogate (not valid Unicode)";
  return undefined;
}

/** A field path in the form the validators use (`body.targets.0.deviceClass`); odd keys are quoted. */
function fieldPath(parent: string, key: string): string {
  return /^[A-Za-z0-9_$-]{1,64}$/.test(key) ? `${parent}.${key}` : `${parent}.${JSON.stringify(key.slice(0, 64))}`;
}

/**
 * Every text (values and object keys) in one part of a request that cannot be stored, and nesting beyond
 * `maxDepth`, as field messages. Iterative, so a hostile document cannot exhaust the stack here.
 */
export function inputProblems(part: string, value: unknown, maxDepth = MAX_BODY_DEPTH): string[] {
  const problems: string[] = [];
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value, path: part, depth: 0 }];
  while (stack.length > 0 && problems.length < MAX_LISTED) {
    const { value: current, path, depth } = stack.pop() as { value: unknown; path: string; depth: number };
    if (typeof current === "string") {
      const why = unstorableText(current);
      if (why !== undefined) problems.push(`${path}: ${why}`);
      continue;
    }
    if (typeof current !== "object" || current === null) continue;
    if (depth >= maxDepth) {
      problems.push(`${path}: nested deeper than ${maxDepth} levels`);
      continue;
    }
    const entries = Array.isArray(current) ? current.map((v, i) => [String(i), v] as const) : Object.entries(current);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i] as readonly [string, unknown];
      const keyProblem = Array.isArray(current) ? undefined : unstorableText(key);
      const childPath = fieldPath(path, key);
      if (keyProblem !== undefined) problems.push(`${childPath}: the property name ${keyProblem}`);
      else stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return problems.slice(0, MAX_LISTED);
}

/**
 * Query values whose percent-encoding is not UTF-8 (`%ED%A0%80`, a lone surrogate as a careless client encodes
 * it): the parser would hand them on as something else than what was sent.
 */
function undecodableQuery(url: string): string[] {
  const start = url.indexOf("?");
  if (start < 0) return [];
  const problems: string[] = [];
  for (const pair of url.slice(start + 1).split("&")) {
    const cut = pair.indexOf("=");
    const [name, value] = cut < 0 ? [pair, ""] : [pair.slice(0, cut), pair.slice(cut + 1)];
    for (const text of [name, value]) {
      try {
        decodeURIComponent(text.replace(/\+/g, " "));
      } catch {
        problems.push(`${fieldPath("querystring", safeName(name))}: is not percent-encoded UTF-8`);
        break;
      }
    }
  }
  return problems;
}

function safeName(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function requestProblems(request: FastifyRequest): string[] {
  return [
    ...undecodableQuery(request.url),
    ...inputProblems("params", request.params),
    ...inputProblems("querystring", request.query),
    // An upload's bytes are not text; what they must be is checked by the upload's kind.
    ...(request.body instanceof Uint8Array ? [] : inputProblems("body", request.body)),
  ];
}

/**
 * Checks every request's path parameters, query string and body before any route sees them (preValidation: after
 * the body is parsed, before schemas run): text that PostgreSQL cannot store and bodies nested too deep are a 400
 * naming each field, on every route at once.
 */
export function registerInputGuard(app: FastifyInstance): void {
  app.addHook("preValidation", (request, _reply, done) => {
    const problems = requestProblems(request);
    if (problems.length === 0) {
      done();
      return;
    }
    done(new MfnasError("invalid_input", `invalid request: ${problems.join("; ")}`, { fields: problems }));
  });
}
