import type { SearchSpec } from "@mfnas/core";
import type { Prisma } from "../generated/prisma/client.ts";

/** The columns of the Search row a checked spec makes, the same whoever submits it. */
export interface SearchRow {
  readonly name: string;
  readonly spec: Prisma.InputJsonObject;
  readonly seed: number;
  /** The spec's supernet: what lists filter on and what evaluation loads. */
  readonly supernetId: string | null;
}

/** The Search row of a checked spec; `name` defaults to the spec's (a schedule names each slot's search). */
export function searchRow(spec: SearchSpec, name: string = spec.name): SearchRow {
  return {
    name,
    spec: spec as unknown as Prisma.InputJsonObject,
    seed: spec.seed,
    supernetId: spec.supernet?.id ?? null,
  };
}
