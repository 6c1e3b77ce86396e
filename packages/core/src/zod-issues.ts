import type { z } from "zod";

/** Where a zod issue points, as "a.b.0.c"; an issue about the value as a whole is named `whole`. */
export function issuePath(issue: z.core.$ZodIssue, whole: string): string {
  return issue.path.map(String).join(".") || whole;
}

/**
 * Each issue of a zod error as "path: message", for an `invalid_input`-style error that names every bad field.
 * `whole` names the value itself (e.g. "(spec)"); with `prefix`, every path starts with it.
 */
export function issueMessages(error: z.ZodError, whole: string, prefix?: string): string[] {
  return error.issues.map((issue) => {
    const path = prefix === undefined ? issuePath(issue, whole) : [prefix, ...issue.path.map(String)].join(".");
    return `${path}: ${issue.message}`;
  });
}
