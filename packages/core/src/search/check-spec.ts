import { underField } from "../errors.ts";
import { DEFAULT_SEARCH_SPACE, narrowSpace } from "../space/search-space.ts";
import { parseSearchSpec, type SearchSpec } from "./spec.ts";

/**
 * Checks a submitted spec fully: its schema, then its space against the default space. The one check every
 * submission makes (API, scheduler, CLI, tests); invalid_input names each bad field.
 */
export function checkSearchSpec(value: unknown): SearchSpec {
  const spec = parseSearchSpec(value);
  if (spec.space) underField("space", () => narrowSpace(DEFAULT_SEARCH_SPACE, spec.space ?? {}));
  return spec;
}
