/**
 * Which algorithm runs a search and with what settings. The kinds and option names match the search spec's
 * `algorithm` field; the population size comes from the spec's budget.
 */
import { z } from "zod";
import { MfnasError } from "../errors.ts";
import { issueMessages } from "../zod-issues.ts";

const populationSize = z.int().min(2).max(100_000).default(100);
const probability = z.number().min(0).max(1);

export const algorithmSpecSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    /** NSGA-II (Deb et al. 2002) with constraint domination. */
    kind: z.literal("nsga2"),
    /** Parents and survivors per generation (mu); also the default number of offspring (lambda). Default 100. */
    populationSize,
    /** Chance that an offspring is a crossover of two tournament winners, else a copy of one. Default 0.9. */
    crossoverProbability: probability.default(0.9),
    /** Per-gene mutation chance of every offspring; absent = the variation's own default (usually 1/genes). */
    mutationProbability: probability.optional(),
  }),
  z.strictObject({
    /** Once-for-All's constrained evolution: one objective, best parents kept, children by mutation or crossover. */
    kind: z.literal("evolution"),
    /** Initial population and children per generation. Default 100. */
    populationSize,
    /** Share of the population kept as parents (at least one). Default 0.25. */
    parentRatio: z.number().gt(0).max(1).default(0.25),
    /** Share of the children made by mutation; the rest by crossover. Default 0.5. */
    mutationRatio: probability.default(0.5),
    /** Per-gene mutation chance. Default 0.1. */
    mutationProbability: probability.default(0.1),
  }),
  z.strictObject({
    /** Uniform random sampling, keeping the best `populationSize` as NSGA-II would; the baseline. */
    kind: z.literal("random"),
    /** Samples per generation and size of the kept set. Default 100. */
    populationSize,
  }),
]);

export type AlgorithmSpec = z.output<typeof algorithmSpecSchema>;
export type AlgorithmSpecInput = z.input<typeof algorithmSpecSchema>;
export type AlgorithmKind = AlgorithmSpec["kind"];

/** Validates an algorithm spec and fills its defaults; the error names every bad field. */
export function parseAlgorithmSpec(value: unknown): AlgorithmSpec {
  return parseWith(algorithmSpecSchema, value, "algorithm");
}

/** Parses `value` with a zod schema, turning its issues into one `invalid_input` error naming each field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, subject: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = issueMessages(result.error, subject, subject);
  throw new MfnasError("invalid_input", `invalid ${subject}: ${fields.join("; ")}`, { fields });
}
