/**
 * Small path-aware checks shared by the search-space and genome validators. Every failure is an
 * `MfnasError("invalid_input")` whose message starts with the path of the offending field, e.g.
 * `blocks[2].branches: unknown branch "k9"`, so a user can find the bad gene without reading a stack trace.
 */
import { MfnasError } from "../errors.ts";

/** Path of a child field: `child("blocks", 2)` is `blocks[2]`, `child("blocks[2]", "branches")` is `blocks[2].branches`. */
export function child(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path === "" ? key : `${path}.${key}`;
}

/**
 * The error for one bad field. `subject` prefixes the message when the path alone would be ambiguous (a search space
 * and a genome both have fields; genome messages carry no prefix so they read as gene paths).
 */
export function invalidAt(
  path: string,
  problem: string,
  extra: Record<string, unknown> = {},
  subject = "",
): MfnasError {
  const where = path === "" ? subject || "value" : subject ? `${subject} ${path}` : path;
  return new MfnasError("invalid_input", `${where}: ${problem}`, { path, ...extra });
}

/** A short rendering of an offending value for an error message (never a whole object). */
export function describe(value: unknown): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "object":
      return value === null ? "null" : Array.isArray(value) ? "an array" : "an object";
    case "function":
      return "a function";
    case "symbol":
      return value.toString();
    case "number":
    case "bigint":
    case "boolean":
    case "undefined":
      return String(value);
  }
}

/** A plain object whose keys are all in `allowed` and which has every key in `required`. */
export function expectRecord(
  value: unknown,
  path: string,
  allowed: readonly string[],
  required: readonly string[],
  subject = "",
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalidAt(path, `expected an object, got ${describe(value)}`, {}, subject);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) {
      throw invalidAt(child(path, key), `unknown key (allowed: ${allowed.join(", ")})`, {}, subject);
    }
  }
  for (const key of required) {
    if (record[key] === undefined) throw invalidAt(child(path, key), "missing", {}, subject);
  }
  return record;
}

export function expectInteger(value: unknown, path: string, min: number, max: number, subject = ""): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalidAt(path, `must be an integer in ${min}..${max}, got ${describe(value)}`, { value }, subject);
  }
  return value;
}

export function expectArray(value: unknown, path: string, subject = ""): unknown[] {
  if (!Array.isArray(value)) throw invalidAt(path, `expected an array, got ${describe(value)}`, {}, subject);
  // A dense copy: holes of a sparse array (`[a, , b]`) become undefined, which the element checks refuse, instead
  // of being skipped by map() and surviving into the result.
  return Array.from(value as unknown[]);
}
