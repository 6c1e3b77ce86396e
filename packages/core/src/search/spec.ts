import { z } from "zod";
import { MfnasError } from "../errors.ts";

/**
 * A search spec as users submit it (YAML or JSON). This is the foundation's subset: the space to sample (its `scales` pick x2 and/or x4), the
 * reference input the cost figures are computed for, the budget and the seed. Targets, constraints, objectives
 * and the algorithm join it as the evaluator and the device lab arrive; new fields are optional so that stored
 * specs stay valid.
 */
export const searchSpecSchema = z.strictObject({
  name: z.string().trim().min(1).max(200),
  /** Seed of every random choice the search makes; the same spec and seed give the same search. */
  seed: z.int().min(0).max(2_147_483_647).default(0),
  /** Narrowing (or widening) of the default search space; validated by the space itself. */
  space: z.record(z.string(), z.unknown()).optional(),
  /** LR input size the cost figures are computed for; multiples of 4 so that every x4-downscaling branch fits. */
  referenceInput: z
    .strictObject({
      height: z.int().min(8).max(2_048).multipleOf(4),
      width: z.int().min(8).max(2_048).multipleOf(4),
    })
    .default({ height: 64, width: 64 }),
  budget: z.strictObject({
    generations: z.int().min(1).max(10_000),
    population: z.int().min(1).max(4_096),
  }),
});

export type SearchSpec = z.infer<typeof searchSpecSchema>;
export type SearchSpecInput = z.input<typeof searchSpecSchema>;

/** Validates a spec; the error names every bad field by its path. */
export function parseSearchSpec(value: unknown): SearchSpec {
  const result = searchSpecSchema.safeParse(value);
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => `${i.path.map(String).join(".") || "(spec)"}: ${i.message}`);
  throw new MfnasError("invalid_input", `invalid search spec: ${fields.join("; ")}`, { fields });
}
