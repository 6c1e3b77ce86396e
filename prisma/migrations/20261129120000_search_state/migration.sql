-- The algorithm's state after each generation (population, ranks, RNG), so that a search resumes exactly, and the
-- search's final result (the final Pareto set, its re-measurements and exported SubGenerators).
ALTER TABLE "Generation" ADD COLUMN "state" JSONB;
ALTER TABLE "Search" ADD COLUMN "result" JSONB;
